// Chromium and the per-page guards: every page of every test collects console
// errors, uncaught page errors, HTTP error responses and failed requests that
// the test did not declare, and Content-Security-Policy (and Trusted Types)
// violations; the test fails if any appear.

import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

/** Chromium flags for the call tests: a fake camera and microphone, no permission prompt, loopback ICE. */
export const MEDIA_ARGS = [
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--allow-loopback-in-peer-connection",
];

/** @param {string[]} [extraArgs] */
export async function launchBrowser(extraArgs = []) {
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-dev-shm-usage", ...extraArgs],
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
 * arrive after it was declared, with that problem `code` when given, and at
 * most `times` of them when given.
 * @typedef {{ status?: number, method?: string, path: string | RegExp, code?: string, times?: number, why: string, from?: number }} ExpectedHttp
 * @typedef {{ kind: string, page: string, text: string }} Problem
 */

/** @type {WeakMap<import("playwright-core").Page, Guard>} */
const guards = new WeakMap();

/**
 * The guard watching a page.
 * @param {import("playwright-core").Page} page
 */
export function guardOf(page) {
  const g = guards.get(page);
  if (!g) throw new Error("this page has no guard");
  return g;
}

export class Guard {
  /** @param {string} label */
  constructor(label) {
    this.label = label;
    /** @type {Problem[]} */
    this.problems = [];
    /** @type {{ url: string, method: string, status: number, at: number, body?: string }[]} */
    this.httpErrors = [];
    /** @type {{ text: string, url: string, at: number }[]} */
    this.consoleErrors = [];
    /** Every console line of any level (checked for PHI). @type {string[]} */
    this.consoleAll = [];
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
    /** `error` frames the server sent on the socket. @type {{ code: string, text: string, at: number }[]} */
    this.socketErrors = [];
    /** Declared: the socket refused on purpose (a cookie session that ended). @type {{ code: RegExp, why: string, from: number }[]} */
    this.expectedSocket = [];
  }

  /**
   * The server tells an ended cookie session on the socket with an `error`
   * frame (then closes 4401); a test that ends a session declares it.
   * @param {RegExp} code @param {string} why
   */
  expectSocketRefusal(code, why) {
    this.expectedSocket.push({ code, why, from: Date.now() });
  }

  /**
   * The error responses this context's pages received for one call.
   * @param {string} method
   * @param {string} path
   * @param {number} status
   */
  seen(method, path, status) {
    return this.httpErrors.filter((h) => h.method === method && new URL(h.url).pathname === path && h.status === status);
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
   * The declared expectation that covers an HTTP error, if any.
   * @param {{ url: string, method: string, status: number, at: number, body?: string }} h
   */
  matchHttp(h) {
    let path;
    try {
      path = new URL(h.url).pathname;
    } catch {
      path = h.url;
    }
    let code;
    try {
      code = h.body ? JSON.parse(h.body).code : undefined;
    } catch {
      code = undefined;
    }
    return this.expectedHttp.find(
      (e) =>
        h.at >= (e.from ?? 0) &&
        (e.times === undefined || e.times > 0) &&
        (e.status === undefined || e.status === h.status) &&
        (e.method === undefined || e.method === h.method) &&
        (e.code === undefined || e.code === code) &&
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
    guards.set(page, this);
    page.on("console", (msg) => {
      const text = msg.text();
      this.consoleAll.push(`${msg.type()}: ${text}`);
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
      // The CSP guard means something only if the page runs under the CSP:
      // every document the app serves must carry it, strict.
      if (resp.request().resourceType() === "document" && /^https:/.test(resp.url())) {
        const csp = resp.headers()["content-security-policy"] ?? "";
        const weak = !/script-src 'self'(;|$)/.test(csp) || /unsafe-(inline|eval)/.test(csp) || !/require-trusted-types-for 'script'/.test(csp) || !/frame-ancestors 'none'/.test(csp);
        if (weak) this.problems.push({ kind: "missing or weak CSP", page: resp.url(), text: csp || "(no Content-Security-Policy header)" });
      }
      const status = resp.status();
      if (status < 400) return;
      /** @type {{ url: string, method: string, status: number, at: number, body?: string }} */
      const h = { url: resp.url(), method: resp.request().method(), status, at: Date.now() };
      this.httpErrors.push(h);
      // The problem's code, for expectations that name one.
      resp.text().then((t) => (h.body = t.slice(0, 2000)), () => {});
    });
    page.on("requestfailed", (req) => {
      const failure = req.failure()?.errorText ?? "failed";
      this.requestFailures.push({ url: req.url(), method: req.method(), failure });
    });
    page.on("crash", () => this.problems.push({ kind: "crash", page: page.url(), text: "the page crashed" }));
    // The socket: an `error` frame from the server means the client sent a
    // frame the protocol does not allow.
    page.on("websocket", (ws) => {
      ws.on("framereceived", ({ payload }) => {
        if (typeof payload !== "string" || !payload.includes('"error"')) return;
        try {
          const f = JSON.parse(payload);
          if (f && f.type === "error") this.socketErrors.push({ code: String(f.code ?? ""), text: payload.slice(0, 300), at: Date.now() });
        } catch {
          // not JSON: the server only sends JSON, so say so
          this.problems.push({ kind: "socket non-JSON frame", page: ws.url(), text: payload.slice(0, 300) });
        }
      });
    });
  }

  /** Everything that went wrong and was not declared. @returns {Problem[]} */
  findings() {
    /** @type {Problem[]} */
    const out = [...this.problems];
    for (const v of this.csp) out.push({ kind: "CSP violation", page: v.page ?? "", text: JSON.stringify(v) });
    // Each declared HTTP error also allows the one console line Chromium
    // logs for it ("Failed to load resource: ... status of N").
    /** @type {{ url: string, status: number }[]} */
    const accepted = [];
    const budget = new Map(this.expectedHttp.map((e) => [e, e.times]));
    for (const h of this.httpErrors) {
      const e = this.matchHttp(h);
      if (e) {
        if (e.times !== undefined) e.times -= 1;
        accepted.push({ url: h.url, status: h.status });
      } else {
        out.push({ kind: "HTTP error", page: "", text: `${h.method} ${h.url} → ${h.status} ${h.body ? h.body.slice(0, 200) : ""}` });
      }
    }
    for (const [e, t] of budget) e.times = t;
    for (const c of this.consoleErrors) {
      const m = /^Failed to load resource: the server responded with a status of (\d+)/.exec(c.text);
      if (m) {
        const i = accepted.findIndex((a) => a.url === c.url && a.status === Number(m[1]));
        if (i >= 0) {
          accepted.splice(i, 1);
          continue;
        }
      }
      if (this.expectedConsole.some((e) => e.re.test(c.text))) continue;
      out.push({ kind: "console error", page: c.url, text: c.text });
    }
    for (const e of this.socketErrors) {
      if (this.expectedSocket.some((x) => e.at >= x.from && x.code.test(e.code))) continue;
      out.push({ kind: "socket error frame", page: "", text: e.text });
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
