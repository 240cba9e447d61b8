// The composer of a patient conversation: messages to the patient go out
// on WhatsApp, as an approved template (always, when the patient opted in;
// under the `notify_only` policy only templates marked PHI-free) or as free
// text (only under the `patient_requested` policy, for a patient who asked
// for WhatsApp after the risk warning, within 24 hours of their last
// message). The server's policy comes with the templates (`phi_mode`); the
// server decides, this panel offers only what it would accept and puts
// every refusal in words.

import type { JSX } from "preact";
import { useEffect, useId, useMemo, useRef, useState } from "preact/hooks";
import type { HippoClient } from "../sdk.ts";
import type { ChannelStatus, Conversation } from "../types.ts";
import { attempt, Dialog, formatTime, type Refusal } from "../admin/ui.tsx";
import { isApproved, SERVICE_WINDOW_MS, type Patient, type PhiMode, type Template } from "./types.ts";
import "./patients.css";

/** The words for each WhatsApp refusal (the contract's codes). */
export const WHATSAPP_WORDS = {
  channel_policy: "Free text is not allowed for this patient: only approved templates (PHI policy).",
  outside_service_window: "The patient has not written in the last 24 hours: use a template.",
  template_not_approved: "This template is not approved by WhatsApp: choose another one.",
  not_opted_in: "The patient has not opted in to WhatsApp messages: nothing can be sent to them.",
  channel_not_configured: "WhatsApp is not set up on this server.",
} as const;

/** Why no free text can be written, before anything is sent. */
const FREE_TEXT_WORDS = {
  notify_only: "Free text is never sent on WhatsApp from this server: only PHI-free templates (PHI policy).",
  not_requested:
    "Free text only for a patient who asked for health information on WhatsApp (not on record for this patient): use a template.",
};

/** The server's PHI policy, in words. */
const POLICY_WORDS = {
  notify_only: "Notifications only: PHI-free templates, no free text.",
  patient_requested: "Approved templates; free text to patients who asked for it, within 24 hours of their last message.",
} as const;

/** A template refused by `channel_policy` means a template not marked
 * PHI-free under `notify_only`. */
const TEMPLATE_WORDS = {
  ...WHATSAPP_WORDS,
  channel_policy:
    "This template is not marked PHI-free: under this server's policy only PHI-free templates may be sent.",
};

/** The label of a WhatsApp message's delivery state, for the message log. */
export function channelStateLabel(status: ChannelStatus | null | undefined): string {
  if (!status) return "";
  const state: string = status.state;
  switch (state) {
    case "queued":
      return "Queued";
    case "sent":
      return "Sent";
    case "delivered":
      return "Delivered";
    case "read":
      return "Read";
    case "failed":
      return status.error_title ? `Failed: ${status.error_title}` : "Failed";
    case "received":
      return "Received";
    default:
      return state ? state.charAt(0).toUpperCase() + state.slice(1) : "";
  }
}

function templateKey(t: Template): string {
  return `${t.name}\u0000${t.language}`;
}

function windowOpen(p: Patient, now: number): boolean {
  if (!p.last_inbound_at) return false;
  const t = Date.parse(p.last_inbound_at);
  return !Number.isNaN(t) && now - t < SERVICE_WINDOW_MS;
}

/** Re-renders once a minute, so the 24-hour window closes on screen. */
function useMinuteClock(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);
  return now;
}

