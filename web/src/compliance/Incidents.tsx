// Breach incidents in the compliance console (auditors): record one from a
// breach scope (an account picked by name from the access review, a session
// or an address, and a window), see each incident's notices with their
// deadlines and the affected patients per state as a chart, record each
// notice as it goes out, and close the incident with its outcome.
// Everything comes from the server; nothing is kept in the browser.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { HippoClient } from "../sdk.ts";
import type { components } from "../../../sdk/typescript/src/generated/openapi.ts";
import { attempt } from "../admin/ui.tsx";
import { BarChart } from "./charts.tsx";
import { AccountOptions, toRfc3339, useAccounts } from "./shared.tsx";

type Incident = components["schemas"]["IncidentResponse"];
type Notice = components["schemas"]["NoticeResponse"];

const AUDIENCE: Record<string, string> = {
  individuals: "Individuals",
  hhs: "HHS",
  media: "Media",
};

const STATUS: Record<string, string> = { open: "Open", overdue: "Overdue", closed: "Closed" };

function day(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString(undefined, { dateStyle: "medium" });
}

/** A `datetime-local` value as RFC 3339 in this browser's offset, which
 * the server keeps: the calendar year of a discovery is the local one. */
function localRfc3339(local: string): string {
  const d = new Date(local);
  if (!local || Number.isNaN(d.getTime())) return local;
  const off = -d.getTimezoneOffset();
  const pad = (n: number) => String(Math.trunc(Math.abs(n))).padStart(2, "0");
  const sign = off >= 0 ? "+" : "-";
  const seconds = local.length === 16 ? ":00" : "";
  return `${local}${seconds}${sign}${pad(off / 60)}:${pad(off % 60)}`;
}

/** Affected patients per state, one bar each, labelled with the counts. */
function StateChart(props: { incident: Incident }): JSX.Element {
  const entries = Object.entries(props.incident.by_state).sort(([a], [b]) => a.localeCompare(b));
  return <BarChart title="Affected patients by state" entries={entries} />;
}

/** The last day a notice may go out: one due at midnight is due by the
 * end of the day before. */
function lastDay(iso: string | null | undefined): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : day(new Date(t - 1).toISOString());
}

function noticeWords(n: Notice): string {
  if (n.notified_at) return `sent ${day(n.notified_at)}`;
  if (!n.required) return "not required";
  return `${n.overdue ? "OVERDUE, was due" : "due"} ${lastDay(n.due_at)}`;
}

