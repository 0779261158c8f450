"use server";
// SEED_AS_WRITTEN=1: src/actions/auth.ts of docs/token-refresh-design.md, as written.
// Only the recursion cap (SEED_REFRESH_RECURSION_CAP) is not in the seed: the
// seed's performFetch also "refreshes" a 401 of /auth/refresh itself, which
// recurses without end; the cap keeps this machine and the backend safe.

import { AsyncLocalStorage } from "node:async_hooks";
import { cookies } from "next/headers";
import { getIronSession } from "iron-session";
import { seedSessionOptions, type SessionData } from "../session";
import { AUTH_ENDPOINTS, performFetch, type LoginResponse } from "./apiUtils";

const SEED_REFRESH_RECURSION_CAP = 5;
const depth = new AsyncLocalStorage<number>();

export async function refreshAccessToken(): Promise<{
  success: boolean;
  message?: string;
  accessToken?: string;
  refreshToken?: string;
}> {
  const level = (depth.getStore() ?? 0) + 1;
  if (level > SEED_REFRESH_RECURSION_CAP) {
    return { success: false, message: "refresh recursion cap reached (not in the seed)" };
  }
  return depth.run(level, async () => {
    // ---- the seed, verbatim from here ----
    try {
      const cookieStore = await cookies();
      const session = await getIronSession<SessionData>(cookieStore, seedSessionOptions());

      if (!session?.refreshToken) {
        return { success: false, message: "No refresh token available" };
      }

      const res = await performFetch<LoginResponse>(AUTH_ENDPOINTS.REFRESH_TOKEN, {
        method: "POST",
        body: JSON.stringify({ refresh_token: session.refreshToken }),
      });

      if (res?.success) {
        // Update session with new tokens
        session.accessToken = res.data?.authorization?.access_token;
        session.refreshToken = res.data?.authorization?.refresh_token;
        await session.save();

        return {
          success: true,
          accessToken: session.accessToken,
          refreshToken: session.refreshToken,
        };
      }

      return { success: false, message: "Token refresh failed" };
    } catch (error) {
      console.error("Token refresh error:", error);
      return { success: false, message: "Token refresh error" };
    }
    // ---- end of the seed ----
  });
}
