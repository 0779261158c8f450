// SEED_AS_WRITTEN=1: the api routes as the seed's "client-side request via
// server action or API route" scenario writes them: call the fetcher, and on
// any failure log the user out ("automatic logout on refresh failure").

import { cookies } from "next/headers";
import { getIronSession } from "iron-session";
import { seedSessionOptions, type SessionData } from "../session";
import { getCurrentUser, updateProfile } from "./apiUtils";

export async function seedMe(): Promise<Response> {
  const userData = await getCurrentUser();
  if (!userData.success) {
    return loggedOut();
  }
  return Response.json(userData);
}

export async function seedUpdateProfile(req: Request): Promise<Response> {
  const data = await req.json();
  const result = await updateProfile(data);
  if (!result.success) {
    return loggedOut();
  }
  return Response.json(result);
}

async function loggedOut(): Promise<Response> {
  const session = await getIronSession<SessionData>(await cookies(), seedSessionOptions());
  session.destroy();
  return Response.json({ success: false }, { status: 401 });
}
