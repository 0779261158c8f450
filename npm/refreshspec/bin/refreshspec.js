#!/usr/bin/env node
// The refreshspec command of the npm package. refreshspec is a Go binary: npm
// installs the one for this machine as an optional dependency,
// @refreshspec/cli-<platform>-<arch> (each declares its os and cpu, so npm
// skips the others), and this launcher runs it, or the binary that
// REFRESHSPEC_BINARY names. Arguments, stdin/stdout/stderr, signals and the
// exit status pass through. Plain Node, no dependencies.
"use strict";

const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");

// process.platform-process.arch -> the package that holds its binary.
const packages = {
  "darwin-arm64": "@refreshspec/cli-darwin-arm64",
  "darwin-x64": "@refreshspec/cli-darwin-x64",
  "linux-arm64": "@refreshspec/cli-linux-arm64",
  "linux-x64": "@refreshspec/cli-linux-x64",
  "win32-arm64": "@refreshspec/cli-win32-arm64",
  "win32-x64": "@refreshspec/cli-win32-x64",
};

// Exit status 2, as refreshspec's own set-up errors.
function fail(message) {
  process.stderr.write(`refreshspec: ${message}\n`);
  process.exit(2);
}

function binaryPath() {
  const own = process.env.REFRESHSPEC_BINARY;
  if (own) {
    if (!fs.existsSync(own)) fail(`REFRESHSPEC_BINARY is ${own}, which does not exist`);
    return own;
  }
  const platform = `${process.platform}-${process.arch}`;
  const pkg = packages[platform];
  const ownBinary =
    "set REFRESHSPEC_BINARY to the path of a refreshspec binary of your own: from a release archive\n" +
    "  (https://github.com/refreshspec/refreshspec/releases), or built with\n" +
    "  CGO_ENABLED=0 go install github.com/refreshspec/refreshspec/cmd/refreshspec@latest";
  if (!pkg) {
    fail(`there is no prebuilt refreshspec for ${platform} (there is for ${Object.keys(packages).join(", ")});\n  ${ownBinary}`);
  }
  const exe = process.platform === "win32" ? "refreshspec.exe" : "refreshspec";
  try {
    return require.resolve(`${pkg}/bin/${exe}`);
  } catch {
    fail(
      `no refreshspec binary for ${platform}: the package ${pkg} is not installed.\n` +
        "  npm installs it along with refreshspec, as an optional dependency; it is missing when optional\n" +
        "  dependencies were left out (--omit=optional, --no-optional), or when package-lock.json was written\n" +
        "  on another platform (delete node_modules and package-lock.json, then install again).\n" +
        `  Or ${ownBinary}.`,
    );
  }
}

const binary = binaryPath();
const child = spawn(binary, process.argv.slice(2), { stdio: "inherit", windowsHide: true });
child.on("error", (err) => fail(`could not run ${binary}: ${err.message}`));

// A signal to this process goes on to the binary, which then stops its run
// and removes what it started (containers, the target); this process waits
// for it. On Windows, Ctrl-C reaches every process of the console, and a
// kill would end the binary without its clean-up: the launcher only waits.
const signals = process.platform === "win32" ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
for (const signal of signals) {
  process.on(signal, () => {
    if (process.platform !== "win32") child.kill(signal);
  });
}

child.on("exit", (code, signal) => {
  if (signal) {
    // Die of the same signal, as the binary did; should this process
    // survive it, exit as a shell reports it.
    for (const s of signals) process.removeAllListeners(s);
    process.exitCode = 128 + (os.constants.signals[signal] || 0);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code);
});
