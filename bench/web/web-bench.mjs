#!/usr/bin/env node
// hippo web-client benchmark: real Chromium (playwright-core) against a real
// `hippo serve` started here (temp data dir, free port, --require-mfa false).
// A benchmark, not a test: it prints numbers and never judges them.
//
//   node web-bench.mjs [--sections sizes,load,long,list,latency]
//                      [--runs 20] [--long-runs 10] [--scroll-runs 3]
//                      [--messages 5000] [--conversations 500] [--sends 50]
//                      [--json results.json] [--keep]
//
// Environment: HIPPO_BIN (default ../../target/release/hippo),
// CHROMIUM (default /usr/bin/chromium), HEADED=1.
//
// Everything is driven by role and accessible name where the client is
// acted on (Username, Password, Sign in, navigation Conversations, log
// Messages, textbox Message, button Send); the in-page timers that watch
// for an element to appear look it up by the same role/aria-label
// attributes, and each run then checks the element through Playwright's
// accessibility-based locators.

// The pieces live in lib/: options.mjs (command line, paths), stats.mjs,
// server.mjs (hippo serve), browser.mjs (Chromium, page-load measurements),
// data.mjs (seeding), sections.mjs (sections 1–5), report.mjs (Markdown).

import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, cpus } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { HIPPO_BIN, parseArgs } from "./lib/options.mjs";
import { Server } from "./lib/server.mjs";
import { launch, newContext, sessionState, ui } from "./lib/browser.mjs";
import { seedConversation } from "./lib/data.mjs";
import { sectionSizes, sectionLoad, sectionLong, sectionList, sectionLatency } from "./lib/sections.mjs";
import { report } from "./lib/report.mjs";

// ---- main ------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2), fileURLToPath(import.meta.url));
  const st = statSync(HIPPO_BIN);
  const env = {
    when: new Date().toISOString(),
    binary: HIPPO_BIN,
    binaryKind: process.env.HIPPO_BIN_PROFILE || (/\/release\//.test(HIPPO_BIN) ? "release" : /\/debug\//.test(HIPPO_BIN) ? "debug" : "unknown profile"),
    binarySha256: createHash("sha256").update(readFileSync(HIPPO_BIN)).digest("hex"),
    binaryMtime: st.mtime.toISOString(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "?",
    loadStart: loadavg().map((x) => x.toFixed(2)).join(" "),
  };
  try {
    env.version = execFileSync(HIPPO_BIN, ["--version"], { encoding: "utf8" }).trim();
  } catch {
    env.version = "?";
  }
  const server = new Server();
  await server.start();
  const browser = await launch(server.spki());
  env.chromium = browser.version();
  console.error(`hippo ${env.version} at ${server.origin} (${env.binaryKind}); Chromium ${env.chromium}`);
  const R = { env, opts };
  env.sectionLoad = {};
  const mark = (name) => (env.sectionLoad[name] = loadavg()[0].toFixed(2));
  try {
    if (opts.sections.includes("sizes")) {
      mark("sizes");
      console.error("section 1: sizes");
      R.sizes = await sectionSizes(server);
    }
    if (opts.sections.includes("load")) {
      mark("load");
      console.error("section 2: load");
      R.load = await sectionLoad(browser, server, opts);
    }
    if (opts.sections.includes("long")) {
      mark("long");
      console.error("section 3: long conversation");
      R.long = await sectionLong(browser, server, opts);
    }
    if (opts.sections.includes("list")) {
      mark("list");
      console.error("section 4: long list");
      R.list = await sectionList(browser, server, opts);
    }
    if (opts.sections.includes("latency")) {
      mark("latency");
      console.error("section 5: send → render latency");
      R.latency = await sectionLatency(browser, server, opts);
    }
  } finally {
    await browser.close();
    await server.stop();
    if (!opts.keep) rmSync(server.dataDir, { recursive: true, force: true });
    else console.error(`data dir kept: ${server.dataDir}`);
  }
  env.loadEnd = loadavg().map((x) => x.toFixed(2)).join(" ");
  const md = report(R);
  console.log(md);
  if (opts.json) writeFileSync(opts.json, JSON.stringify(R, null, 2));
}

export { Server, launch, newContext, sessionState, seedConversation, ui };

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  });
}
