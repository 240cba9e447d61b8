// One server and one browser per test file; one or more browser contexts per
// test, each watched by a Guard. A test fails when its body throws or when any
// of its pages saw an undeclared console error, page error, HTTP error, failed
// request or CSP violation. On failure: screenshots of every open page (PNG,
// under /tmp/hippo-e2e/), the guards' findings and the server log's tail are
// added to the error.

import { describe, it, before, after } from "node:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { HippoServer } from "./server.mjs";
import { launchBrowser, Guard } from "./browser.mjs";

export const SHOTS = process.env.HIPPO_E2E_SHOTS || "/tmp/hippo-e2e";

/** @param {string} s */
const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60);

export class TestCtx {
  /**
   * @param {Suite} suite
   * @param {string} name
   */
  constructor(suite, name) {
    this.suite = suite;
    this.server = suite.server;
    this.name = name;
    /** @type {{ label: string, context: import("playwright-core").BrowserContext, guard: Guard }[]} */
    this.contexts = [];
  }

  /**
   * A fresh browser context (its own cookies: one signed-in person) and its
   * first page, both watched.
   * @param {string} label e.g. "alice"
   * @param {import("playwright-core").BrowserContextOptions} [options]
   */
  async newContext(label, options = {}) {
    const browser = await this.suite.browser();
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 1280, height: 800 },
      locale: "en-US",
      timezoneId: "UTC",
      ...options,
    });
    context.setDefaultTimeout(10_000);
    const guard = new Guard(label);
    await guard.attach(context);
    const page = await context.newPage();
    this.contexts.push({ label, context, guard });
    return { context, page, guard };
  }

  /** @param {string} label */
  async newPage(label) {
    return await this.newContext(label);
  }

  async screenshots() {
    const dir = join(SHOTS, slug(this.suite.name), slug(this.name));
    mkdirSync(dir, { recursive: true });
    const paths = [];
    for (const { label, context } of this.contexts) {
      let i = 0;
      for (const p of context.pages()) {
        const path = join(dir, `${slug(label)}-${i++}.png`);
        try {
          await p.screenshot({ path, fullPage: true, timeout: 5000 });
          paths.push(path);
        } catch (e) {
          paths.push(`${path} (not taken: ${/** @type {Error} */ (e).message.split("\n")[0]})`);
        }
      }
    }
    return paths;
  }

  findings() {
    return this.contexts.flatMap(({ label, guard }) => guard.findings().map((f) => ({ who: label, ...f })));
  }

  async close() {
    for (const { context } of this.contexts) await context.close().catch(() => {});
    this.contexts = [];
  }
}

export class Suite {
  /**
   * @param {string} name
   * @param {Record<string, string>} flags server settings
   * @param {SuiteOptions} [opts]
   */
  constructor(name, flags, opts = {}) {
    this.name = name;
    this.opts = opts;
    this.server = new HippoServer({ name: slug(name), flags });
    /** @type {import("playwright-core").Browser | null} */
    this._browser = null;
    this.failed = false;
  }

  async browser() {
    if (!this._browser || !this._browser.isConnected()) this._browser = await launchBrowser(this.opts.browserArgs);
    return this._browser;
  }

  /**
   * @param {string} name
   * @param {(t: TestCtx) => Promise<void>} body
   * @param {{ timeout?: number }} [opts]
   */
  test(name, body, opts = {}) {
    it(name, { timeout: opts.timeout ?? 90_000 }, async () => {
      const t = new TestCtx(this, name);
      const started = Date.now();
      try {
        await body(t);
        // Late console output and frames settle within a few ticks.
        await new Promise((r) => setTimeout(r, 150));
        const findings = t.findings();
        if (findings.length) {
          throw new Error(`the pages reported problems:\n${findings.map((f) => `  [${f.who}] ${f.kind}: ${f.text}${f.page ? ` (at ${f.page})` : ""}`).join("\n")}`);
        }
      } catch (e) {
        this.failed = true;
        const err = e instanceof Error ? e : new Error(String(e));
        const shots = await t.screenshots();
        const findings = t.findings();
        const extra =
          `\n--- after ${((Date.now() - started) / 1000).toFixed(1)} s` +
          `\n--- screenshots:\n${shots.map((s) => `  ${s}`).join("\n")}` +
          (findings.length ? `\n--- page findings:\n${findings.map((f) => `  [${f.who}] ${f.kind}: ${f.text}${f.page ? ` (at ${f.page})` : ""}`).join("\n")}` : "") +
          `\n--- server log (${this.server.logPath}), last lines:\n${this.server.tail(80)}` +
          (this.opts.report ? `\n${this.opts.report()}` : "");
        // Node prints the stack, which holds the message as it was first
        // made: build a new one that carries the extra report.
        const frames = (err.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l)).join("\n");
        const report = new Error(`${err.name}: ${err.message}${extra}`);
        report.stack = `${report.message}\n${frames}`;
        throw report;
      } finally {
        await t.close();
      }
    });
  }
}

/**
 * @typedef {{ browserArgs?: string[], beforeStart?: (s: Suite) => Promise<void>, afterStop?: (s: Suite) => Promise<void>, report?: () => string }} SuiteOptions
 *   browserArgs: extra Chromium flags; beforeStart: runs before the server
 *   starts (e.g. a TURN server whose port goes into the flags); afterStop:
 *   after it stopped; report: more to add to a failure's report (e.g. the
 *   TURN server's log).
 */

/**
 * A test file: one server (settings `flags`), one browser, the tests that
 * `define` declares with suite.test(...).
 * @param {string} name
 * @param {Record<string, string>} flags
 * @param {(s: Suite) => void} define
 * @param {SuiteOptions} [opts]
 */
export function suite(name, flags, define, opts = {}) {
  const s = new Suite(name, flags, opts);
  describe(name, () => {
    before(async () => {
      if (opts.beforeStart) await opts.beforeStart(s);
      await s.server.start();
      await s.server.checkWebClient();
    });
    after(async () => {
      if (s._browser) await s._browser.close().catch(() => {});
      try {
        await s.server.stop();
      } finally {
        if (opts.afterStop) await opts.afterStop(s);
      }
      if (!s.failed && !process.env.HIPPO_E2E_KEEP) s.server.cleanup();
    });
    define(s);
  });
  return s;
}
