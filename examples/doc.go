// Package examples holds real applications that follow the pattern, and the
// test that runs refreshspec against them the way a team would in CI.
//
// nextjs-iron-session/ is a Next.js (App Router) app with iron-session; its
// README explains the design and shows, scenario by scenario, what the
// seed design's code as written fails.
package examples
