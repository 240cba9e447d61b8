// The browser side: Chromium launch, contexts with the in-page probe, the
// role/name locators (ui), sign-in and cookie sessions, and the page-load
// measurements shared by the sections (measureLoad, measureSettle, loadRow).

import { chromium } from "playwright-core";
import { setTimeout as sleep } from "node:timers/promises";
import { performance } from "node:perf_hooks";
import { CHROMIUM } from "./options.mjs";
import { stats, countBy } from "./stats.mjs";

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

export { pageProbe, launch, newContext, ui, signIn, sessionState, measureLoad, measureSettle, loadRow };
