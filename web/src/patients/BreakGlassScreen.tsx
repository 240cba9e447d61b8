// Break-glass: a clinician opens, in an emergency, a patient conversation
// she is not a member of. She states a reason; the access is read-only,
// time-limited, recorded and reviewed by auditors.

import type { JSX } from "preact";
import { useEffect, useId, useMemo, useState } from "preact/hooks";
import type { HippoClient } from "../sdk.ts";
import { attempt, Dialog, fold, type Refusal } from "../admin/ui.tsx";
import type { Grant, Patient } from "./types.ts";
import "./patients.css";

const MIN_REASON = 10;
const MAX_REASON = 500;

const BREAK_GLASS_WORDS = {
  not_found: "No conversation has that reference (or its content was erased).",
};

interface Target {
  conversationId: string;
  /** The patient's name when chosen from the list; null for a typed reference. */
  name: string | null;
}

export function BreakGlassScreen(props: {
  client: HippoClient;
  onOpened(conversationId: string, expiresAt: string): void;
}): JSX.Element {
  const { client } = props;
  const [meId, setMeId] = useState<string | null>(null);
  const [patients, setPatients] = useState<Patient[] | null>(null);
  const [loadError, setLoadError] = useState<Refusal | null>(null);
  const [query, setQuery] = useState("");
  const [reference, setReference] = useState("");
  const [referenceError, setReferenceError] = useState("");
  const [target, setTarget] = useState<Target | null>(null);
  const ids = { heading: useId(), search: useId(), ref: useId(), refHint: useId() };

  async function load(): Promise<void> {
    setLoadError(null);
    const [me, list] = await Promise.all([
      attempt(() => client.api.GET("/api/v1/me")),
      attempt(() => client.api.GET("/api/v1/patients")),
    ]);
    if (me.ok) setMeId((me.data as { id: string }).id);
    if (list.ok) setPatients((list.data as { patients: Patient[] }).patients);
    else setLoadError(list);
    if (!me.ok && list.ok) setLoadError(me);
  }

  useEffect(() => {
    void load();
  }, [client]);

  const found = useMemo(() => {
    const q = fold(query.trim());
    if (q === "" || !patients) return [];
    return patients
      .filter((p) => fold(p.display_name).includes(q) || (p.mrn ? fold(p.mrn).includes(q) : false))
      .sort((a, b) => a.display_name.localeCompare(b.display_name))
      .slice(0, 50);
  }, [patients, query]);

  return (
    <section class="pat-breakglass" aria-labelledby={ids.heading}>
      <h1 id={ids.heading}>Emergency access</h1>
      <p>
        Open a patient's conversation you are not a member of, when care cannot wait. Emergency access is
        recorded and reviewed; it is read-only and ends on its own.
      </p>

      {loadError && (
        <div role="alert" class="pat-error">
          The patient list could not be loaded: {loadError.message}{" "}
          <button type="button" class="pat-button" onClick={() => void load()}>
            Try again
          </button>
        </div>
      )}

      <div class="pat-field" role="search" aria-label="Patients">
        <label for={ids.search}>Find a patient</label>
        <input
          id={ids.search}
          type="search"
          class="pat-input"
          autoComplete="off"
          placeholder="Name or MRN"
          value={query}
          onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)}
        />
        <p class="pat-hint">Searches the patients whose care team you are on.</p>
      </div>

      {query.trim() !== "" && patients && (
        <ul class="pat-results" aria-label="Patients found">
          {found.length === 0 && <li class="pat-hint">No patient matches.</li>}
          {found.map((p) => {
            const member = meId !== null && p.member_ids.includes(meId);
            return (
              <li key={p.id} class="pat-result">
                <span class="pat-result-name">
                  {p.display_name}
                  {p.mrn ? <span class="pat-hint"> · MRN {p.mrn}</span> : null}
                </span>
                {member ? (
                  <span class="pat-hint">You are on the care team: open it from your conversations.</span>
                ) : (
                  <button
                    type="button"
                    class="pat-button pat-danger"
                    aria-label={`Emergency access to ${p.display_name}`}
                    onClick={() => setTarget({ conversationId: p.conversation_id, name: p.display_name })}
                  >
                    Emergency access
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}

      <form
        class="pat-form"
        noValidate
        aria-label="Open by conversation reference"
        onSubmit={(e) => {
          e.preventDefault();
          const r = reference.trim();
          if (r === "") {
            setReferenceError("Enter the conversation reference.");
            return;
          }
          setReferenceError("");
          setTarget({ conversationId: r, name: null });
        }}
      >
        <label for={ids.ref}>Conversation reference</label>
        <input
          id={ids.ref}
          class="pat-input"
          autoComplete="off"
          spellcheck={false}
          value={reference}
          aria-describedby={ids.refHint}
          onInput={(e) => setReference((e.currentTarget as HTMLInputElement).value)}
        />
        <p id={ids.refHint} class="pat-hint">
          For a patient outside your care teams: the conversation reference from the patient's record or from a
          colleague.
        </p>
        {referenceError && (
          <p role="alert" class="pat-error">
            {referenceError}
          </p>
        )}
        <div class="pat-actions">
          <button type="submit" class="pat-button">
            Continue
          </button>
        </div>
      </form>

      {target && (
        <BreakGlassDialog
          client={client}
          target={target}
          onClose={() => setTarget(null)}
          onOpened={(g) => {
            setTarget(null);
            props.onOpened(g.conversation_id, g.expires_at);
          }}
        />
      )}
    </section>
  );
}

function BreakGlassDialog(props: {
  client: HippoClient;
  target: Target;
  onClose(): void;
  onOpened(g: Grant): void;
}): JSX.Element {
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const ids = { reason: useId(), hint: useId() };
  const length = reason.trim().length;

  async function submit(e: Event): Promise<void> {
    e.preventDefault();
    if (length < MIN_REASON) {
      setError(`Give a reason of at least ${MIN_REASON} characters.`);
      return;
    }
    if (length > MAX_REASON) {
      setError(`The reason can be at most ${MAX_REASON} characters.`);
      return;
    }
    setBusy(true);
    setError("");
    const id = props.target.conversationId;
    const r = await attempt(
      () =>
        props.client.api.POST("/api/v1/conversations/{id}/break-glass", {
          params: { path: { id } },
          body: { reason: reason.trim() },
        }),
      BREAK_GLASS_WORDS,
    );
    setBusy(false);
    if (r.ok) {
      const g = r.data as Grant;
      props.onOpened({ ...g, conversation_id: g.conversation_id || id });
    } else setError(r.message);
  }

  return (
    <Dialog
      title={props.target.name ? `Emergency access to ${props.target.name}` : "Emergency access"}
      role="alertdialog"
      onClose={() => !busy && props.onClose()}
      description={
        <p class="pat-warning">
          <strong>Emergency access is recorded and reviewed.</strong> You get read-only access to this patient's
          conversation for a limited time; your reason and every read are kept in the audit trail and checked by an
          auditor.
        </p>
      }
    >
      <form class="pat-form" noValidate onSubmit={(e) => void submit(e)}>
        <label for={ids.reason}>Reason</label>
        <textarea
          id={ids.reason}
          class="pat-input pat-text"
          rows={3}
          required
          minLength={MIN_REASON}
          maxLength={MAX_REASON}
          aria-describedby={ids.hint}
          data-autofocus
          value={reason}
          onInput={(e) => setReason((e.currentTarget as HTMLTextAreaElement).value)}
        />
        <p id={ids.hint} class="pat-hint">
          Why you need access now ({MIN_REASON} to {MAX_REASON} characters).
        </p>
        {error && (
          <p role="alert" class="pat-error">
            {error}
          </p>
        )}
        <div class="pat-actions">
          <button type="button" class="pat-button" disabled={busy} onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="pat-button pat-danger-solid" disabled={busy}>
            {busy ? "Opening…" : "Open with emergency access"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function minutesLeft(expiresAt: string, now: number): number {
  const t = Date.parse(expiresAt);
  if (Number.isNaN(t)) return 0;
  return Math.max(0, Math.ceil((t - now) / 60_000));
}

/** Shown above a conversation opened with break-glass, counting down. */
export function BreakGlassBanner(props: { expiresAt: string }): JSX.Element {
  const [left, setLeft] = useState(() => minutesLeft(props.expiresAt, Date.now()));
  useEffect(() => {
    setLeft(minutesLeft(props.expiresAt, Date.now()));
    const t = setInterval(() => setLeft(minutesLeft(props.expiresAt, Date.now())), 1000);
    return () => clearInterval(t);
  }, [props.expiresAt]);
  return (
    <div role="status" class={`pat-banner ${left === 0 ? "pat-banner-ended" : ""}`}>
      {left > 0 ? `Emergency access — recorded — ${left} min left` : "Emergency access — recorded — ended"}
    </div>
  );
}
