// SEED_AS_WRITTEN=1: src/lib/apiUtils.ts and the fetchers of
// docs/token-refresh-design.md. The part the seed elides ("make request with
// current token") is filled in the plainest way: the session's access token
// as Bearer, no timeout, the JSON body returned whatever the status.

import { cookies } from "next/headers";
import { getIronSession } from "iron-session";
import { config } from "../config";
import { seedSessionOptions, type SessionData } from "../session";
import { refreshAccessToken } from "./auth";

export const AUTH_ENDPOINTS = {
  LOGIN: "/auth/login",
  REFRESH_TOKEN: "/auth/refresh",
  LOGOUT: "/auth/logout",
  ME: "/api/user/me",
  PROFILE: "/api/user/profile",
};

export interface APIResponse<T> {
  success: boolean;
  message?: string;
  data?: T;
}

export interface User {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
}

export interface LoginResponse {
  authorization?: { access_token?: string; refresh_token?: string };
  user?: User;
}

export interface FetchOptions {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
}

export async function performFetch<T>(url: string, options: FetchOptions = {}, retryCount = 0): Promise<APIResponse<T>> {
  // ... make request with current token ...
  const cookieStore = await cookies();
  const session = await getIronSession<SessionData>(cookieStore, seedSessionOptions());
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    ...(session.accessToken ? { Authorization: `Bearer ${session.accessToken}` } : {}),
    ...options.headers,
  };
  const response = await fetch(`${config().backendURL}${url}`, { ...options, headers, cache: "no-store" });

  // Handle 401 Unauthorized
  if (response.status === 401 && retryCount === 0) {
    console.log("🔄 Access token expired, attempting refresh...");

    if (typeof window === "undefined") {
      // Server-side: use iron-session refresh
      const refreshResult = await refreshAccessToken();

      if (refreshResult.success) {
        // Retry original request with new token
        return performFetch<T>(
          url,
          {
            ...options,
            headers: { ...headers, Authorization: `Bearer ${refreshResult.accessToken}` },
          },
          retryCount + 1,
        );
      }
    } else {
      // Client-side: redirect to login since we don't store tokens in localStorage
      console.log("❌ Client-side token refresh not supported - redirecting to login");
      if (typeof window !== "undefined") {
        window.location.href = "/login";
      }
    }
  }

  return (await response.json().catch(() => ({ success: false, message: response.statusText }))) as APIResponse<T>;
}

// src/fetchers/auth.ts
export async function getCurrentUser(): Promise<APIResponse<User>> {
  return performFetch<User>(AUTH_ENDPOINTS.ME);
}

// The seed's updateProfile server action.
export async function updateProfile(data: unknown): Promise<APIResponse<User>> {
  // This will automatically refresh tokens if needed
  return performFetch<User>(AUTH_ENDPOINTS.PROFILE, {
    method: "PATCH",
    body: JSON.stringify(data),
  });
}
