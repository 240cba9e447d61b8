// A horizontal bar chart of labelled counts (inline SVG, no library): the
// console's per-state, per-action and per-account charts. The image's
// accessible name lists every bar, so a screen reader hears the data.

import type { JSX } from "preact";

export function BarChart(props: { title: string; entries: [string, number][]; labelWidth?: number }): JSX.Element {
  const { entries } = props;
  const w = 300;
  const left = props.labelWidth ?? 70;
  const bar = 18;
  const h = Math.max(1, entries.length) * (bar + 4);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const span = w - left - 40;
  const label = `${props.title}: ${entries.map(([k, n]) => `${k} ${n}`).join(", ") || "none"}`;
  return (
    <figure class="cmp-chart">
      <figcaption>{props.title}</figcaption>
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label} width="100%">
        {entries.map(([key, n], i) => (
          <g key={key}>
            <text x="0" y={i * (bar + 4) + bar - 5} class="cmp-bar-label">
              {key.length > 14 ? `${key.slice(0, 13)}…` : key}
            </text>
            <rect class="cmp-bar" data-value={n} x={left} y={i * (bar + 4)} width={Math.max(1, (span * n) / max)} height={bar}>
              <title>{`${key}: ${n}`}</title>
            </rect>
            <text x={left + 5 + (span * n) / max} y={i * (bar + 4) + bar - 5} class="cmp-bar-label">
              {n}
            </text>
          </g>
        ))}
      </svg>
    </figure>
  );
}
