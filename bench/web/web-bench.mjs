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

import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync, rmSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, loadavg, cpus } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:net";
import https from "node:https";
import zlib from "node:zlib";
import { createHash, randomBytes, X509Certificate } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { performance } from "node:perf_hooks";

const here = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(here, "..", "..");
const HIPPO_BIN = resolve(process.env.HIPPO_BIN || join(REPO, "target", "release", "hippo"));
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const DIST = join(REPO, "web", "dist");

// ---- options ---------------------------------------------------------------

function parseArgs(argv) {
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
      console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1, 12).join("\n"));
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  const known = new Set(["sizes", "load", "long", "list", "latency"]);
  for (const s of o.sections) if (!known.has(s)) throw new Error(`unknown section ${s}`);
  return o;
}

// ---- statistics ------------------------------------------------------------

/** Nearest-rank percentile of a sorted copy. */
function pct(xs, p) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const k = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[k];
}
function stats(xs) {
  const v = xs.filter((x) => Number.isFinite(x));
  if (!v.length) return { n: 0 };
  return {
    n: v.length,
    min: Math.min(...v),
    median: pct(v, 50),
    p95: pct(v, 95),
    p99: pct(v, 99),
    max: Math.max(...v),
    mean: v.reduce((a, b) => a + b, 0) / v.length,
  };
}
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "–");
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : "–");
const kb = (b) => (b / 1024).toFixed(1);

// ---- the server ------------------------------------------------------------

