// axe-core in the page under test, with its real CSP in force. The page's
// script-src 'self' would block an injected <script>, so axe's source is
// evaluated through the DevTools protocol (Runtime.evaluate is not subject to
// the page's CSP) — no bypassCSP, so the same page keeps its CSP guard and any
// Trusted Types or CSP violation axe itself caused would still fail the test.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import assert from "node:assert/strict";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/**
 * Fails on any serious or critical axe violation on the current screen.
 * @param {import("playwright-core").Page} page
 * @param {string} screen a name for the report
 */
export async function assertAccessible(page, screen) {
  const loaded = await page.evaluate(() => typeof (/** @type {any} */ (globalThis).axe) === "object");
  if (!loaded) {
    const cdp = await page.context().newCDPSession(page);
    const r = await cdp.send("Runtime.evaluate", { expression: AXE_SOURCE, returnByValue: true });
    await cdp.detach();
    if (r.exceptionDetails) throw new Error(`axe-core did not load: ${JSON.stringify(r.exceptionDetails).slice(0, 500)}`);
  }
  const result = await page.evaluate(async () => {
    const axe = /** @type {any} */ (globalThis).axe;
    const res = await axe.run(document, { resultTypes: ["violations"] });
    return res.violations.map((/** @type {any} */ v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((/** @type {any} */ n) => ({ target: n.target, html: n.html.slice(0, 200), summary: n.failureSummary })),
    }));
  });
  const bad = result.filter((/** @type {any} */ v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `axe: serious/critical violations on the ${screen} screen:\n${JSON.stringify(bad, null, 2)}`);
  return result;
}
