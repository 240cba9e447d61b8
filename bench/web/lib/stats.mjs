// Statistics and number formatting: nearest-rank percentiles, summary stats,
// counting by key, and the f1/f0/kb formatters used by the report.

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

function countBy(xs) {
  const m = {};
  for (const x of xs) m[x] = (m[x] ?? 0) + 1;
  return m;
}

export { pct, stats, f1, f0, kb, countBy };