async function freePort() {
  return await new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

class Server {
  constructor() {
    this.dataDir = mkdtempSync(join(tmpdir(), "hippo-bench-web-"));
    this.port = 0;
    this.proc = null;
    this.ca = null;
    this.log = [];
    this.agent = null;
  }
  get origin() {
    return `https://127.0.0.1:${this.port}`;
  }
  env() {
    const env = { ...process.env, HIPPO_DATA_DIR: this.dataDir, HIPPO_REQUIRE_MFA: "false", NO_COLOR: "1" };
    delete env.HIPPO_BIN; // ours, not a hippo setting
    return env;
  }
  async start() {
    if (!existsSync(HIPPO_BIN)) throw new Error(`hippo binary not found at ${HIPPO_BIN} (set HIPPO_BIN)`);
    this.port = await freePort();
    const args = ["serve", "--data-dir", this.dataDir, "--listen", `127.0.0.1:${this.port}`, "--require-mfa", "false"];
    const proc = spawn(HIPPO_BIN, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...this.env(), RUST_LOG: process.env.RUST_LOG ?? "warn" } });
    this.proc = proc;
    let exited = null;
    proc.on("exit", (code, sig) => (exited = `exited with ${code ?? sig}`));
    for (const s of [proc.stdout, proc.stderr]) {
      s.on("data", (c) => {
        for (const l of c.toString("utf8").split("\n")) if (l) this.log.push(l);
        if (this.log.length > 2000) this.log.splice(0, 1000);
      });
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new Error(`hippo serve ${exited}:\n${this.log.slice(-40).join("\n")}`);
      if (Date.now() > deadline) throw new Error(`hippo serve not ready in 30 s:\n${this.log.slice(-40).join("\n")}`);
      const cert = join(this.dataDir, "tls", "cert.pem");
      if (existsSync(cert)) {
        this.ca = readFileSync(cert);
        this.agent = new https.Agent({
          keepAlive: true,
          maxSockets: 32,
          ca: this.ca,
          servername: "localhost",
          checkServerIdentity: () => undefined,
        });
        try {
          if ((await this.request("GET", "/readyz")).status === 200) break;
        } catch {
          /* not listening yet */
        }
      }
      await sleep(100);
    }
  }
  /** base64 SHA-256 of the certificate's SubjectPublicKeyInfo (for Chromium's SPKI allow-list). */
  spki() {
    const cert = new X509Certificate(this.ca);
    const der = cert.publicKey.export({ type: "spki", format: "der" });
    return createHash("sha256").update(der).digest("base64");
  }
  async stop() {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const done = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    const t = setTimeout(() => p.kill("SIGKILL"), 15_000);
    await done;
    clearTimeout(t);
    this.agent?.destroy();
  }
  request(method, path, opts = {}) {
    const headers = { ...(opts.headers ?? {}) };
    let body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers["content-type"] = "application/json";
    }
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (body !== undefined) headers["content-length"] = Buffer.byteLength(body);
    return new Promise((res, rej) => {
      const req = https.request(
        { host: "127.0.0.1", port: this.port, method, path, headers, agent: this.agent, timeout: 30_000 },
        (resp) => {
          const chunks = [];
          resp.on("data", (c) => chunks.push(c));
          resp.on("end", () => {
            const raw = Buffer.concat(chunks);
            let json;
            try {
              json = raw.length && !resp.headers["content-encoding"] ? JSON.parse(raw.toString("utf8")) : undefined;
            } catch {
              json = undefined;
            }
            res({ status: resp.statusCode ?? 0, headers: resp.headers, raw, json });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.on("error", rej);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }
  async api(method, path, opts = {}) {
    for (let attempt = 0; ; attempt++) {
      const r = await this.request(method, path, opts);
      if (r.status === 429 && attempt < 20) {
        await sleep(1000 * Number(r.headers["retry-after"] ?? 1));
        continue;
      }
      if (r.status < 200 || r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${r.raw.toString("utf8").slice(0, 400)}`);
      return r.json;
    }
  }
  async createUser(username, displayName, role = "clinician") {
    const password = `Pw-${randomBytes(10).toString("hex").replace(/[a-f]/g, (c) => "GHJKLP"["abcdef".indexOf(c)])}-staple-horse`;
    const out = await new Promise((res, rej) => {
      const p = spawn(HIPPO_BIN, ["user", "create", "--username", username, "--role", role, "--display-name", displayName, "--password-stdin"], {
        env: this.env(),
        stdio: ["pipe", "pipe", "pipe"],
      });
      let so = "";
      let se = "";
      p.stdout.on("data", (c) => (so += c));
      p.stderr.on("data", (c) => (se += c));
      p.on("error", rej);
      p.on("exit", (code) => (code === 0 ? res(so) : rej(new Error(`user create ${username}: ${code} ${se}${so}`))));
      p.stdin.end(`${password}\n`);
    });
    const id = out.trim().split(/\s+/).pop();
    const user = { id, username, displayName, password, token: "" };
    user.token = (await this.api("POST", "/api/v1/auth/login", { json: { username, password } })).token;
    return user;
  }
}

/** Runs fn over items with at most n in flight. */
async function pool(items, n, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

// ---- the browser -----------------------------------------------------------

// Installed in every document before the page's own scripts (CDP, outside the
// page's CSP). Records long tasks, and the moment the Conversations
// navigation holds at least `expectLinks` links (then the next frame).
function pageProbe(arg) {
  const B = (window.__bench = { expectLinks: arg.expectLinks, navReadyAt: null, navFrameAt: null, longtasks: [] });
  performance.setResourceTimingBufferSize(100_000);
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) B.longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: "longtask", buffered: true });
  } catch {
    /* no long-task timing */
  }
  const check = () => {
    if (B.navReadyAt !== null) return;
    const nav = document.querySelector('nav[aria-label="Conversations"]');
    if (!nav) return;
    const n = nav.querySelectorAll("a[href]").length;
    if (n >= B.expectLinks && n > 0) {
      B.navReadyAt = performance.now();
      B.navLinks = n;
      requestAnimationFrame(() => {
        B.navFrameAt = performance.now();
      });
      mo.disconnect();
    }
  };
  const mo = new MutationObserver(check);
  mo.observe(document, { childList: true, subtree: true });
}

async function launch(spki) {
  const args = ["--no-sandbox", "--disable-dev-shm-usage"];
  // Trust the server's self-signed certificate like a real CA-issued one, so
  // Chromium uses its HTTP cache (it does not cache over a certificate error).
  if (spki) args.push(`--ignore-certificate-errors-spki-list=${spki}`);
  return await chromium.launch({ executablePath: CHROMIUM, args, headless: !process.env.HEADED });
}

async function newContext(browser, opts = {}) {
  const ctx = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 800 },
    locale: "en-US",
    timezoneId: "UTC",
    ...(opts.storageState ? { storageState: opts.storageState } : {}),
  });
  ctx.setDefaultTimeout(60_000);
  await ctx.addInitScript(pageProbe, { expectLinks: opts.expectLinks ?? 1 });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  return { ctx, page, errors };
}

const ui = (page) => ({
  username: page.getByRole("textbox", { name: "Username", exact: true }),
  password: page.getByLabel("Password", { exact: true }),
  signIn: page.getByRole("button", { name: "Sign in", exact: true }),
  nav: page.getByRole("navigation", { name: "Conversations", exact: true }),
  log: page.getByRole("log", { name: "Messages", exact: true }),
  message: page.getByRole("textbox", { name: "Message", exact: true }),
  send: page.getByRole("button", { name: "Send", exact: true }),
});

async function signIn(page, origin, user) {
  const u = ui(page);
  await page.goto(`${origin}/`);
  try {
    await u.username.waitFor({ timeout: 20_000 });
  } catch (e) {
    const text = await page.evaluate(() => document.body?.innerText ?? "").catch(() => "");
    throw new Error(`no sign-in form at ${origin}/ (page says: ${JSON.stringify(text.slice(0, 300))}): ${e.message}`);
  }
  await u.username.fill(user.username);
  await u.password.fill(user.password);
  await u.signIn.click();
  await u.nav.waitFor({ state: "visible" });
}

/** A signed-in cookie session for `user`, as storage state for new contexts. */
async function sessionState(browser, origin, user) {
  const { ctx, page } = await newContext(browser);
  await signIn(page, origin, user);
  const state = await ctx.storageState();
  await ctx.close();
  return state;
}

/** One page load of `/` until the Conversations navigation holds `expectLinks` links. */
async function measureLoad(page, origin, expectLinks, label) {
  const apiCalls = [];
  let inFlight = 0;
  let lastActivity = performance.now();
  const isApi = (r) => new URL(r.url()).pathname.startsWith("/api/");
  const onReq = (r) => {
    if (!isApi(r)) return;
    apiCalls.push(`${r.method()} ${new URL(r.url()).pathname}`);
    inFlight++;
    lastActivity = performance.now();
  };
  const onDone = (r) => {
    if (!isApi(r)) return;
    inFlight--;
    lastActivity = performance.now();
  };
  page.on("request", onReq);
  page.on("requestfinished", onDone);
  page.on("requestfailed", onDone);
  const t0 = performance.now();
  await page.goto(`${origin}/`, { waitUntil: "commit" });
  await page.waitForFunction(() => window.__bench && window.__bench.navFrameAt !== null, null, { timeout: 120_000, polling: 50 });
  const wall = performance.now() - t0;
  // Not timed: let the page's own follow-up requests finish, so they do not
  // run into the next load.
  const q0 = performance.now();
  while (performance.now() - q0 < 30_000 && (inFlight > 0 || performance.now() - lastActivity < 500)) await sleep(50);
  page.off("request", onReq);
  page.off("requestfinished", onDone);
  page.off("requestfailed", onDone);
  const m = await page.evaluate(() => {
    const B = window.__bench;
    const nav = performance.getEntriesByType("navigation")[0];
    const paints = Object.fromEntries(performance.getEntriesByType("paint").map((p) => [p.name, p.startTime]));
    const res = performance.getEntriesByType("resource").map((r) => ({
      path: new URL(r.name).pathname,
      start: r.startTime,
      end: r.responseEnd,
      transfer: r.transferSize,
      encoded: r.encodedBodySize,
      decoded: r.decodedBodySize,
    }));
    const tbt = B.longtasks.filter((t) => t.start < B.navReadyAt).reduce((a, t) => a + Math.max(0, t.duration - 50), 0);
    return {
      navReadyAt: B.navReadyAt,
      navFrameAt: B.navFrameAt,
      navLinks: B.navLinks,
      fcp: paints["first-contentful-paint"] ?? null,
      fp: paints["first-paint"] ?? null,
      ttfb: nav.responseStart,
      domInteractive: nav.domInteractive,
      dcl: nav.domContentLoadedEventEnd,
      docTransfer: nav.transferSize,
      res,
      longtasks: B.longtasks.length,
      tbt,
      domElements: document.getElementsByTagName("*").length,
    };
  });
  // The element the in-page timer saw is the one the contract names.
  const links = await ui(page).nav.getByRole("link").count();
  if (links < expectLinks) throw new Error(`${label}: navigation Conversations has ${links} links, expected ${expectLinks}`);
  const asset = (ext) => m.res.filter((r) => r.path.startsWith("/assets/") && r.path.endsWith(ext));
  const apiEnd = (p) => m.res.filter((r) => r.path === p).map((r) => r.end)[0] ?? null;
  return {
    wall,
    ...m,
    links,
    apiCalls,
    jsTransfer: asset(".js").reduce((a, r) => a + r.transfer, 0),
    cssTransfer: asset(".css").reduce((a, r) => a + r.transfer, 0),
    sessionEnd: apiEnd("/api/v1/auth/session"),
    conversationsEnd: apiEnd("/api/v1/conversations"),
    res: undefined,
  };
}

/**
 * One more load of `/`, then every API request until none has started or
 * finished for 1.5 s (at most 60 s): what a page load costs the server.
 */
async function measureSettle(page, origin) {
  const reqs = [];
  let lastActivity = performance.now();
  let inFlight = 0;
  const onReq = (r) => {
    const u = new URL(r.url());
    if (!u.pathname.startsWith("/api/")) return;
    reqs.push(`${r.method()} ${u.pathname.replace(/\/[0-9a-f]{8}-[0-9a-f-]{27,}/g, "/{id}")}`);
    inFlight++;
    lastActivity = performance.now();
  };
  const onDone = (r) => {
    if (!new URL(r.url()).pathname.startsWith("/api/")) return;
    inFlight--;
    lastActivity = performance.now();
  };
  page.on("request", onReq);
  page.on("requestfinished", onDone);
  page.on("requestfailed", onDone);
  const t0 = performance.now();
  await page.goto(`${origin}/`, { waitUntil: "commit" });
  await page.waitForFunction(() => window.__bench && window.__bench.navFrameAt !== null, null, { timeout: 120_000 });
  while (performance.now() - t0 < 60_000 && (inFlight > 0 || performance.now() - lastActivity < 1500)) await sleep(100);
  page.off("request", onReq);
  page.off("requestfinished", onDone);
  page.off("requestfailed", onDone);
  return { quietAfterMs: lastActivity - t0, total: reqs.length, byKind: countBy(reqs) };
}

function loadRow(name, runs) {
  const s = (k) => stats(runs.map((r) => r[k]));
  return { name, n: runs.length, navReady: s("navReadyAt"), navFrame: s("navFrameAt"), fcp: s("fcp"), ttfb: s("ttfb"), dcl: s("dcl"), wall: s("wall"), conversationsEnd: s("conversationsEnd"), tbt: s("tbt"), jsTransfer: s("jsTransfer"), cssTransfer: s("cssTransfer"), apiCalls: runs[0]?.apiCalls };
}

// ---- section 1: bytes shipped ---------------------------------------------

async function sectionSizes(server) {
  const files = readdirSync(join(DIST, "assets")).sort();
  const dist = files.map((f) => {
    const b = readFileSync(join(DIST, "assets", f));
    return {
      file: f,
      raw: b.length,
      gzip9: zlib.gzipSync(b, { level: 9 }).length,
      br11: zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length } }).length,
    };
  });
  const idx = readFileSync(join(DIST, "index.html"));
  dist.push({ file: "index.html", raw: idx.length, gzip9: zlib.gzipSync(idx, { level: 9 }).length, br11: zlib.brotliCompressSync(idx).length });

  // What the running binary sends (its embedded copy, compressed at build time in release builds).
  const home = await server.request("GET", "/", { headers: { accept: "text/html", "accept-encoding": "identity" } });
  const html = home.raw.toString("utf8");
  const paths = ["/", ...[...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1])];
  const served = [];
  for (const p of paths) {
    const row = { path: p };
    for (const enc of ["identity", "gzip", "br"]) {
      const r = await server.request("GET", p, { headers: { accept: p === "/" ? "text/html" : "*/*", "accept-encoding": enc } });
      row[enc] = { status: r.status, bytes: r.raw.length, encoding: r.headers["content-encoding"] ?? "identity" };
      if (enc === "identity") {
        row.cacheControl = r.headers["cache-control"] ?? "";
        row.raw = r.raw.length;
        row.gzip9 = zlib.gzipSync(r.raw, { level: 9 }).length;
        row.br11 = zlib.brotliCompressSync(r.raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: r.raw.length } }).length;
      }
    }
    served.push(row);
  }
  const distNames = new Set(files.map((f) => `/assets/${f}`));
  const mismatch = paths.filter((p) => p !== "/" && !distNames.has(p));
  return { dist, served, mismatch };
}

// JavaScript and CSS coverage of the clinician's main screen (cold load, list shown).
async function coverage(browser, server, state, expectLinks) {
  const { ctx, page } = await newContext(browser, { storageState: state, expectLinks });
  await page.coverage.startJSCoverage({ resetOnNavigation: false });
  await page.coverage.startCSSCoverage({ resetOnNavigation: false });
  await page.goto(`${server.origin}/`);
  await page.waitForFunction(() => window.__bench.navFrameAt !== null, null, { timeout: 60_000 });
  await sleep(500);
  const js = await page.coverage.stopJSCoverage();
  const css = await page.coverage.stopCSSCoverage();
  await ctx.close();
  const out = [];
  for (const e of js) {
    if (!new URL(e.url).pathname.startsWith("/assets/")) continue;
    const len = e.source?.length ?? 0;
    const used = new Uint8Array(len);
    // V8 block coverage: each function's ranges, outer first; inner ranges override.
    for (const fn of e.functions) for (const r of fn.ranges) used.fill(r.count > 0 ? 1 : 0, r.startOffset, r.endOffset);
    out.push({ url: new URL(e.url).pathname, total: len, used: used.reduce((a, b) => a + b, 0) });
  }
  for (const e of css) {
    if (!new URL(e.url).pathname.startsWith("/assets/")) continue;
    const used = e.ranges.reduce((a, r) => a + (r.end - r.start), 0);
    out.push({ url: new URL(e.url).pathname, total: e.text.length, used });
  }
  return out;
}

// ---- data ------------------------------------------------------------------

const LOREM = [
  "Patient in bay 4 asking about discharge timing, can you review before rounds?",
  "Bloods back, potassium 3.2, repeat in the morning.",
  "Thanks, seen. Plan unchanged; family updated by phone at 14:00 and happy with the plan so far.",
  "Can someone cover the 3pm handover? I am stuck in theatre.",
  "Observations stable overnight. Pain controlled with regular paracetamol. Mobilising with physio, aim for discharge tomorrow if the repeat bloods are fine and the wound review is satisfactory.",
  "OK",
];

async function seedConversation(server, a, b, n, concurrency = 16) {
  const conv = await server.api("POST", "/api/v1/conversations", { token: a.token, json: { kind: "direct", member_ids: [b.id] } });
  const t0 = performance.now();
  await pool(
    Array.from({ length: n }, (_, i) => i),
    concurrency,
    async (i) => {
      const sender = i % 2 ? b : a;
      await server.api("POST", `/api/v1/conversations/${conv.id}/messages`, {
        token: sender.token,
        json: { body: `#m${String(i + 1).padStart(5, "0")}# ${LOREM[i % LOREM.length]}`, client_id: `seed-${i}` },
      });
    },
  );
  const secs = (performance.now() - t0) / 1000;
  const first = (await server.api("GET", `/api/v1/conversations/${conv.id}/messages?after_seq=0&limit=1`, { token: a.token })).messages[0];
  const last = (await server.api("GET", `/api/v1/conversations/${conv.id}/messages?after_seq=${n - 1}&limit=1`, { token: a.token })).messages[0];
  if (!first || !last || last.seq !== n) throw new Error(`seeded conversation has no message ${n} (last: ${last?.seq})`);
  const marker = (m) => /#m\d{5}#/.exec(m.body)[0];
  return { conv, secs, firstMarker: marker(first), lastMarker: marker(last) };
}

// ---- section 3: a conversation of N messages -------------------------------

async function sectionLong(browser, server, opts) {
  const maya = await server.createUser("maya", "Maya Reader");
  const omar = await server.createUser("omar", "Omar Writer");
  console.error(`seeding ${opts.messages} messages…`);
  const seed = await seedConversation(server, maya, omar, opts.messages);
  console.error(`  ${opts.messages} messages in ${seed.secs.toFixed(1)} s (${(opts.messages / seed.secs).toFixed(0)}/s, 16 in flight)`);
  const state = await sessionState(browser, server.origin, maya);
  const { ctx, page, errors } = await newContext(browser, { storageState: state, expectLinks: 1 });
  const runs = [];
  const scrolls = [];
  for (let run = 0; run < opts.longRuns + 1; run++) {
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => window.__bench.navFrameAt !== null, null, { timeout: 60_000 });
    const reqs = [];
    const onReq = (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith("/api/")) reqs.push({ at: performance.now(), what: `${r.method()} ${u.pathname.replace(/\/[A-Za-z0-9_-]{16,}/g, "/{id}")}` });
    };
    page.on("request", onReq);
    // Arm: the click time (event timestamp) and the first moment the newest
    // message's article is in the Messages log and inside its viewport.
    await page.evaluate((marker) => {
      const W = (window.__open = { clickAt: null, renderedAt: null, frameAt: null });
      document.addEventListener("click", (e) => { if (W.clickAt === null) W.clickAt = e.timeStamp; }, { capture: true, once: true });
      const check = () => {
        if (W.renderedAt !== null) return;
        const log = document.querySelector('[role="log"][aria-label="Messages"]');
        if (!log) return;
        const box = log.getBoundingClientRect();
        for (const a of log.querySelectorAll("article")) {
          if (!a.textContent.includes(marker)) continue;
          const r = a.getBoundingClientRect();
          if (r.bottom > box.top && r.top < box.bottom && r.height > 0) {
            W.renderedAt = performance.now();
            mo.disconnect();
            requestAnimationFrame(() => (W.frameAt = performance.now()));
            return;
          }
        }
      };
      const mo = new MutationObserver(check);
      mo.observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ["style"] });
    }, seed.lastMarker);
    await ui(page).nav.getByRole("link", { name: /Omar Writer/ }).click();
    await page.waitForFunction(() => window.__open.frameAt !== null, null, { timeout: 60_000, polling: 50 });
    await sleep(300);
    const dom = await page.evaluate(() => {
      const log = document.querySelector('[role="log"][aria-label="Messages"]');
      const tbt = window.__bench.longtasks;
      return {
        clickToRender: window.__open.renderedAt - window.__open.clickAt,
        clickToFrame: window.__open.frameAt - window.__open.clickAt,
        articles: log.querySelectorAll("article").length,
        domElements: document.getElementsByTagName("*").length,
        scrollHeight: log.scrollHeight,
      };
    });
    const newest = await ui(page).log.getByRole("article").filter({ hasText: seed.lastMarker }).count();
    if (newest !== 1) throw new Error(`the newest message's article is not in the Messages log (${newest})`);
    const openReqs = reqs.map((r) => r.what);
    if (run > 0) runs.push({ ...dom, requests: openReqs });

    if (run > 0 && scrolls.length < opts.scrollRuns) {
      reqs.length = 0;
      const cdp = await ctx.newCDPSession(page);
      await cdp.send("Performance.enable");
      const sc = await page.evaluate(async (firstMarker) => {
        const log = document.querySelector('[role="log"][aria-label="Messages"]');
        const t0 = performance.now();
        const gaps = [];
        const resBefore = performance.getEntriesByType("resource").length;
        const ltBefore = window.__bench.longtasks.length;
        let maxArticles = 0;
        let clicks = 0;
        return await new Promise((res) => {
          let last = t0;
          const step = (now) => {
            gaps.push(now - last);
            last = now;
            maxArticles = Math.max(maxArticles, log.querySelectorAll("article").length);
            const top = [...log.querySelectorAll("article")].find((a) => a.textContent.includes(firstMarker));
            const start = /Start of the conversation/.test(log.firstElementChild?.textContent ?? "");
            if ((top && start) || now - t0 > 300_000) {
              const fetches = performance
                .getEntriesByType("resource")
                .slice(resBefore)
                .filter((r) => /\/conversations\/[^/]+\/messages\?/.test(r.name))
                .map((r) => r.duration);
              const lts = window.__bench.longtasks.slice(ltBefore);
              res({
                reached: !!(top && start),
                clicks,
                ms: now - t0,
                frames: gaps.length,
                gaps,
                fetches,
                longtasks: lts.length,
                longtaskMax: lts.reduce((a, t) => Math.max(a, t.duration), 0),
                articlesAtTop: log.querySelectorAll("article").length,
                maxArticles,
                domElements: document.getElementsByTagName("*").length,
                scrollHeight: log.scrollHeight,
              });
              return;
            }
            if (log.scrollTop > 0) {
              log.scrollTop = 0;
            } else {
              // Already at the top with no scroll event to come: a reader
              // presses the log's own "Load earlier messages" button.
              const btn = [...log.querySelectorAll("button")].find((b) => b.textContent.trim() === "Load earlier messages");
              if (btn) {
                clicks++;
                btn.click();
              }
            }
            requestAnimationFrame(step);
          };
          requestAnimationFrame(step);
        });
      }, seed.firstMarker);
      const { metrics } = await cdp.send("Performance.getMetrics");
      await cdp.detach();
      const met = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
      const first = await ui(page).log.getByRole("article").filter({ hasText: seed.firstMarker }).count();
      scrolls.push({
        ...sc,
        firstArticleFound: first === 1,
        gapStats: stats(sc.gaps),
        gaps: undefined,
        fetchStats: stats(sc.fetches),
        fetches: sc.fetches.length,
        heapMB: met.JSHeapUsedSize / 1048576,
        nodes: met.Nodes,
        requests: countBy(reqs.map((r) => r.what)),
      });
    }
    page.off("request", onReq);
  }
  await ctx.close();
  return {
    seedSecs: seed.secs,
    messages: opts.messages,
    open: {
      clickToRender: stats(runs.map((r) => r.clickToRender)),
      clickToFrame: stats(runs.map((r) => r.clickToFrame)),
      articles: stats(runs.map((r) => r.articles)),
      domElements: stats(runs.map((r) => r.domElements)),
      requests: countBy(runs[0].requests),
    },
    scrolls,
    errors,
  };
}

