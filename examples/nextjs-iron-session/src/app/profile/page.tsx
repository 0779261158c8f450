// GET /profile, server-rendered.
//
// Fixed code: the middleware already fetched the user (refreshing and saving
// the rotated cookie if needed) and hands it over in a request header; this
// Server Component only renders. SEED_AS_WRITTEN=1: the seed's Server
// Component, which fetches and refreshes while rendering, where session.save()
// cannot set the cookie.

import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { config } from "@/lib/config";
import { PROFILE_USER_HEADER, type ProfileUser } from "@/lib/profileUser";
import { getCurrentUser } from "@/lib/seed/apiUtils";
import ProfileView from "./ProfileView";

export const dynamic = "force-dynamic";

export default async function ProfilePage() {
  if (config().seedAsWritten) {
    return <SeedProfilePage />;
  }
  const raw = (await headers()).get(PROFILE_USER_HEADER);
  const user = raw ? parseUser(raw) : undefined;
  if (!user) {
    // Only reachable if the middleware did not run: treat as logged out.
    redirect("/login");
  }
  return <ProfileView firstName={user.firstName} lastName={typeof user.lastName === "string" ? user.lastName : ""} />;
}

// The seed's "Server Component (SSR)" example, as written.
async function SeedProfilePage() {
  // This will automatically refresh tokens if needed
  const userData = await getCurrentUser();

  if (!userData.success) {
    redirect("/login");
  }

  return <ProfileView firstName={userData.data?.firstName ?? ""} lastName={userData.data?.lastName ?? ""} />;
}

function parseUser(raw: string): ProfileUser | undefined {
  try {
    const u = JSON.parse(decodeURIComponent(raw)) as ProfileUser;
    return typeof u?.firstName === "string" ? u : undefined;
  } catch {
    return undefined;
  }
}
