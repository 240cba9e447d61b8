// The Markdown report printed on stdout: report(R) turns the collected
// results (environment and sections 1–5) into headings, tables and lines.

import { f1, f0, kb } from "./stats.mjs";

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

export { settleLine, report };
