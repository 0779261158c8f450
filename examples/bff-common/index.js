// The backend-for-frontend plumbing the Express examples share: calling the
// backend (contract.md §1) within BACKEND_TIMEOUT, one refresh per refresh
// token, the pages, and the answers. What differs between the examples, where
// the session lives and how it is read and written, stays in each app.

export { backendClient, fingerprint, jsonBody, parseJSON, str } from "./backend.js";
export { parseGoDuration, readBaseConfig } from "./config.js";
export { errorPage, loginPage, profilePage } from "./pages.js";
export { refreshOnce, refresher } from "./refresh.js";
export { errorHandler, sendAPI, sendProfilePage, unavailable } from "./respond.js";
