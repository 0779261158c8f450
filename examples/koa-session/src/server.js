// Starts the app of app.js with the environment of contract.md §2.

import { readConfig } from "./config.js";
import { createApp } from "./app.js";

let cfg;
try {
  cfg = readConfig(process.env);
} catch (err) {
  console.error(`koa-session: ${err.message}`);
  process.exit(2);
}
if (cfg.plantedBug) {
  console.error(`koa-session: PLANTED_BUG=${cfg.plantedBug} is on: this run is deliberately wrong`);
}
const server = createApp(cfg).listen(cfg.port, cfg.host, () => {
  console.log(JSON.stringify({ msg: "listening", addr: `${cfg.host}:${server.address().port}` }));
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