function countBy(xs) {
  const m = {};
  for (const x of xs) m[x] = (m[x] ?? 0) + 1;
  return m;
}

// ---- section 4: a list of N conversations ----------------------------------

async function sectionList(browser, server, opts) {
  const nina = await server.createUser("nina", "Nina Many");
  const others = [];
  for (let i = 0; i < 4; i++) others.push(await server.createUser(`colleague${i}`, `Colleague ${String.fromCharCode(65 + i)}`));
  console.error(`seeding ${opts.conversations} conversations…`);
  const t0 = performance.now();
  await pool(
    Array.from({ length: opts.conversations }, (_, i) => i),
    16,
    async (i) => {
      const o = others[i % others.length];
      const c = await server.api("POST", "/api/v1/conversations", {
        token: nina.token,
        json: { kind: "group", title: `Ward ${Math.floor(i / 20) + 1} bed ${(i % 20) + 1}`, member_ids: [o.id, others[(i + 1) % others.length].id] },
      });
      await server.api("POST", `/api/v1/conversations/${c.id}/messages`, { token: o.token, json: { body: `Handover note ${i}: stable.` } });
    },
  );
  const seedSecs = (performance.now() - t0) / 1000;
  const listResp = await server.request("GET", "/api/v1/conversations", { token: nina.token, headers: { "accept-encoding": "identity" } });
  const listCount = JSON.parse(listResp.raw.toString("utf8")).conversations.length;
  if (listCount !== opts.conversations) throw new Error(`GET /api/v1/conversations lists ${listCount}, expected ${opts.conversations}`);
  const state = await sessionState(browser, server.origin, nina);
  const n = opts.conversations;
  const cold = [];
  const runs = Math.max(3, Math.round(opts.runs / 2));
  for (let i = 0; i < runs + 1; i++) {
    const { ctx, page } = await newContext(browser, { storageState: state, expectLinks: n });
    const r = await measureLoad(page, server.origin, n, "list cold");
    if (i > 0) cold.push(r);
    await ctx.close();
  }
  const { ctx, page, errors } = await newContext(browser, { storageState: state, expectLinks: n });
  await measureLoad(page, server.origin, n, "list warm prime");
  const warm = [];
  for (let i = 0; i < runs; i++) warm.push(await measureLoad(page, server.origin, n, "list warm"));
  const settle = await measureSettle(page, server.origin);
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("Performance.enable");
  const { metrics } = await cdp.send("Performance.getMetrics");
  const met = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
  // Responsiveness of the long list: scroll it to the bottom, frame by frame.
  const scroll = await page.evaluate(async () => {
    const nav = document.querySelector('nav[aria-label="Conversations"]');
    let el = nav;
    while (el && el !== document.body && el.scrollHeight <= el.clientHeight + 1) el = el.parentElement;
    const scroller = el && el !== document.body ? el : document.scrollingElement;
    const gaps = [];
    let last = performance.now();
    const t0 = last;
    return await new Promise((res) => {
      const step = (now) => {
        gaps.push(now - last);
        last = now;
        scroller.scrollTop += 400;
        if (scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 1 || now - t0 > 30_000) res({ ms: now - t0, gaps, height: scroller.scrollHeight });
        else requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    });
  });
  await ctx.close();
  return {
    n,
    seedSecs,
    settle,
    listBytes: listResp.raw.length,
    cold: loadRow(`${n} conversations, cold`, cold),
    warm: loadRow(`${n} conversations, warm`, warm),
    domElements: warm[warm.length - 1].domElements,
    links: warm[warm.length - 1].links,
    heapMB: met.JSHeapUsedSize / 1048576,
    nodes: met.Nodes,
    scroll: { ms: scroll.ms, frames: scroll.gaps.length, gapStats: stats(scroll.gaps), height: scroll.height },
    errors,
  };
}

// ---- section 5: send → render between two browsers -------------------------

async function sectionLatency(browser, server, opts) {
  const ava = await server.createUser("ava", "Ava Sender");
  const ben = await server.createUser("ben", "Ben Receiver");
  await server.api("POST", "/api/v1/conversations", { token: ava.token, json: { kind: "direct", member_ids: [ben.id] } });
  const A = await newContext(browser, { expectLinks: 1 });
  const B = await newContext(browser, { expectLinks: 1 });
  await signIn(A.page, server.origin, ava);
  await signIn(B.page, server.origin, ben);
  // The signed-out probe's documented 401 before sign-in is not an error.
  A.errors.length = 0;
  B.errors.length = 0;
  await ui(A.page).nav.getByRole("link", { name: /Ben Receiver/ }).click();
  await ui(B.page).nav.getByRole("link", { name: /Ava Sender/ }).click();
  await ui(A.page).message.waitFor();
  await ui(B.page).log.waitFor();
  await ui(A.page).log.waitFor();

  // B: report each new probe article once, with its epoch time in B's page.
  const waiting = new Map();
  await B.page.exposeFunction("__benchSeen", (marker, epoch) => {
    const w = waiting.get(marker);
    if (w) {
      waiting.delete(marker);
      w({ nodeAt: performance.now(), epoch });
    }
  });
  const watch = (marker) => {
    const log = document.querySelector('[role="log"][aria-label="Messages"]');
    const mo = new MutationObserver(() => {
      for (const a of log.querySelectorAll("article")) {
        if (a.textContent.includes(marker)) {
          const epoch = performance.timeOrigin + performance.now();
          mo.disconnect();
          window.__benchSeen(marker, epoch);
          return;
        }
      }
    });
    mo.observe(log, { childList: true, subtree: true, characterData: true });
  };
  // A: the Send click's epoch time, and when its own article shows (pending, then confirmed).
  await A.page.evaluate(() => {
    window.__send = { clickEpoch: null };
    document.addEventListener(
      "click",
      (e) => {
        const b = e.target instanceof Element ? e.target.closest("button") : null;
        if (b && b.textContent.trim() === "Send") window.__send.clickEpoch = performance.timeOrigin + e.timeStamp;
      },
      { capture: true },
    );
  });
  const visibility = await B.page.evaluate(() => document.visibilityState);
  const out = [];
  for (let i = 0; i < opts.sends + 3; i++) {
    const marker = `LAT${i}x${randomBytes(4).toString("hex")}`;
    const body = `Latency probe ${marker}`;
    await ui(A.page).message.fill(body);
    await B.page.evaluate(watch, marker);
    await A.page.evaluate((marker) => {
      const W = (window.__own = { marker, shownEpoch: null, confirmedEpoch: null });
      const log = document.querySelector('[role="log"][aria-label="Messages"]');
      const mo = new MutationObserver(() => {
        for (const a of log.querySelectorAll("article")) {
          if (!a.textContent.includes(marker)) continue;
          const now = performance.timeOrigin + performance.now();
          if (W.shownEpoch === null) W.shownEpoch = now;
          if (!a.classList.contains("pending") && !a.textContent.includes("Sending")) {
            W.confirmedEpoch = now;
            mo.disconnect();
          }
          return;
        }
      });
      mo.observe(log, { childList: true, subtree: true, characterData: true, attributes: true });
    }, marker);
    const seen = new Promise((res, rej) => {
      waiting.set(marker, res);
      setTimeout(() => rej(new Error(`B did not show ${marker} within 15 s`)), 15_000).unref();
    });
    const t0 = performance.now();
    await ui(A.page).send.click();
    const s = await seen;
    await A.page.waitForFunction(() => window.__own.confirmedEpoch !== null, null, { timeout: 15_000, polling: 20 });
    const a = await A.page.evaluate(() => ({ click: window.__send.clickEpoch, own: window.__own }));
    if (i >= 3) {
      out.push({
        node: s.nodeAt - t0,
        page: s.epoch - a.click,
        ownShown: a.own.shownEpoch - a.click,
        ownConfirmed: a.own.confirmedEpoch - a.click,
      });
    }
    await sleep(250); // idle between sends
  }
  const check = await ui(B.page).log.getByRole("article").filter({ hasText: "Latency probe" }).count();
  await A.ctx.close();
  await B.ctx.close();
  return {
    sends: out.length,
    bVisibility: visibility,
    bArticles: check,
    page: stats(out.map((x) => x.page)),
    node: stats(out.map((x) => x.node)),
    ownShown: stats(out.map((x) => x.ownShown)),
    ownConfirmed: stats(out.map((x) => x.ownConfirmed)),
    errors: [...A.errors, ...B.errors],
  };
}

// ---- section 2: load of the conversation list ------------------------------

async function sectionLoad(browser, server, opts) {
  const lena = await server.createUser("lena", "Lena Load");
  const peers = [];
  for (let i = 0; i < 3; i++) peers.push(await server.createUser(`peer${i}`, `Peer ${String.fromCharCode(75 + i)}`));
  const N = 10;
  for (let i = 0; i < N; i++) {
    const c = await server.api("POST", "/api/v1/conversations", {
      token: lena.token,
      json: { kind: "group", title: `Team ${i + 1}`, member_ids: [peers[i % 3].id, peers[(i + 1) % 3].id] },
    });
    for (let k = 0; k < 3; k++) {
      const who = k % 2 ? lena : peers[i % 3];
      await server.api("POST", `/api/v1/conversations/${c.id}/messages`, { token: who.token, json: { body: `${LOREM[k]} (${i}.${k})` } });
    }
  }
  const state = await sessionState(browser, server.origin, lena);
  const cold = [];
  for (let i = 0; i < opts.runs + 1; i++) {
    const { ctx, page } = await newContext(browser, { storageState: state, expectLinks: N });
    const r = await measureLoad(page, server.origin, N, "cold");
    if (i > 0) cold.push(r);
    await ctx.close();
  }
  const { ctx, page, errors } = await newContext(browser, { storageState: state, expectLinks: N });
  await measureLoad(page, server.origin, N, "warm prime");
  const warm = [];
  for (let i = 0; i < opts.runs; i++) warm.push(await measureLoad(page, server.origin, N, "warm"));
  const settle = await measureSettle(page, server.origin);
  await ctx.close();
  const cov = opts.sections.includes("sizes") ? await coverage(browser, server, state, N) : [];
  return { conversations: N, settle, cold: loadRow(`${N} conversations, cold (new context)`, cold), warm: loadRow(`${N} conversations, warm (cached assets)`, warm), coverage: cov, errors };
}

// ---- report ----------------------------------------------------------------

function settleLine(st) {
  const kinds = Object.entries(st.byKind).map(([k, v]) => `${k} ×${v}`).join(", ");
  return `API requests of one warm load until the page is quiet (no request for 1.5 s): ${st.total} (${kinds}); the last one ended ${f0(st.quietAfterMs)} ms after navigation.`;
}

function report(R) {
  const L = [];
  const p = (s = "") => L.push(s);
  p(`# hippo web client benchmark`);
  p();
  p(`- when: ${R.env.when}`);
  p(`- binary: ${R.env.binary} (${R.env.binaryKind}, built ${R.env.binaryMtime}, sha256 ${R.env.binarySha256.slice(0, 16)}…)`);
  p(`- Chromium: ${R.env.chromium} headless; viewport 1280×800; loopback TLS`);
  p(`- machine: ${R.env.cpus} × ${R.env.cpuModel}; load average (1/5/15 min) at start ${R.env.loadStart}, at end ${R.env.loadEnd}; at the start of each section: ${Object.entries(R.env.sectionLoad).map(([k, v]) => `${k} ${v}`).join("; ")}`);
  p(`- node ${process.version}, playwright-core 1.65.1`);
  p();
  if (R.sizes) {
    const S = R.sizes;
    p(`## 1. Bytes shipped: what the binary serves`);
    p();
    p(`Body bytes on the wire for \`/\` and each asset it names, by \`Accept-Encoding\` (the server's own compression), next to node:zlib's gzip -9 and brotli q11 of the same (identity) bytes.`);
    p();
    p(`| path | raw (identity) | server gzip | server br | node gzip -9 | node brotli q11 | Cache-Control |`);
    p(`|---|---:|---:|---:|---:|---:|---|`);
    const enc = (s, e) => `${s[e].bytes} B${s[e].encoding === "identity" ? " (not compressed)" : ""}${s[e].status !== 200 ? ` status ${s[e].status}` : ""}`;
    for (const s of S.served) p(`| ${s.path} | ${s.raw} B | ${enc(s, "gzip")} | ${enc(s, "br")} | ${s.gzip9} B | ${s.br11} B | ${s.cacheControl} |`);
    const sjs = S.served.filter((s) => s.path.endsWith(".js"));
    const scss = S.served.filter((s) => s.path.endsWith(".css"));
    const tot = (xs, f) => xs.reduce((a, x) => a + f(x), 0);
    for (const [name, xs] of [["all JS", sjs], ["all CSS", scss]]) {
      p(`| **${name}** | ${kb(tot(xs, (x) => x.raw))} KiB | **${kb(tot(xs, (x) => x.gzip.bytes))} KiB** | **${kb(tot(xs, (x) => x.br.bytes))} KiB** | ${kb(tot(xs, (x) => x.gzip9))} KiB | ${kb(tot(xs, (x) => x.br11))} KiB | |`);
    }
    p();
    p(`web/dist at the time of the run (node:zlib):`);
    p();
    p(`| file | raw | gzip -9 | brotli q11 |`);
    p(`|---|---:|---:|---:|`);
    for (const d of S.dist) p(`| ${d.file} | ${d.raw} B | ${d.gzip9} B | ${d.br11} B |`);
    if (S.mismatch.length) p(`\nweb/dist has been rebuilt since this binary embedded it: the binary serves ${S.mismatch.join(", ")}, which web/dist no longer has. The numbers above the web/dist table are the served ones.`);
    p();
    if (R.load?.coverage?.length) {
      p(`Coverage on the clinician's main screen (cold load until the list shows, +500 ms):`);
      p();
      p(`| asset | bytes | used | unused |`);
      p(`|---|---:|---:|---:|`);
      for (const c of R.load.coverage) p(`| ${c.url} | ${c.total} | ${c.used} (${((100 * c.used) / c.total).toFixed(0)} %) | ${c.total - c.used} |`);
      p();
    }
  }
  const loadTable = (rows) => {
    p(`| case | runs | list shown (median / p95) | next frame (median / p95) | FCP (median / p95) | TTFB | DOMContentLoaded | GET conversations done | node wall (median / p95) | TBT median | JS transfer | CSS transfer |`);
    p(`|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
    for (const r of rows) {
      p(
        `| ${r.name} | ${r.n} | ${f1(r.navReady.median)} / ${f1(r.navReady.p95)} ms | ${f1(r.navFrame.median)} / ${f1(r.navFrame.p95)} ms | ${f1(r.fcp.median)} / ${f1(r.fcp.p95)} ms | ${f1(r.ttfb.median)} ms | ${f1(r.dcl.median)} ms | ${f1(r.conversationsEnd.median)} ms | ${f1(r.wall.median)} / ${f1(r.wall.p95)} ms | ${f0(r.tbt.median)} ms | ${f0(r.jsTransfer.median)} B | ${f0(r.cssTransfer.median)} B |`,
      );
    }
    p();
  };
  if (R.load) {
    p(`## 2. Navigation to an interactive conversation list (signed-in cookie session, ${R.load.conversations} conversations)`);
    p();
    p(`Times are from the navigation's start (performance.timeOrigin). "list shown": a MutationObserver sees the navigation named Conversations holding all its links; "next frame": the requestAnimationFrame after that. "node wall": page.goto() to the wait resolving, measured in node (includes CDP round trips).`);
    p();
    loadTable([R.load.cold, R.load.warm]);
    p(settleLine(R.load.settle));
    p();
  }
  if (R.long) {
    const G = R.long;
    p(`## 3. A conversation of ${G.messages} messages`);
    p();
    p(`Seeded through the API in ${G.seedSecs.toFixed(1)} s (${(G.messages / G.seedSecs).toFixed(0)} messages/s, 16 requests in flight, two senders). Each run: fresh load of /, then click the conversation's link; the clock runs from the click event's timestamp to the newest message's article being in the Messages log and inside its visible box.`);
    p();
    p(`| measure | runs | median | p95 | max |`);
    p(`|---|---:|---:|---:|---:|`);
    p(`| click → newest article in view | ${G.open.clickToRender.n} | ${f1(G.open.clickToRender.median)} ms | ${f1(G.open.clickToRender.p95)} ms | ${f1(G.open.clickToRender.max)} ms |`);
    p(`| click → next frame after it | ${G.open.clickToFrame.n} | ${f1(G.open.clickToFrame.median)} ms | ${f1(G.open.clickToFrame.p95)} ms | ${f1(G.open.clickToFrame.max)} ms |`);
    p(`| article elements in the log after opening | ${G.open.articles.n} | ${f0(G.open.articles.median)} | | ${f0(G.open.articles.max)} |`);
    p(`| elements in the whole document | ${G.open.domElements.n} | ${f0(G.open.domElements.median)} | | ${f0(G.open.domElements.max)} |`);
    p();
    p(`API requests when opening: ${Object.entries(G.open.requests).map(([k, v]) => `${k} ×${v}`).join(", ")}`);
    p();
    if (G.scrolls.length) {
      p(`Scrolling back to message 1: on every animation frame the log's scrollTop is set to 0 if it is not 0; when it already is 0 (no scroll event can come) the log's "Load earlier messages" button is clicked, as a reader would; until message 1's article and "Start of the conversation" show.`);
      p();
      p(`| run | reached message 1 | time | button clicks needed | older-page fetches (median fetch) | frames | frame gap median / p95 / max | long tasks (max) | articles in DOM at top (max during) | JS heap | DOM nodes |`);
      p(`|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
      G.scrolls.forEach((s, i) =>
        p(
          `| ${i + 1} | ${s.reached && s.firstArticleFound ? "yes" : "NO"} | ${(s.ms / 1000).toFixed(2)} s | ${s.clicks} | ${s.fetches} (${f1(s.fetchStats.median)} ms) | ${s.frames} | ${f1(s.gapStats.median)} / ${f1(s.gapStats.p95)} / ${f1(s.gapStats.max)} ms | ${s.longtasks} (${f0(s.longtaskMax)} ms) | ${s.articlesAtTop} (${s.maxArticles}) | ${s.heapMB.toFixed(1)} MB | ${s.nodes} |`,
        ),
      );
      p();
      p(`API requests during the first scroll to the top: ${Object.entries(G.scrolls[0].requests).map(([k, v]) => `${k} ×${v}`).join(", ")}`);
      p();
    }
  }
  if (R.list) {
    const T = R.list;
    p(`## 4. A list of ${T.n} conversations`);
    p();
    p(`Seeded in ${T.seedSecs.toFixed(1)} s (group conversations with a title and one message each). GET /api/v1/conversations: ${T.listBytes} B (${kb(T.listBytes)} KiB, uncompressed).`);
    p();
    loadTable([T.cold, T.warm]);
    p(`DOM after load: ${T.domElements} elements in the document, ${T.links} links in the navigation (not windowed); ${T.nodes} DOM nodes, JS heap ${T.heapMB.toFixed(1)} MB (CDP Performance.getMetrics).`);
    p(`Scrolling the list to its end at 400 px per frame: ${T.scroll.frames} frames in ${f0(T.scroll.ms)} ms, frame gap median ${f1(T.scroll.gapStats.median)} / p95 ${f1(T.scroll.gapStats.p95)} / max ${f1(T.scroll.gapStats.max)} ms.`);
    p(settleLine(T.settle));
    p();
  }
  if (R.latency) {
    const X = R.latency;
    p(`## 5. Send → render between two browsers, idle (${X.sends} sends, 250 ms apart, after 3 warm-up sends)`);
    p();
    p(`A and B are two contexts (two users) in one Chromium, both with the conversation open (B's page visibility: ${X.bVisibility}). "in-page": A's Send click event (performance.timeOrigin + event.timeStamp) to B's MutationObserver seeing the article with the unique text (timeOrigin + now), same machine clock. "node": before locator.click() in A to B's exposeFunction callback arriving in node.`);
    p();
    if (Math.ceil(0.99 * X.sends) >= X.sends) p(`(With ${X.sends} samples the nearest-rank p99 is the largest sample.)`);
    p();
    p(`| measure | n | median | p95 | p99 | max |`);
    p(`|---|---:|---:|---:|---:|---:|`);
    const row = (n, s) => p(`| ${n} | ${s.n} | ${f1(s.median)} ms | ${f1(s.p95)} ms | ${f1(s.p99)} ms | ${f1(s.max)} ms |`);
    row("A click → B shows the article (in-page clocks)", X.page);
    row("A click → B shows the article (node clock)", X.node);
    row("A click → A shows its own article (pending)", X.ownShown);
    row("A click → A's article confirmed (no longer Sending…)", X.ownConfirmed);
    p();
  }
  const errs = [...(R.load?.errors ?? []), ...(R.long?.errors ?? []), ...(R.list?.errors ?? []), ...(R.latency?.errors ?? [])];
  p(errs.length ? `Console/page errors seen: ${[...new Set(errs)].slice(0, 20).join("; ")}` : `No console errors or page errors were seen in the measured pages.`);
  return L.join("\n");
}

// ---- main ------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
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
