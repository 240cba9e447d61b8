// Small pieces shared by the admin, patient and break-glass screens:
// a modal dialog with focus management, a yes/no confirmation, the words
// for a server refusal, and a copy-to-clipboard field for secrets shown
// once.

import type { ComponentChildren, JSX } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { problemOf } from "../sdk.ts";
import "./admin.css";

/** What a failed call comes down to, for people: a slug and a sentence. */
export interface Refusal {
  code: string;
  message: string;
}

/** Turns a server sentence ("that username is taken") into one a person
 * reads ("That username is taken."). */
export function sentence(text: string): string {
  const t = text.trim();
  if (t === "") return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/** The words for a refused call: the problem's `detail` (else its title,
 * else words for the HTTP status), through the SDK's `problemOf`.
 * `words` overrides the sentence for particular codes (channel_policy…). */
export function refusalOf(
  error: unknown,
  response: Response | undefined,
  words: Partial<Record<string, string>> = {},
): Refusal {
  const p = problemOf(error, response);
  const code = p.code ?? (p.status !== undefined ? `http_${p.status}` : "unknown");
  const special = words[code];
  if (special !== undefined) return { code, message: special };
  return { code, message: sentence(p.detail) };
}

/** Result of one API call, without exceptions: either the data or the
 * refusal in words. Network failures become a refusal too. */
export type Outcome<T> = { ok: true; data: T; status: number } | ({ ok: false } & Refusal);

export async function attempt<T>(
  call: () => Promise<{ data?: T; error?: unknown; response: Response }>,
  words: Partial<Record<string, string>> = {},
): Promise<Outcome<T>> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call();
  } catch (e) {
    return { ok: false, ...refusalOf(e, undefined, words) };
  }
  const { data, error, response } = result;
  if (response.ok) return { ok: true, data: data as T, status: response.status };
  return { ok: false, ...refusalOf(error, response, words) };
}

/** A modal dialog (native `<dialog>` opened with showModal: the rest of
 * the page is inert, Tab stays inside). Escape closes it through
 * `onClose`; focus goes to `[data-autofocus]` (else the first control) on
 * open and back to the opener on close. */
export function Dialog(props: {
  title: string;
  role?: "dialog" | "alertdialog";
  onClose(): void;
  /** Read out when the dialog opens (aria-describedby). */
  description?: ComponentChildren;
  children?: ComponentChildren;
  class?: string;
}): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descId = useId();
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const d = ref.current;
    if (!d) return;
    if (!d.open) d.showModal();
    const target =
      d.querySelector<HTMLElement>("[data-autofocus]") ??
      d.querySelector<HTMLElement>("input:not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled])");
    target?.focus();
    return () => {
      if (d.open) d.close();
      if (opener && opener.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class={`adm-dialog ${props.class ?? ""}`}
      role={props.role ?? "dialog"}
      aria-labelledby={titleId}
      aria-describedby={props.description !== undefined ? descId : undefined}
      onCancel={(e: Event) => {
        e.preventDefault();
        onClose.current();
      }}
    >
      <h2 id={titleId} class="adm-dialog-title">
        {props.title}
      </h2>
      {props.description !== undefined && (
        <div id={descId} class="adm-dialog-description">
          {props.description}
        </div>
      )}
      <div class="adm-dialog-body">{props.children}</div>
    </dialog>
  );
}

/** A yes/no question about an action; runs it, shows a refusal in the
 * dialog, or hands the data on. */
export function ConfirmDialog<T>(props: {
  title: string;
  confirm: string;
  danger?: boolean;
  children: ComponentChildren;
  run(): Promise<{ ok: true; data: T } | { ok: false; message: string }>;
  onDone(data: T): void | Promise<void>;
  onClose(): void;
}): JSX.Element {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  return (
    <Dialog title={props.title} role="alertdialog" description={props.children} onClose={() => !busy && props.onClose()}>
      {error && (
        <p role="alert" class="adm-error">
          {error}
        </p>
      )}
      <div class="adm-actions">
        <button type="button" class="adm-button" data-autofocus disabled={busy} onClick={props.onClose}>
          Cancel
        </button>
        <button
          type="button"
          class={`adm-button ${props.danger ? "adm-danger" : "adm-primary"}`}
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setError("");
            const r = await props.run();
            setBusy(false);
            if (r.ok) await props.onDone(r.data);
            else setError(r.message);
          }}
        >
          {busy ? "Working…" : props.confirm}
        </button>
      </div>
    </Dialog>
  );
}

/** A secret shown once (a temporary password, an API key, a signing
 * secret), selectable, with a Copy button. It lives only in this
 * component's props: nothing is kept once the dialog closes, nothing goes
 * to storage or the console. `focus` puts the caret in it (selected) when
 * it appears, for a dialog whose first step was a form. */
export function SecretOnce(props: { label: string; value: string; copyName?: string; focus?: boolean }): JSX.Element {
  const [copied, setCopied] = useState<"" | "yes" | "no">("");
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (props.focus) input.current?.focus();
  }, []);
  return (
    <div class="adm-secret">
      <label for={inputId}>{props.label}</label>
      <div class="adm-secret-row">
        <input
          ref={input}
          id={inputId}
          class="adm-secret-value"
          type="text"
          readOnly
          value={props.value}
          autoComplete="off"
          spellcheck={false}
          onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
        />
        <button
          type="button"
          class="adm-button"
          aria-label={props.copyName ?? `Copy ${props.label.toLowerCase()}`}
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(props.value);
              setCopied("yes");
            } catch {
              setCopied("no");
            }
          }}
        >
          Copy
        </button>
      </div>
      <p role="status" class="adm-hint">
        {copied === "yes" ? "Copied." : copied === "no" ? "Could not copy: select the text and copy it by hand." : ""}
      </p>
    </div>
  );
}

/** Twenty random characters in groups of five (100 bits), the same shape
 * as the server's temporary passwords: `ABCDE-FGHIJ-KLMNO-PQRST`. */
export function generatePassword(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // 32 symbols, no 0/O/1/I
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  let out = "";
  bytes.forEach((b, i) => {
    if (i > 0 && i % 5 === 0) out += "-";
    out += alphabet[b % 32];
  });
  return out;
}

/** "1 Dec 2026, 14:05" in the reader's locale. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "1 Dec 2026, 14:05:07": for events seconds apart (webhook attempts). */
export function formatTimeSeconds(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString(undefined, { dateStyle: "medium" });
}

/** Lower-case, accents removed: for client-side filtering. */
export function fold(s: string): string {
  return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}