/** One incident: its clock, notices, chart and the actions still open. */
function IncidentCard(props: { client: HippoClient; incident: Incident; onChanged(): void }): JSX.Element {
  const { client, incident: i } = props;
  const [outcome, setOutcome] = useState("notified");
  const [note, setNote] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const closed = i.status === "closed";
  async function notice(audience: string) {
    setBusy(true);
    setError("");
    const r = await attempt(() =>
      client.api.POST("/api/v1/incidents/{id}/notices", {
        params: { path: { id: i.id } },
        body: { audience: audience as Notice["audience"] },
      }),
    );
    setBusy(false);
    if (!r.ok) return setError(`The notice was not recorded: ${r.message}`);
    props.onChanged();
  }
  async function close() {
    setBusy(true);
    setError("");
    const r = await attempt(() =>
      client.api.POST("/api/v1/incidents/{id}/close", {
        params: { path: { id: i.id } },
        body: { outcome: outcome as "notified" | "low_probability", note: note.trim() },
      }),
    );
    setBusy(false);
    if (!r.ok) return setError(`The incident was not closed: ${r.message}`);
    props.onChanged();
  }
  const noteId = `cmp-close-note-${i.id}`;
  const outcomeId = `cmp-close-outcome-${i.id}`;
  return (
    <article class="cmp-grant" aria-label={`Incident discovered ${day(i.discovered_at)}`}>
      <p>
        <strong>Discovered {day(i.discovered_at)}</strong>: {STATUS[i.status] ?? i.status}. {i.affected_count} patients
        affected.
        {i.outcome && ` Closed as ${i.outcome.replaceAll("_", " ")}.`}
      </p>
      <blockquote>{i.summary}</blockquote>
      <table class="cmp-table">
        <caption class="cmp-sr">Notices for the incident discovered {day(i.discovered_at)}</caption>
        <thead>
          <tr>
            <th scope="col">Notice to</th>
            <th scope="col">HIPAA</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span class="cmp-sr">Action</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {["individuals", "hhs", "media"].map((a) => {
            const n = i.notices.find((x) => x.audience === a);
            return (
              <tr key={a} class={n?.overdue ? "cmp-review" : undefined}>
                <td>{AUDIENCE[a]}</td>
                <td>{n ? `§${n.hipaa}` : ""}</td>
                <td>{n ? noticeWords(n) : "not required"}</td>
                <td>
                  {!closed && !n?.notified_at && (n?.required ?? false) && (
                    <button type="button" disabled={busy} onClick={() => void notice(a)}>
                      Record {AUDIENCE[a]} notice sent
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <StateChart incident={i} />
      {error && (
        <p class="adm-error" role="alert">
          {error}
        </p>
      )}
      {closed ? (
        i.close_note && <p class="adm-hint">Closing note: {i.close_note}</p>
      ) : (
        <div class="cmp-close">
          <label for={outcomeId}>Outcome</label>
          <select id={outcomeId} value={outcome} onChange={(e) => setOutcome((e.target as HTMLSelectElement).value)}>
            <option value="notified">Notified: every notice sent</option>
            <option value="low_probability">Low probability of compromise (risk assessment)</option>
          </select>
          <label for={noteId}>Closing note</label>
          <textarea
            id={noteId}
            rows={2}
            maxLength={2000}
            value={note}
            onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)}
          />
          <button type="button" disabled={busy || note.trim() === ""} onClick={() => void close()}>
            Close incident
          </button>
        </div>
      )}
    </article>
  );
}

/** The form that records an incident from a breach scope. */
function NewIncident(props: { client: HippoClient; onCreated(): void }): JSX.Element {
  const { client } = props;
  const accounts = useAccounts(client);
  const [form, setForm] = useState({ summary: "", discovered: "", actor: "", session: "", ip: "", since: "", until: "" });
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [k]: (e.target as HTMLInputElement | HTMLSelectElement).value });
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError("");
    const r = await attempt(() =>
      client.api.POST("/api/v1/incidents", {
        body: {
          summary: form.summary.trim(),
          discovered_at: localRfc3339(form.discovered),
          actor_id: form.actor || null,
          session_id: form.session.trim() || null,
          ip: form.ip.trim() || null,
          since: toRfc3339(form.since) ?? "",
          until: toRfc3339(form.until) ?? "",
        },
      }),
    );
    setBusy(false);
    if (!r.ok) return setError(`The incident was not recorded: ${r.message}`);
    setForm({ summary: "", discovered: "", actor: "", session: "", ip: "", since: "", until: "" });
    props.onCreated();
  }
  return (
    <form class="cmp-incident-form" onSubmit={(e) => void submit(e)} aria-labelledby="cmp-new-incident">
      <h3 id="cmp-new-incident">Record an incident</h3>
      <label for="cmp-inc-summary">What happened</label>
      <textarea id="cmp-inc-summary" rows={2} maxLength={2000} value={form.summary} onInput={set("summary")} />
      <label for="cmp-inc-discovered">Discovered</label>
      <input id="cmp-inc-discovered" type="datetime-local" value={form.discovered} onInput={set("discovered")} />
      <label for="cmp-inc-actor">Account involved</label>
      <select id="cmp-inc-actor" value={form.actor} onChange={set("actor")}>
        <option value="">(none: scope by session or address)</option>
        <AccountOptions accounts={accounts} />
      </select>
      <label for="cmp-inc-session">Session id</label>
      <input id="cmp-inc-session" value={form.session} onInput={set("session")} />
      <label for="cmp-inc-ip">Address</label>
      <input id="cmp-inc-ip" value={form.ip} onInput={set("ip")} />
      <label for="cmp-inc-since">Window from</label>
      <input id="cmp-inc-since" type="datetime-local" value={form.since} onInput={set("since")} />
      <label for="cmp-inc-until">Window to</label>
      <input id="cmp-inc-until" type="datetime-local" value={form.until} onInput={set("until")} />
      {error && (
        <p class="adm-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy}>
        Record incident
      </button>
    </form>
  );
}

export function Incidents(props: { client: HippoClient; onChanged(): void }): JSX.Element {
  const { client } = props;
  const [incidents, setIncidents] = useState<Incident[] | null>(null);
  const [error, setError] = useState("");
  async function load() {
    const list = await attempt(() => client.api.GET("/api/v1/incidents"));
    if (!list.ok) return setError(`The incidents could not be loaded: ${list.message}`);
    setError("");
    setIncidents((list.data as { incidents: Incident[] }).incidents);
  }
  useEffect(() => {
    void load();
  }, []);
  const changed = () => {
    void load();
    props.onChanged();
  };
  return (
    <section aria-labelledby="cmp-incidents">
      <h2 id="cmp-incidents">Breach incidents ({incidents?.length ?? "…"})</h2>
      <p class="adm-hint">
        Individuals must hear within 60 days of discovery (§164.404); HHS with them from 500 affected, else in the annual
        log (§164.408); a state's media when over 500 of its residents are affected (§164.406).
      </p>
      {error && (
        <p class="adm-error" role="alert">
          {error}
        </p>
      )}
      {incidents?.length === 0 && <p class="adm-hint">No incident on record.</p>}
      {incidents?.map((i) => <IncidentCard key={i.id} client={client} incident={i} onChanged={changed} />)}
      <NewIncident client={client} onCreated={changed} />
    </section>
  );
}
