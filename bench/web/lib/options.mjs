// Command line options (parseArgs) and the paths the benchmark runs against:
// the hippo binary (HIPPO_BIN), Chromium (CHROMIUM), the repository and web/dist.

import { readFileSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, "..", "..", "..");
export const HIPPO_BIN = resolve(process.env.HIPPO_BIN || join(REPO, "target", "release", "hippo"));
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const DIST = join(REPO, "web", "dist");

// ---- options ---------------------------------------------------------------

/** `usageFile`: the script whose header comment --help prints (the entry point). */
export function parseArgs(argv, usageFile) {
  const o = {
    sections: ["sizes", "load", "long", "list", "latency"],
    runs: 20,
    longRuns: 10,
    scrollRuns: 3,
    messages: 5000,
    conversations: 500,
    sends: 50,
    json: null,
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === "--sections") o.sections = v().split(",").map((s) => s.trim()).filter(Boolean);
    else if (a === "--runs") o.runs = Number(v());
    else if (a === "--long-runs") o.longRuns = Number(v());
    else if (a === "--scroll-runs") o.scrollRuns = Number(v());
    else if (a === "--messages") o.messages = Number(v());
    else if (a === "--conversations") o.conversations = Number(v());
    else if (a === "--sends") o.sends = Number(v());
    else if (a === "--json") o.json = v();
    else if (a === "--keep") o.keep = true;
    else if (a === "--help" || a === "-h") {
      console.log(readFileSync(usageFile, "utf8").split("\n").slice(1, 12).join("\n"));
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  const known = new Set(["sizes", "load", "long", "list", "latency"]);
  for (const s of o.sections) if (!known.has(s)) throw new Error(`unknown section ${s}`);
  return o;
}
