#!/usr/bin/env node
// After the published build (tsconfig.lib.json): the .d.ts files keep the
// sources' relative `.ts` import specifiers (`rewriteRelativeImportExtensions`
// rewrites only the JavaScript), which older TypeScript versions refuse in a
// package's types. This rewrites them to the `.js` files they describe.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = process.argv[2] ?? "dist/lib";
const specifier = /((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']+)\.ts(["'])/g;
let changed = 0;
for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
  const path = join(entry.parentPath ?? entry.path, entry.name);
  const text = readFileSync(path, "utf8");
  const fixed = text.replace(specifier, "$1$2.js$3");
  if (fixed !== text) {
    writeFileSync(path, fixed);
    changed += 1;
  }
}
const left = readdirSync(root, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith(".d.ts"))
  .filter((e) => /from\s*["']\.{1,2}\/[^"']+\.ts["']/.test(readFileSync(join(e.parentPath ?? e.path, e.name), "utf8")));
if (left.length > 0) {
  console.error(`dts-extensions: .ts specifiers left in ${left.map((e) => e.name).join(", ")}`);
  process.exit(1);
}
console.error(`dts-extensions: ${changed} declaration files rewritten`);
