// The request header through which the middleware hands the /profile page the
// user it fetched. The middleware deletes any copy a client sent.

export const PROFILE_USER_HEADER = "x-refreshspec-profile-user";

export interface ProfileUser {
  id?: unknown;
  email?: unknown;
  firstName: string;
  lastName?: unknown;
}