function newClientId(): string {
  return typeof crypto.randomUUID === "function"
    ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Every refusal is shown inside the panel (role=alert, next to what was
 * refused) and stays until the next attempt; `onError` is not called for
 * them, so the shell does not announce the same words twice.
 */
export function PatientPanel(props: {
  client: HippoClient;
  conversation: Conversation;
  onError(msg: string): void;
}): JSX.Element {
  const { client, conversation } = props;
  const now = useMinuteClock();

  /** undefined: loading; null: no patient record visible for this conversation. */
  const [patient, setPatient] = useState<Patient | null | undefined>(undefined);
  const [patientError, setPatientError] = useState<Refusal | null>(null);
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [templatesError, setTemplatesError] = useState<Refusal | null>(null);
  const [mode, setMode] = useState<PhiMode>(null);

  const [chosen, setChosen] = useState("");
  const [params, setParams] = useState<string[]>([]);
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [sendError, setSendError] = useState("");
  const [sent, setSent] = useState("");
  /** Kept while the same content is sent again after a network failure,
   * so the server does not queue it twice; any edit starts a new one. */
  const pendingClientId = useRef<string | null>(null);

  const ids = { tpl: useId(), text: useId(), state: useId() };

  /** The patient of this conversation (`GET /patients?conversation_id=`:
   * the care team only; 404 off it, an empty list if the conversation is
   * not a patient's). */
  async function loadPatient(): Promise<void> {
    const r = await attempt(() =>
      client.api.GET("/api/v1/patients", { params: { query: { conversation_id: conversation.id } } }),
    );
    if (r.ok) {
      setPatient(r.data.patients[0] ?? null);
      setPatientError(null);
    } else if (r.code === "not_found") {
      setPatient(null);
      setPatientError(null);
    } else {
      setPatientError(r);
    }
  }

  async function loadTemplates(): Promise<void> {
    const r = await attempt(() => client.api.GET("/api/v1/whatsapp/templates"), WHATSAPP_WORDS);
    if (r.ok) {
      setTemplates(r.data.templates);
      setMode(r.data.phi_mode);
      setTemplatesError(null);
    } else {
      setTemplates(null);
      setMode(null);
      setTemplatesError(r);
    }
  }

  const [syncing, setSyncing] = useState(false);
  /** Fetches the templates from WhatsApp again (Meta approves them there). */
  async function syncTemplates(): Promise<void> {
    setSyncing(true);
    const r = await attempt(() => client.api.POST("/api/v1/whatsapp/templates/sync"), WHATSAPP_WORDS);
    setSyncing(false);
    if (r.ok) {
      setTemplates(r.data.templates);
      setMode(r.data.phi_mode);
      setTemplatesError(null);
    } else {
      setTemplatesError(r);
    }
  }

  // A new conversation: start over.
  useEffect(() => {
    setPatient(undefined);
    setPatientError(null);
    setTemplates(null);
    setTemplatesError(null);
    setMode(null);
    setChosen("");
    setParams([]);
    setText("");
    setSendError("");
    setSent("");
    pendingClientId.current = null;
    void loadPatient();
    void loadTemplates();
  }, [client, conversation.id]);

  // A new message in the conversation may be the patient writing (which
  // opens the 24-hour window): read the patient's state again.
  const patientId = patient?.id;
  const lastSeq = conversation.last_seq;
  const seenSeq = useRef(lastSeq);
  useEffect(() => {
    if (seenSeq.current === lastSeq) return;
    seenSeq.current = lastSeq;
    if (patientId) void loadPatient();
  }, [lastSeq, patientId]);

  const offered = useMemo(() => {
    const approved = (templates ?? []).filter(isApproved);
    const list = mode === "notify_only" ? approved.filter((t) => t.phi_free) : approved;
    return list.slice().sort((a, b) => a.name.localeCompare(b.name) || a.language.localeCompare(b.language));
  }, [templates, mode]);

  const template = offered.find((t) => templateKey(t) === chosen) ?? null;

  function choose(key: string): void {
    setChosen(key);
    const t = offered.find((x) => templateKey(x) === key);
    setParams(t ? Array.from({ length: Math.max(0, t.parameter_count) }, () => "") : []);
    setSendError("");
    pendingClientId.current = null;
  }

  async function send(body: { template: { name: string; language: string; parameters: string[] } } | { text: string }) {
    if (!patient) return;
    setBusy(true);
    setSendError("");
    setSent("");
    pendingClientId.current ??= newClientId();
    const isTemplate = "template" in body;
    const r = await attempt(
      () =>
        client.api.POST("/api/v1/patients/{id}/whatsapp", {
          params: { path: { id: patient.id } },
          body: { ...body, client_id: pendingClientId.current ?? undefined },
        }),
      isTemplate ? TEMPLATE_WORDS : WHATSAPP_WORDS,
    );
    setBusy(false);
    if (r.ok) {
      pendingClientId.current = null;
      setSent(isTemplate ? `Template “${body.template.name}” queued for WhatsApp.` : "Message queued for WhatsApp.");
      if (isTemplate) setParams((ps) => ps.map(() => ""));
      else setText("");
      return;
    }
    // A refusal is final for this content: the next attempt is a new message.
    if (r.code !== "network") pendingClientId.current = null;
    // The server's view differs from the one on screen: read it again.
    if (r.code === "not_opted_in" || r.code === "outside_service_window" || r.code === "channel_policy") {
      void loadPatient();
    }
    if (r.code === "channel_policy" || r.code === "template_not_approved") void loadTemplates();
    setSendError(r.message);
  }

  if (patientError) {
    return (
      <section class="pat-panel" aria-label="WhatsApp to the patient">
        <p role="alert" class="pat-error">
          The patient's details could not be loaded: {patientError.message}
        </p>
        <button type="button" class="pat-button" onClick={() => void loadPatient()}>
          Try again
        </button>
      </section>
    );
  }
  if (patient === undefined) {
    return (
      <section class="pat-panel" aria-label="WhatsApp to the patient">
        <p class="pat-hint">Loading the patient's WhatsApp details…</p>
      </section>
    );
  }
  if (patient === null) {
    return (
      <section class="pat-panel" aria-label="WhatsApp to the patient">
        <p role="alert" class="pat-error">
          No patient record for this conversation is open to you (only the care team sees it), so nothing
          can be sent to the patient from here.
        </p>
      </section>
    );
  }

  const requested = !!patient.whatsapp_phi_request;
  const open = windowOpen(patient, now);
  const freeTextAllowed = patient.whatsapp_opt_in && mode === "patient_requested" && requested && open;
  const freeTextWhyNot =
    mode === null
      ? ""
      : mode === "notify_only"
        ? FREE_TEXT_WORDS.notify_only
        : !requested
          ? FREE_TEXT_WORDS.not_requested
          : !open
            ? WHATSAPP_WORDS.outside_service_window
            : "";
  const paramsComplete = template !== null && params.every((p) => p.trim() !== "");
  const hidden = (templates ?? []).filter(isApproved).length - offered.length;
  const names = template ? parameterNames(template.body_text, params.length) : [];

  return (
    <section class="pat-panel" aria-label="WhatsApp to the patient">
      <h2 class="pat-title">WhatsApp to {patient.display_name}</h2>
      <dl class="pat-state" id={ids.state}>
        <dt>WhatsApp</dt>
        <dd>
          {patient.whatsapp_opt_in
            ? `Opted in${patient.opt_in_at ? ` on ${formatTime(patient.opt_in_at)}` : ""}${patient.opt_in_source ? ` (${patient.opt_in_source})` : ""}.`
            : patient.opted_out_at
              ? `Opted out on ${formatTime(patient.opted_out_at)}.`
              : "Not opted in."}
        </dd>
        {mode !== null && (
          <>
            <dt>This server's policy</dt>
            <dd>{POLICY_WORDS[mode]}</dd>
          </>
        )}
        <dt>Health information on WhatsApp</dt>
        <dd>
          {requested
            ? `Requested by the patient after the risk warning${patient.whatsapp_phi_request?.at ? ` on ${formatTime(patient.whatsapp_phi_request.at)}` : ""} (warning ${patient.whatsapp_phi_request?.warning_version}).`
            : "Not requested by the patient: templates only."}
        </dd>
        <dt>Last message from the patient</dt>
        <dd>
          {patient.last_inbound_at
            ? `${formatTime(patient.last_inbound_at)}${open ? ` (free text possible until ${formatTime(new Date(Date.parse(patient.last_inbound_at) + SERVICE_WINDOW_MS).toISOString())})` : " (more than 24 hours ago)"}.`
            : "The patient has not written yet."}
        </dd>
      </dl>
      <Consent
        client={client}
        patient={patient}
        onChanged={setPatient}
        report={(ok, message) => {
          setSent(ok ? message : "");
          setSendError(ok ? "" : message);
        }}
      />

      <p role="status" class="pat-sent">
        {sent}
      </p>
      {sendError && (
        <p role="alert" class="pat-error">
          {sendError}
        </p>
      )}

      {templatesError ? (
        <>
          <p role="alert" class="pat-error">
            {templatesError.code === "channel_not_configured"
              ? WHATSAPP_WORDS.channel_not_configured
              : `The WhatsApp templates could not be loaded: ${templatesError.message}`}
          </p>
          {templatesError.code !== "channel_not_configured" && (
            <button type="button" class="pat-button" disabled={syncing} onClick={() => void loadTemplates()}>
              Try again
            </button>
          )}
        </>
      ) : !patient.whatsapp_opt_in ? (
        <p class="pat-notice">{WHATSAPP_WORDS.not_opted_in}</p>
      ) : (
        <>
          <form
            class="pat-form"
            noValidate
            aria-label="Send a template"
            onSubmit={(e) => {
              e.preventDefault();
              if (!template) {
                setSendError("Choose a template.");
                return;
              }
              if (!paramsComplete) {
                setSendError("Fill in every parameter of the template.");
                return;
              }
              void send({ template: { name: template.name, language: template.language, parameters: params.map((p) => p.trim()) } });
            }}
          >
            <label for={ids.tpl}>Template</label>
            {templates === null ? (
              <p class="pat-hint">Loading templates…</p>
            ) : offered.length === 0 ? (
              <div class="pat-notice" id={ids.tpl}>
                <p>
                  {mode === "notify_only"
                    ? "No approved template is marked PHI-free: an administrator marks templates PHI-free before they can be sent."
                    : "No approved template yet: templates are created and approved in WhatsApp Manager."}
                </p>
                <button type="button" class="pat-button" disabled={syncing} onClick={() => void syncTemplates()}>
                  {syncing ? "Refreshing…" : "Refresh templates from WhatsApp"}
                </button>
              </div>
            ) : (
              <select
                id={ids.tpl}
                class="pat-input"
                value={chosen}
                onChange={(e) => choose((e.currentTarget as HTMLSelectElement).value)}
              >
                <option value="">Choose a template…</option>
                {offered.map((t) => (
                  <option key={templateKey(t)} value={templateKey(t)}>
                    {t.name} ({t.language})
                  </option>
                ))}
              </select>
            )}
            {hidden > 0 && (
              <p class="pat-hint">
                {hidden} approved template{hidden === 1 ? " is" : "s are"} not marked PHI-free and cannot be sent under
                this server's policy.
              </p>
            )}
            {template && (
              <>
                {template.body_text && (
                  <p class="pat-preview">
                    <span class="pat-visually-hidden">Preview: </span>
                    {preview(template.body_text, params)}
                  </p>
                )}
                {params.map((value, i) => (
                  <TemplateParameter
                    key={`${chosen}-${i}`}
                    index={i}
                    name={names[i] ?? null}
                    value={value}
                    onInput={(v) => {
                      setParams((ps) => ps.map((p, j) => (j === i ? v : p)));
                      pendingClientId.current = null;
                    }}
                  />
                ))}
                <div class="pat-actions">
                  <button type="submit" class="pat-button pat-primary" disabled={busy}>
                    {busy ? "Sending…" : "Send template"}
                  </button>
                </div>
              </>
            )}
          </form>

          {freeTextAllowed ? (
            <form
              class="pat-form"
              noValidate
              aria-label="Send free text"
              onSubmit={(e) => {
                e.preventDefault();
                if (text.trim() === "") {
                  setSendError("Write a message first.");
                  return;
                }
                void send({ text });
              }}
            >
              <label for={ids.text}>Message</label>
              <textarea
                id={ids.text}
                class="pat-input pat-text"
                rows={2}
                value={text}
                onInput={(e) => {
                  setText((e.currentTarget as HTMLTextAreaElement).value);
                  pendingClientId.current = null;
                }}
              />
              <div class="pat-actions">
                <button type="submit" class="pat-button pat-primary" disabled={busy}>
                  {busy ? "Sending…" : "Send"}
                </button>
              </div>
            </form>
          ) : freeTextWhyNot ? (
            <p class="pat-notice">{freeTextWhyNot}</p>
          ) : null}
        </>
      )}
    </section>
  );
}

/** Walks the `{{…}}` placeholders of template text as the server does
 * (send.rs `render_template`): `{{N}}` is parameter N; a named one
 * (`{{clinic_name}}`) takes the next free position at its first use. */
function mapPlaceholders(text: string, fill: (index: number, key: string) => string): string {
  let out = "";
  let rest = text;
  let next = 0;
  const seen: string[] = [];
  for (;;) {
    const start = rest.indexOf("{{");
    if (start < 0) break;
    const len = rest.slice(start + 2).indexOf("}}");
    if (len < 0) break;
    out += rest.slice(0, start);
    const key = rest.slice(start + 2, start + 2 + len).trim();
    let index: number;
    const n = /^\d+$/.test(key) ? Number(key) : NaN;
    if (n >= 1) index = n - 1;
    else {
      const i = seen.indexOf(key);
      if (i >= 0) index = i;
      else {
        seen.push(key);
        index = next++;
      }
    }
    out += fill(index, key);
    rest = rest.slice(start + 2 + len + 2);
  }
  return out + rest;
}

/** The names of a template's parameters, by position (`null` for `{{N}}`). */
function parameterNames(text: string | null | undefined, count: number): (string | null)[] {
  const names: (string | null)[] = Array.from({ length: count }, () => null);
  if (text) mapPlaceholders(text, (i, key) => {
    if (i < count && !/^\d+$/.test(key)) names[i] = key;
    return "";
  });
  return names;
}

/** The template text with the parameters typed so far. */
function preview(text: string, params: string[]): string {
  return mapPlaceholders(text, (i, key) => {
    const v = params[i]?.trim();
    return v ? v : `{{${key}}}`;
  });
}

function TemplateParameter(props: { index: number; name: string | null; value: string; onInput(v: string): void }): JSX.Element {
  const id = useId();
  return (
    <>
      <label for={id}>{`Parameter ${props.index + 1}${props.name ? ` (${props.name})` : ""}`}</label>
      <input
        id={id}
        class="pat-input"
        required
        autoComplete="off"
        value={props.value}
        onInput={(e) => props.onInput((e.currentTarget as HTMLInputElement).value)}
      />
    </>
  );
}

/** Records the patient's WhatsApp consent, or its withdrawal. */
function Consent(props: {
  client: HippoClient;
  patient: Patient;
  onChanged(p: Patient): void;
  /** Puts a result in the panel's status or alert line. */
  report(ok: boolean, message: string): void;
}): JSX.Element {
  const { client, patient } = props;
  const [source, setSource] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const id = useId();

  async function patch(body: { whatsapp_opt_in: boolean; opt_in_source?: string }): Promise<boolean> {
    setBusy(true);
    const r = await attempt(() =>
      client.api.PATCH("/api/v1/patients/{id}", { params: { path: { id: patient.id } }, body }),
    );
    setBusy(false);
    if (r.ok) {
      props.onChanged(r.data);
      props.report(true, body.whatsapp_opt_in ? "WhatsApp consent recorded." : "Opt-out recorded: nothing more is sent on WhatsApp.");
      return true;
    }
    props.report(false, r.message);
    return false;
  }

  return (
    <div class="pat-consent">
      {patient.whatsapp_opt_in ? (
        <button type="button" class="pat-button pat-small" disabled={busy} onClick={() => setConfirming(true)}>
          Record opt-out
        </button>
      ) : (
        <form
          class="pat-form pat-consent-form"
          noValidate
          aria-label="Record WhatsApp consent"
          onSubmit={(e) => {
            e.preventDefault();
            if (source.trim() === "") {
              props.report(false, "Say how the patient gave consent (for example: signed form at the front desk).");
              return;
            }
            void patch({ whatsapp_opt_in: true, opt_in_source: source.trim() }).then((ok) => ok && setSource(""));
          }}
        >
          <label for={id}>How consent was given</label>
          <input
            id={id}
            class="pat-input"
            autoComplete="off"
            maxLength={200}
            value={source}
            onInput={(e) => setSource((e.currentTarget as HTMLInputElement).value)}
          />
          <div class="pat-actions">
            <button type="submit" class="pat-button" disabled={busy}>
              Record consent
            </button>
          </div>
        </form>
      )}
      {confirming && (
        <Dialog
          title="Record opt-out?"
          role="alertdialog"
          onClose={() => !busy && setConfirming(false)}
          description={<p>The patient no longer gets WhatsApp messages from this service, templates included, until consent is recorded again.</p>}
        >
          <div class="pat-actions">
            <button type="button" class="pat-button" data-autofocus disabled={busy} onClick={() => setConfirming(false)}>
              Cancel
            </button>
            <button
              type="button"
              class="pat-button pat-danger-solid"
              disabled={busy}
              onClick={() => void patch({ whatsapp_opt_in: false }).then(() => setConfirming(false))}
            >
              Record opt-out
            </button>
          </div>
        </Dialog>
      )}
    </div>
  );
}
