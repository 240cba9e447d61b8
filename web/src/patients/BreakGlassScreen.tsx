// Break-glass: a clinician opens, in an emergency, a patient conversation
// she is not a member of. She finds the patient by exact medical record
// number (`GET /patients/lookup`, over all patients, clinicians only) and
// states a reason; the access is read-only, time-limited, recorded and
// reviewed by auditors.

import type { JSX } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import type { HippoClient } from "../sdk.ts";
import { attempt, Dialog } from "../admin/ui.tsx";
import type { Grant, PatientMatch } from "./types.ts";
import "./patients.css";

const MIN_REASON = 10;
const MAX_REASON = 500;
/** The server's limit on a medical record number (hippo-core `parse_mrn`). */
const MAX_MRN = 64;

const LOOKUP_WORDS = {
  forbidden: "Only clinicians can look patients up for emergency access.",
  validation_failed: `A medical record number is 1 to ${MAX_MRN} printable characters.`,
};

const BREAK_GLASS_WORDS = {
  not_found: "This patient's conversation no longer exists (or its content was erased).",
  forbidden: "Only clinicians can open a conversation with emergency access.",
};

interface Target {
  conversationId: string;
  name: string;
}

/** What the last look-up found, with the MRN it was for. */
interface Lookup {
  mrn: string;
  patients: PatientMatch[];
}

export function BreakGlassScreen(props: {
  client: HippoClient;
  /** A conversation opened with emergency access (the grant's end). */
  onOpened(conversationId: string, expiresAt: string): void;
  /** Opens a conversation the clinician is already a member of (a patient
   * whose care team she is on); without it the screen says where to find it. */
  onOpenConversation?(conversationId: string): void;
}): JSX.Element {
  const { client } = props;
  const [mrn, setMrn] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [found, setFound] = useState<Lookup | null>(null);
  const [target, setTarget] = useState<Target | null>(null);
  /** Only the latest look-up's answer is shown. */
  const seq = useRef(0);
  const ids = { heading: useId(), mrn: useId(), hint: useId() };

  async function lookUp(e: Event): Promise<void> {
    e.preventDefault();
    const m = mrn.trim();
    if (m === "") {
      setError("Enter the patient's medical record number.");
      setFound(null);
      return;
    }
    if (m.length > MAX_MRN) {
      setError(LOOKUP_WORDS.validation_failed);
      setFound(null);
      return;
    }
    const mine = ++seq.current;
    setBusy(true);
    setError("");
    const r = await attempt(
      () => client.api.GET("/api/v1/patients/lookup", { params: { query: { mrn: m } } }),
      LOOKUP_WORDS,
    );
    if (mine !== seq.current) return;
    setBusy(false);
    if (r.ok) {
      const patients = r.data.patients.slice().sort((a, b) => a.display_name.localeCompare(b.display_name));
      setFound({ mrn: m, patients });
    } else {
      setFound(null);
      setError(r.message);
    }
  }

  return (
    <section class="pat-breakglass" aria-labelledby={ids.heading}>
      <h1 id={ids.heading}>Emergency access</h1>
      <p>
        Open a patient's conversation you are not a member of, when care cannot wait. Emergency access is
        recorded and reviewed; it is read-only and ends on its own.
      </p>

      <form class="pat-form" role="search" aria-label="Find a patient by medical record number" noValidate onSubmit={(e) => void lookUp(e)}>
        <label for={ids.mrn}>Medical record number</label>
        <input
          id={ids.mrn}
          class="pat-input"
          autoComplete="off"
          spellcheck={false}
          maxLength={MAX_MRN}
          aria-describedby={ids.hint}
          value={mrn}
          onInput={(e) => setMrn((e.currentTarget as HTMLInputElement).value)}
        />
        <p id={ids.hint} class="pat-hint">
          The exact number from the patient's record. Every look-up is recorded.
        </p>
        {error && (
          <p role="alert" class="pat-error">
            {error}
          </p>
        )}
        <div class="pat-actions">
          <button type="submit" class="pat-button pat-primary" disabled={busy}>
            {busy ? "Looking up…" : "Look up"}
          </button>
        </div>
      </form>

      <div role="status" class="pat-found">
        {found &&
          (found.patients.length === 0
            ? "No patient has that medical record number. Check it: it must match exactly."
            : `${found.patients.length} patient${found.patients.length === 1 ? "" : "s"} found.`)}
      </div>
      {found && found.patients.length > 0 && (
        <ul class="pat-results" aria-label="Patients found">
          {found.patients.map((p) => (
            <li key={p.id} class="pat-result">
              <span class="pat-result-name">{p.display_name}</span>
              {!p.on_care_team ? (
                <button
                  type="button"
                  class="pat-button pat-danger"
                  aria-label={`Emergency access to ${p.display_name}`}
                  onClick={() => setTarget({ conversationId: p.conversation_id, name: p.display_name })}
                >
                  Emergency access
                </button>
              ) : props.onOpenConversation ? (
                <span class="pat-result-action">
                  <span class="pat-hint">You are on this patient's care team.</span>
                  <button
                    type="button"
                    class="pat-button"
                    aria-label={`Open the conversation with ${p.display_name}`}
                    onClick={() => props.onOpenConversation?.(p.conversation_id)}
                  >
                    Open conversation
                  </button>
                </span>
              ) : (
                <span class="pat-hint">You are on this patient's care team: open the conversation from the list.</span>
              )}
            </li>
          ))}
        </ul>
      )}

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
      props.onOpened({ ...r.data, conversation_id: r.data.conversation_id || id });
    } else setError(r.message);
  }

  return (
    <Dialog
      title={`Emergency access to ${props.target.name}`}
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
