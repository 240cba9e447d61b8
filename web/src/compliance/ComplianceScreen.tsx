// The compliance console for auditors (and, for the report, administrators):
// the evidence report's findings and safeguards, charts of the last 30 days
// drawn from the API's daily counts, the security alerts still open with
// "Mark reviewed", the break-glass review queue with a note per access,
// breach incidents with their notices (Incidents.tsx), audit search with
// names and in-browser proof checks (AuditSearch.tsx), the patient-access,
// user-activity and breach-scope reports with charts (Reports.tsx), and the server's
// printable report as a download.
// Everything shown comes from the server; nothing is kept in the browser.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { HippoClient } from "../sdk.ts";
import type { components } from "../../../sdk/typescript/src/generated/openapi.ts";
import { attempt } from "../admin/ui.tsx";
import { Incidents } from "./Incidents.tsx";
import { AuditSearch } from "./AuditSearch.tsx";
import { Reports } from "./Reports.tsx";
import "../admin/admin.css";
import "./compliance.css";

type Report = components["schemas"]["EvidenceReportResponse"];
type Day = components["schemas"]["DayCountsResponse"];
type Alert = components["schemas"]["AlertResponse"];
type Grant = components["schemas"]["GrantResponse"];
type OpenGrant = components["schemas"]["OpenBreakGlassResponse"];

const SEVERITY_LABEL: Record<string, string> = {
  critical: "Critical",
  high: "High",
  medium: "Medium",
  low: "Low",
};

function when(iso: string | null | undefined): string {
  if (!iso) return "never";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** One bar chart of a daily series; each bar names its day and count. */
function Chart(props: { title: string; days: Day[]; value(d: Day): number }): JSX.Element {
  const { days, value } = props;
  const w = 300;
  const h = 90;
  const max = Math.max(1, ...days.map(value));
  const total = days.reduce((n, d) => n + value(d), 0);
  const slot = w / Math.max(1, days.length);
  const label = `${props.title}, last ${days.length} days: ${total}`;
  return (
    <figure class="cmp-chart">
      <figcaption>
        {props.title} <span class="adm-hint">({total})</span>
      </figcaption>
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label} width="100%">
        {days.map((d, i) => {
          const v = value(d);
          const bh = ((h - 12) * v) / max;
          return (
            <rect
              key={d.date}
              class="cmp-bar"
              data-value={v}
              x={i * slot + 0.5}
              y={h - 10 - bh}
              width={Math.max(1, slot - 1)}
              height={bh}
            >
              <title>{`${d.date}: ${v}`}</title>
            </rect>
          );
        })}
        <line class="cmp-axis" x1="0" y1={h - 10} x2={w} y2={h - 10} />
      </svg>
    </figure>
  );
}

