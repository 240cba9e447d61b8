// Chromium and the per-page guards: every page of every test collects console
// errors, uncaught page errors, HTTP error responses and failed requests that
// the test did not declare, and Content-Security-Policy (and Trusted Types)
// violations; the test fails if any appear.

import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

export async function launchBrowser() {
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
    headless: process.env.HEADED ? false : true,
  });
}

// Runs in every frame before the page's own scripts (CDP, not subject to the
// page's CSP). Reports each violation to node at once through a binding, so a
// reload or navigation loses nothing.
const CSP_PROBE = `(() => {
  const report = (e) => {
    try {
      globalThis.__hippoE2eCsp({
        directive: e.violatedDirective, effective: e.effectiveDirective,
        blocked: e.blockedURI, sample: e.sample, source: e.sourceFile,
        line: e.lineNumber, disposition: e.disposition,
      });
    } catch (err) { /* binding gone while the page closes */ }
  };
  globalThis.addEventListener("securitypolicyviolation", report, true);
})();`;

/**
 * An HTTP error the test causes on purpose; it only covers responses that
 * arrive after it was declared.
 * @typedef {{ status?: number, method?: string, path: string | RegExp, why: string, from?: number }} ExpectedHttp
 * @typedef {{ kind: string, page: string, text: string }} Problem
 */

export class Guard {
  /** @param {string} label */
  constructor(label) {
    this.label = label;
    /** @type {Problem[]} */
    this.problems = [];
    /** @type {{ url: string, method: string, status: number, at: number }[]} */
    this.httpErrors = [];
    /** @type {{ text: string, url: string, at: number }[]} */
    this.consoleErrors = [];
    /** @type {{ url: string, method: string, failure: string }[]} */
    this.requestFailures = [];
    /** Declared by the test: HTTP errors it causes on purpose. @type {ExpectedHttp[]} */
    this.expectedHttp = [
      // The documented way a freshly loaded page learns it is signed out.
      { method: "GET", path: "/api/v1/auth/session", status: 401, why: "signed-out probe", from: 0 },
    ];
    /** Console errors the test causes on purpose (e.g. a server restart). @type {{re: RegExp, why: string}[]} */
    this.expectedConsole = [];
    /** Request failures the test causes on purpose. @type {{re: RegExp, why: string}[]} */
    this.expectedFailures = [];
    /** @type {any[]} */
    this.csp = [];
  }

  /** @param {ExpectedHttp} e */
  expectHttp(e) {
    this.expectedHttp.push({ from: Date.now(), ...e });
  }

  /** @param {RegExp} re @param {string} why */
  expectConsole(re, why) {
    this.expectedConsole.push({ re, why });
  }

  /** @param {RegExp} re @param {string} why */
  expectRequestFailure(re, why) {
    this.expectedFailures.push({ re, why });
  }

  /**
   * @param {string} url
   * @param {number} status
   * @param {string | undefined} method
   * @param {number} at when it was seen
   */
  isExpectedHttp(url, status, method, at) {
    let path;
    try {
      path = new URL(url).pathname;
    } catch {
      path = url;
    }
    return this.expectedHttp.some(
      (e) =>
        at >= (e.from ?? 0) &&
        (e.status === undefined || e.status === status) &&
        (e.method === undefined || method === undefined || e.method === method) &&
        (typeof e.path === "string" ? e.path === path : e.path.test(path)),
    );
  }

  /**
   * Attaches to a browser context: every page it opens is watched.
   * @param {import("playwright-core").BrowserContext} context
   */
  async attach(context) {
    await context.exposeBinding("__hippoE2eCsp", (src, v) => {
      this.csp.push({ page: src.page?.url(), ...v });
    });
    await context.addInitScript(CSP_PROBE);
    context.on("page", (p) => this.watch(p));
    for (const p of context.pages()) this.watch(p);
  }

  /** @param {import("playwright-core").Page} page */
  watch(page) {
    page.on("console", (msg) => {
      const text = msg.text();
      if (/content security policy|trusted type/i.test(text)) {
        this.csp.push({ page: page.url(), console: text });
        return;
      }
      if (msg.type() === "error") this.consoleErrors.push({ text, url: msg.location().url, at: Date.now() });
    });
    page.on("pageerror", (err) => {
      this.problems.push({ kind: "page error", page: page.url(), text: `${err.name}: ${err.message}\n${err.stack ?? ""}` });
    });
    page.on("response", (resp) => {
      const status = resp.status();
      if (status >= 400) this.httpErrors.push({ url: resp.url(), method: resp.request().method(), status, at: Date.now() });
    });
    page.on("requestfailed", (req) => {
      const failure = req.failure()?.errorText ?? "failed";
      this.requestFailures.push({ url: req.url(), method: req.method(), failure });
    });
    page.on("crash", () => this.problems.push({ kind: "crash", page: page.url(), text: "the page crashed" }));
  }

  /** Everything that went wrong and was not declared. @returns {Problem[]} */
  findings() {
    /** @type {Problem[]} */
    const out = [...this.problems];
    for (const v of this.csp) out.push({ kind: "CSP violation", page: v.page ?? "", text: JSON.stringify(v) });
    for (const h of this.httpErrors) {
      if (!this.isExpectedHttp(h.url, h.status, h.method, h.at)) {
        out.push({ kind: "HTTP error", page: "", text: `${h.method} ${h.url} → ${h.status}` });
      }
    }
    for (const c of this.consoleErrors) {
      // Chromium logs every 4xx/5xx response as a console error; those the
      // test declared (and only those) are not findings.
      const m = /^Failed to load resource: the server responded with a status of (\d+)/.exec(c.text);
      if (m && this.isExpectedHttp(c.url, Number(m[1]), undefined, c.at)) continue;
      if (this.expectedConsole.some((e) => e.re.test(c.text))) continue;
      out.push({ kind: "console error", page: c.url, text: c.text });
    }
    for (const f of this.requestFailures) {
      // A request the page itself cancelled (navigation, AbortController) is
      // not an error; anything else is, unless declared.
      if (f.failure === "net::ERR_ABORTED") continue;
      if (this.expectedFailures.some((e) => e.re.test(`${f.method} ${f.url} ${f.failure}`))) continue;
      out.push({ kind: "request failed", page: "", text: `${f.method} ${f.url}: ${f.failure}` });
    }
    return out;
  }
}
