// The five measured sections: 1 sizes (bytes shipped, coverage), 2 load (the
// conversation list), 3 long (a conversation of N messages), 4 list (N
// conversations), 5 latency (send → render between two browsers). Each returns
// the raw results that report() formats.

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import zlib from "node:zlib";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { performance } from "node:perf_hooks";
import { DIST } from "./options.mjs";
import { stats, countBy } from "./stats.mjs";
import { pool } from "./server.mjs";
import { newContext, ui, signIn, sessionState, measureLoad, measureSettle, loadRow } from "./browser.mjs";
import { LOREM, seedConversation } from "./data.mjs";

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

export { sectionSizes, coverage, sectionLoad, sectionLong, sectionList, sectionLatency };