function Alerts(props: { client: HippoClient; alerts: Alert[]; onReviewed(): void }): JSX.Element {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  async function review(a: Alert) {
    setBusy(a.id);
    setError("");
    const r = await attempt(() =>
      props.client.api.POST("/api/v1/alerts/{id}/review", { params: { path: { id: a.id } } }),
    );
    setBusy(null);
    if (!r.ok) {
      setError(`The alert could not be marked reviewed: ${r.message}`);
      return;
    }
    props.onReviewed();
  }
  return (
    <section aria-labelledby="cmp-alerts">
      <h2 id="cmp-alerts">Open security alerts ({props.alerts.length})</h2>
      {error && (
        <p class="adm-error" role="alert">
          {error}
        </p>
      )}
      {props.alerts.length === 0 ? (
        <p class="adm-hint">No alert is waiting for review.</p>
      ) : (
        <table class="cmp-table">
          <thead>
            <tr>
              <th scope="col">Raised</th>
              <th scope="col">Alert</th>
              <th scope="col">Severity</th>
              <th scope="col">Details</th>
              <th scope="col">
                <span class="cmp-sr">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.alerts.map((a) => (
              <tr key={a.id}>
                <td>{when(a.at)}</td>
                <td>{a.kind.replaceAll("_", " ")}</td>
                <td>{a.severity}</td>
                <td class="cmp-detail">
                  {Object.entries(a.detail ?? {})
                    .map(([k, v]) => `${k}: ${String(v)}`)
                    .join(", ")}
                </td>
                <td>
                  <button
                    type="button"
                    disabled={busy !== null}
                    aria-label={`Mark reviewed: ${a.kind.replaceAll("_", " ")} alert of ${when(a.at)}`}
                    onClick={() => void review(a)}
                  >
                    Mark reviewed
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The break-glass review queue: each emergency access with its reason,
 * who opened it (by name, from the report) and a note to close it. */
function BreakGlassQueue(props: { client: HippoClient; named: OpenGrant[]; onReviewed(): void }): JSX.Element {
  const { client } = props;
  const [grants, setGrants] = useState<Grant[] | null>(null);
  const [notes, setNotes] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  async function load() {
    const r = await attempt(() => client.api.GET("/api/v1/break-glass", { params: { query: { status: "pending" } } }));
    if (!r.ok) {
      setError(`The break-glass queue could not be loaded: ${r.message}`);
      return;
    }
    setGrants((r.data as { grants: Grant[] }).grants);
  }
  useEffect(() => {
    void load();
  }, []);
  const who = (g: Grant) => props.named.find((n) => n.id === g.id)?.user?.display_name ?? "a former account";
  async function review(g: Grant) {
    setBusy(true);
    setError("");
    const r = await attempt(() =>
      client.api.POST("/api/v1/break-glass/{id}/review", {
        params: { path: { id: g.id } },
        body: { note: (notes[g.id] ?? "").trim() },
      }),
    );
    setBusy(false);
    if (!r.ok) {
      setError(`The review was not saved: ${r.message}`);
      return;
    }
    await load();
    props.onReviewed();
  }
  return (
    <section aria-labelledby="cmp-glass">
      <h2 id="cmp-glass">Break-glass awaiting review ({grants?.length ?? "…"})</h2>
      {error && (
        <p class="adm-error" role="alert">
          {error}
        </p>
      )}
      {grants?.length === 0 && <p class="adm-hint">No emergency access is waiting for review.</p>}
      {grants?.map((g) => {
        const name = who(g);
        const noteId = `cmp-note-${g.id}`;
        return (
          <article key={g.id} class="cmp-grant" aria-label={`Emergency access by ${name}`}>
            <p>
              <strong>{name}</strong> opened emergency access on {when(g.opened_at)} (until {when(g.expires_at)}).
            </p>
            <blockquote>{g.reason}</blockquote>
            <label for={noteId}>Review note for the access by {name}</label>
            <textarea
              id={noteId}
              rows={2}
              maxLength={2000}
              value={notes[g.id] ?? ""}
              onInput={(e) => setNotes({ ...notes, [g.id]: (e.target as HTMLTextAreaElement).value })}
            />
            <button
              type="button"
              disabled={busy || (notes[g.id] ?? "").trim() === ""}
              onClick={() => void review(g)}
            >
              Save review
            </button>
          </article>
        );
      })}
    </section>
  );
}

export function ComplianceScreen(props: { client: HippoClient; canReview: boolean }): JSX.Element {
  const { client } = props;
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState("");

  async function load() {
    const r = await attempt(() => client.api.GET("/api/v1/compliance/report"));
    if (!r.ok) {
      setError(`The compliance report could not be loaded: ${r.message}`);
      return;
    }
    setError("");
    setReport(r.data as Report);
  }
  useEffect(() => {
    void load();
  }, []);

  /** The server's printable page, saved as a file: opened from disk it
   * prints with its charts (the API needs this session's CSRF header, so a
   * plain link cannot fetch it). */
  async function downloadPrintable() {
    const r = await attempt(() =>
      client.api.GET("/api/v1/compliance/report", { params: { query: { format: "html" } }, parseAs: "text" }),
    );
    if (!r.ok) {
      setError(`The printable report could not be made: ${r.message}`);
      return;
    }
    const url = URL.createObjectURL(new Blob([String(r.data)], { type: "text/html" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `hippo-compliance-report-${new Date().toISOString().slice(0, 10)}.html`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  const e = report?.evidence;
  return (
    <div class="adm-screen cmp-screen">
      <div class="adm-header">
        <h1>Compliance</h1>
        <button type="button" onClick={() => void downloadPrintable()}>
          Download printable report
        </button>
      </div>
      {error && (
        <p class="adm-error" role="alert">
          {error}
        </p>
      )}
      {!report ? (
        !error && <p class="adm-hint">Loading the report…</p>
      ) : (
        <>
          <p class="adm-hint">Generated {when(report.generated_at)}. Sections refer to the HIPAA Security Rule.</p>
          <section aria-labelledby="cmp-findings">
            <h2 id="cmp-findings">Findings ({report.findings.length})</h2>
            {report.findings.length === 0 ? (
              <p class="adm-notice">Nothing to act on.</p>
            ) : (
              <ul class="cmp-findings">
                {report.findings.map((f) => (
                  <li key={f.id} class={`cmp-finding cmp-${f.severity}`} aria-label={`${SEVERITY_LABEL[f.severity] ?? f.severity}: ${f.title}`}>
                    <span class="cmp-sev">{SEVERITY_LABEL[f.severity] ?? f.severity}</span>
                    <strong>{f.title}</strong>
                    <span class="cmp-detail">{f.detail}</span>
                    <span class="adm-hint">§{f.hipaa}</span>
                  </li>
                ))}
              </ul>
            )}
          </section>
          {e && (
            <section aria-labelledby="cmp-activity">
              <h2 id="cmp-activity">The last 30 days</h2>
              <div class="cmp-charts">
                <Chart title="Sign-ins" days={e.daily} value={(d) => d.sign_ins} />
                <Chart title="Denied accesses" days={e.daily} value={(d) => d.denied} />
                <Chart title="Break-glass openings" days={e.daily} value={(d) => d.break_glass} />
              </div>
            </section>
          )}
          {e && props.canReview && <Alerts client={client} alerts={e.open_alerts} onReviewed={() => void load()} />}
          {e && props.canReview && (
            <BreakGlassQueue client={client} named={e.open_break_glass} onReviewed={() => void load()} />
          )}
          {e && props.canReview && <Incidents client={client} onChanged={() => void load()} />}
          {e && props.canReview && <AuditSearch client={client} />}
          {e && props.canReview && <Reports client={client} />}
          <section aria-labelledby="cmp-safeguards">
            <h2 id="cmp-safeguards">Safeguards</h2>
            <table class="cmp-table">
              <thead>
                <tr>
                  <th scope="col">Safeguard</th>
                  <th scope="col">Setting</th>
                  <th scope="col">HIPAA</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {report.safeguards.map((g) => (
                  <tr key={g.id}>
                    <td>{g.title}</td>
                    <td>{g.setting}</td>
                    <td>§{g.hipaa}</td>
                    <td class={g.ok ? "cmp-ok" : "cmp-review"}>{g.ok ? "Meets" : "Review"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          {e && (
            <section aria-labelledby="cmp-evidence">
              <h2 id="cmp-evidence">Evidence</h2>
              <dl class="cmp-evidence">
                <dt>Accounts</dt>
                <dd>
                  {e.accounts.active} active of {e.accounts.total}
                </dd>
                <dt>Last audit verification</dt>
                <dd>{e.last_audit_verification ? `${e.last_audit_verification.outcome} ${when(e.last_audit_verification.at)}` : "none on record"}</dd>
                <dt>Last backup</dt>
                <dd>{e.last_backup ? `${e.last_backup.outcome} ${when(e.last_backup.at)}` : "none on record"}</dd>
                <dt>Last restore drill</dt>
                <dd>{e.last_restore_drill ? `${e.last_restore_drill.outcome} ${when(e.last_restore_drill.at)}` : "none on record"}</dd>
                <dt>Break-glass awaiting review</dt>
                <dd>{e.open_break_glass.length}</dd>
              </dl>
            </section>
          )}
        </>
      )}
    </div>
  );
}
