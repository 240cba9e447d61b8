// The auditor's reports as readable pages: who accessed a patient's
// records, what one account did, and what a compromised account, session
// or address touched. Each report comes from the server; accounts and
// patients are shown by name (resolved by the server, which records the
// lookup), with charts of records per action and per account. Nothing is
// kept in the browser.

import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { HippoClient } from "../sdk.ts";
import type { components } from "../../../sdk/typescript/src/generated/openapi.ts";
import { attempt } from "../admin/ui.tsx";
import { BarChart } from "./charts.tsx";
import { AccountOptions, NO_NAMES, type Names, patientLabel, resolveNames, toRfc3339, useAccounts, userLabel, when } from "./shared.tsx";

type Report = components["schemas"]["ReportResponse"];
type Tally = components["schemas"]["TallyResponse"];
type Kind = "patient-access" | "user-activity" | "breach-scope";

const TITLE: Record<Kind, string> = {
  "patient-access": "Patient access",
  "user-activity": "User activity",
  "breach-scope": "Breach scope",
};
/** Rows a table shows (the counts cover everything). */
const SHOWN = 50;
/** Bars a chart shows. */
const BARS = 10;

function TallyTable(props: { caption: string; tallies: Tally[]; name(key: string): string }): JSX.Element {
  return (
    <table class="cmp-table" aria-label={props.caption}>
      <caption class="cmp-sr">{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Who or what</th>
          <th scope="col">Records</th>
          <th scope="col">First</th>
          <th scope="col">Last</th>
        </tr>
      </thead>
      <tbody>
        {props.tallies.slice(0, SHOWN).map((t) => (
          <tr key={t.key}>
            <td>{props.name(t.key)}</td>
            <td>{t.count}</td>
            <td>{when(t.first_at)}</td>
            <td>{when(t.last_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Reports(props: { client: HippoClient }): JSX.Element {
  const { client } = props;
  const accounts = useAccounts(client);
  const [kind, setKind] = useState<Kind>("patient-access");
  const [form, setForm] = useState({ patient: "", actor: "", session: "", ip: "", since: "", until: "" });
  const [report, setReport] = useState<{ kind: Kind; data: Report } | null>(null);
  const [names, setNames] = useState<Names>(NO_NAMES);
  const [error, setError] = useState("");
  const set = (k: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [k]: (e.target as HTMLInputElement | HTMLSelectElement).value });

  async function run(e: Event) {
    e.preventDefault();
    setError("");
    const since = toRfc3339(form.since);
    const until = toRfc3339(form.until);
    const window = { ...(since ? { since } : {}), ...(until ? { until } : {}) };
    const r =
      kind === "patient-access"
        ? await attempt(() =>
            client.api.GET("/api/v1/reports/patient-access/{patient_id}", {
              params: { path: { patient_id: form.patient.trim() }, query: window },
            }),
          )
        : kind === "user-activity"
          ? await attempt(() =>
              client.api.GET("/api/v1/reports/user-activity/{user_id}", {
                params: { path: { user_id: form.actor }, query: window },
              }),
            )
          : await attempt(() =>
              client.api.GET("/api/v1/reports/breach-scope", {
                params: {
                  query: {
                    since: since ?? "",
                    until: until ?? "",
                    ...(form.actor ? { actor_id: form.actor } : {}),
                    ...(form.session.trim() ? { session_id: form.session.trim() } : {}),
                    ...(form.ip.trim() ? { ip: form.ip.trim() } : {}),
                  },
                },
              }),
            );
    if (!r.ok) return setError(`The report could not be made: ${r.message}`);
    const data = r.data as Report;
    setReport({ kind, data });
    const userIds = data.by_actor.slice(0, 200).map((t) => t.key).filter((k) => k !== "system");
    const patientIds = data.patients.slice(0, 200).map((t) => t.key);
    const n = await resolveNames(client, userIds, patientIds);
    if (!n.ok) return setError(`Names could not be resolved: ${n.message}`);
    setNames(n.names);
  }

  const user = (key: string) => userLabel(names, key);
  const patient = (key: string) => patientLabel(names, key);
  const d = report?.data;
  return (
    <section aria-labelledby="cmp-reports">
      <h2 id="cmp-reports">Reports</h2>
      <form class="cmp-incident-form" aria-label="Make a report" onSubmit={(e) => void run(e)}>
        <label for="cmp-rep-kind">Report</label>
        <select id="cmp-rep-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as Kind)}>
          {(Object.keys(TITLE) as Kind[]).map((k) => (
            <option key={k} value={k}>
              {TITLE[k]}
            </option>
          ))}
        </select>
        {kind === "patient-access" && (
          <>
            <label for="cmp-rep-patient">Patient id</label>
            <input id="cmp-rep-patient" value={form.patient} onInput={set("patient")} />
          </>
        )}
        {kind !== "patient-access" && (
          <>
            <label for="cmp-rep-actor">Account</label>
            <select id="cmp-rep-actor" value={form.actor} onChange={set("actor")}>
              <option value="">{kind === "breach-scope" ? "(none: scope by session or address)" : "(choose)"}</option>
              <AccountOptions accounts={accounts} />
            </select>
          </>
        )}
        {kind === "breach-scope" && (
          <>
            <label for="cmp-rep-session">Session id</label>
            <input id="cmp-rep-session" value={form.session} onInput={set("session")} />
            <label for="cmp-rep-ip">Address</label>
            <input id="cmp-rep-ip" value={form.ip} onInput={set("ip")} />
          </>
        )}
        <label for="cmp-rep-since">From</label>
        <input id="cmp-rep-since" type="datetime-local" value={form.since} onInput={set("since")} />
        <label for="cmp-rep-until">To</label>
        <input id="cmp-rep-until" type="datetime-local" value={form.until} onInput={set("until")} />
        <button type="submit">Make report</button>
      </form>
      {error && (
        <p class="adm-error" role="alert">
          {error}
        </p>
      )}
      {report && d && (
        <article aria-label={`${TITLE[report.kind]} report`}>
          <h3>
            {TITLE[report.kind]}: {d.total} records
          </h3>
          {d.truncated && <p class="adm-hint">Only the first 10,000 records are listed; the counts cover all.</p>}
          <div class="cmp-charts">
            <BarChart
              title="Records by action"
              labelWidth={110}
              entries={d.by_action.slice(0, BARS).map((t) => [t.key, t.count])}
            />
            <BarChart
              title="Records by account"
              labelWidth={110}
              entries={d.by_actor.slice(0, BARS).map((t) => [user(t.key), t.count])}
            />
          </div>
          <h4>Accounts ({d.by_actor.length})</h4>
          <TallyTable caption="Records by account" tallies={d.by_actor} name={user} />
          <h4>Patients ({d.patients.length})</h4>
          {d.patients.length === 0 ? (
            <p class="adm-hint">No patient's records.</p>
          ) : (
            <TallyTable caption="Records by patient" tallies={d.patients} name={patient} />
          )}
          <h4>Conversations, messages and files ({d.resources.length})</h4>
          <p class="adm-hint">
            {d.resources.filter((t) => t.key.startsWith("conversation/")).length} conversations,{" "}
            {d.resources.filter((t) => t.key.startsWith("message/")).length} messages,{" "}
            {d.resources.filter((t) => t.key.startsWith("attachment/")).length} files.
          </p>
        </article>
      )}
    </section>
  );
}
