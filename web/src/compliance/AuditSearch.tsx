// Audit search in the compliance console (auditors): filter the trail by
// account (picked by name), patient, action, outcome and window; each page
// of records shows accounts and patients by name, resolved by the server
// (`POST /api/v1/audit/resolve`, itself recorded), and any record can be
// checked against the signed tree head right here in the browser
// (proof.ts). Nothing is kept in the browser.

import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { HippoClient } from "../sdk.ts";
import type { components } from "../../../sdk/typescript/src/generated/openapi.ts";
import { attempt } from "../admin/ui.tsx";
import { checkInclusion, type ProofResult } from "./proof.ts";
import { AccountOptions, NO_NAMES, type Names, patientLabel, resolveNames, toRfc3339, useAccounts, userLabel, when } from "./shared.tsx";

type AuditEvent = components["schemas"]["AuditEvent"];
type Query = Record<string, string | number>;

const PAGE = 50;

export function AuditSearch(props: { client: HippoClient }): JSX.Element {
  const { client } = props;
  const accounts = useAccounts(client);
  const [form, setForm] = useState({ actor: "", patient: "", action: "", outcome: "", since: "", until: "" });
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [names, setNames] = useState<Names>(NO_NAMES);
  const [proofs, setProofs] = useState<Record<number, ProofResult | "checking">>({});
  const [error, setError] = useState("");
  const set = (k: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [k]: (e.target as HTMLInputElement | HTMLSelectElement).value });

  async function search(after: number) {
    setError("");
    const query: Query = { limit: PAGE, after_seq: after };
    if (form.actor) query.actor_id = form.actor;
    if (form.patient.trim()) query.patient_id = form.patient.trim();
    if (form.action.trim()) query.action = form.action.trim();
    if (form.outcome) query.outcome = form.outcome;
    const since = toRfc3339(form.since);
    const until = toRfc3339(form.until);
    if (since) query.since = since;
    if (until) query.until = until;
    const r = await attempt(() =>
      client.api.GET("/api/v1/audit", { params: { query: query as never } }),
    );
    if (!r.ok) return setError(`The search failed: ${r.message}`);
    const page = r.data as { events: AuditEvent[]; next_after_seq: number };
    setEvents(page.events);
    setProofs({});
    setNext(page.events.length === PAGE ? page.next_after_seq : null);
    const userIds = [...new Set(page.events.map((e) => e.actor_id).filter((x): x is string => !!x))];
    const patientIds = [...new Set(page.events.map((e) => e.patient_id).filter((x): x is string => !!x))];
    const n = await resolveNames(client, userIds, patientIds);
    if (!n.ok) return setError(`Names could not be resolved: ${n.message}`);
    setNames(n.names);
  }

  async function prove(e: AuditEvent) {
    setProofs((p) => ({ ...p, [e.seq]: "checking" }));
    const head = await attempt(() => client.api.GET("/api/v1/audit/tree-head"));
    if (!head.ok) return setProofs((p) => ({ ...p, [e.seq]: { ok: false, reason: head.message } }));
    const h = head.data as components["schemas"]["TreeHeadResponse"];
    if (e.seq > h.tree_size) {
      return setProofs((p) => ({ ...p, [e.seq]: { ok: false, reason: "not yet in a signed tree head; try again in a few seconds" } }));
    }
    const proof = await attempt(() =>
      client.api.GET("/api/v1/audit/proof/inclusion", { params: { query: { seq: e.seq, tree_size: h.tree_size } } }),
    );
    if (!proof.ok) return setProofs((p) => ({ ...p, [e.seq]: { ok: false, reason: proof.message } }));
    const result = await checkInclusion(e, h, proof.data as components["schemas"]["InclusionResponse"]);
    setProofs((p) => ({ ...p, [e.seq]: result }));
  }

  const proofWords = (r: ProofResult | "checking" | undefined) =>
    r === undefined
      ? ""
      : r === "checking"
        ? "Checking…"
        : r.ok
          ? `Verified: in the signed tree of ${r.treeSize} records (key ${r.keyId.slice(0, 16)}…)`
          : `Not verified: ${r.reason}`;

  return (
    <section aria-labelledby="cmp-audit">
      <h2 id="cmp-audit">Audit search</h2>
      <form
        class="cmp-incident-form"
        aria-label="Search the audit trail"
        onSubmit={(e) => {
          e.preventDefault();
          void search(0);
        }}
      >
        <label for="cmp-aud-actor">Account</label>
        <select id="cmp-aud-actor" value={form.actor} onChange={set("actor")}>
          <option value="">(any)</option>
          <AccountOptions accounts={accounts} />
        </select>
        <label for="cmp-aud-patient">Patient id</label>
        <input id="cmp-aud-patient" value={form.patient} onInput={set("patient")} />
        <label for="cmp-aud-action">Action (such as patient.read)</label>
        <input id="cmp-aud-action" value={form.action} onInput={set("action")} />
        <label for="cmp-aud-outcome">Outcome</label>
        <select id="cmp-aud-outcome" value={form.outcome} onChange={set("outcome")}>
          <option value="">(any)</option>
          <option value="success">success</option>
          <option value="denied">denied</option>
          <option value="failure">failure</option>
        </select>
        <label for="cmp-aud-since">From</label>
        <input id="cmp-aud-since" type="datetime-local" value={form.since} onInput={set("since")} />
        <label for="cmp-aud-until">To</label>
        <input id="cmp-aud-until" type="datetime-local" value={form.until} onInput={set("until")} />
        <button type="submit">Search</button>
      </form>
      {error && (
        <p class="adm-error" role="alert">
          {error}
        </p>
      )}
      {events?.length === 0 && <p class="adm-hint">No record matches.</p>}
      {events && events.length > 0 && (
        <table class="cmp-table" aria-label="Audit records">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Outcome</th>
              <th scope="col">Patient</th>
              <th scope="col">Integrity</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.seq}>
                <td>{e.seq}</td>
                <td>{when(e.at, true)}</td>
                <td>{userLabel(names, e.actor_id)}</td>
                <td>{e.action}</td>
                <td>{e.outcome}</td>
                <td>{patientLabel(names, e.patient_id)}</td>
                <td>
                  {proofs[e.seq] === undefined ? (
                    <button type="button" aria-label={`Check proof of record ${e.seq}`} onClick={() => void prove(e)}>
                      Check proof
                    </button>
                  ) : (
                    <span role="status">{proofWords(proofs[e.seq])}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next !== null && (
        <button type="button" onClick={() => void search(next)}>
          Next {PAGE} records
        </button>
      )}
    </section>
  );
}
