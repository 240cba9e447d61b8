// Outgoing webhooks, for the administrator: the endpoints hippo posts
// events to (ids and states, never message content), registering one
// (its signing secret shown once, like an API key: only in the dialog's
// state, never stored or logged), deleting one, and each endpoint's
// delivery history (WebhookDeliveries).

import type { JSX } from "preact";
import { useEffect, useId, useState } from "preact/hooks";
import type { HippoClient } from "../sdk.ts";
import { attempt, ConfirmDialog, Dialog, formatDate, SecretOnce, type Refusal } from "./ui.tsx";
import {
  personName,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_EVENTS,
  type Account,
  type CreatedWebhook,
  type Webhook,
  type WebhookEventType,
} from "./types.ts";
import { WebhookDeliveries } from "./WebhookDeliveries.tsx";
import "./admin.css";

export function Webhooks(props: { client: HippoClient; users: Account[] | null }): JSX.Element {
  const { client } = props;
  const [hooks, setHooks] = useState<Webhook[] | null>(null);
  const [error, setError] = useState<Refusal | null>(null);
  const [notice, setNotice] = useState("");
  const [registering, setRegistering] = useState(false);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const [history, setHistory] = useState<string | null>(null);
  const services = (props.users ?? []).filter((u) => u.role === "service");

  async function load(): Promise<void> {
    const r = await attempt(() => client.api.GET("/api/v1/webhooks"));
    if (r.ok) {
      setHooks(r.data.webhooks);
      setError(null);
    } else setError(r);
  }

  useEffect(() => {
    void load();
  }, [client]);

  /** Whose conversations an endpoint hears about. */
  function scopeOf(w: Webhook): string {
    if (!w.service_account_id) return "Every conversation";
    const a = (props.users ?? []).find((u) => u.id === w.service_account_id);
    return `Conversations of ${a ? personName(a) : w.service_account_id}`;
  }

  const shown = hooks?.find((w) => w.id === history) ?? null;

  return (
    <section class="adm-section" aria-labelledby="adm-hooks-heading">
      <header class="adm-header">
        <h2 id="adm-hooks-heading">Webhooks</h2>
        <button
          type="button"
          class="adm-button adm-primary"
          onClick={() => {
            setNotice("");
            setRegistering(true);
          }}
        >
          Register webhook
        </button>
      </header>
      <p class="adm-hint">
        hippo posts events to these addresses as they happen, signed with each endpoint's secret (Standard
        Webhooks), and retries for more than a day when the receiver fails. Bodies carry ids and states, never
        message content, names or phone numbers.
      </p>
      <p role="status" class="adm-notice">
        {notice}
      </p>
      {error && (
        <div role="alert" class="adm-error">
          The webhooks could not be loaded: {error.message}{" "}
          <button type="button" class="adm-button" onClick={() => void load()}>
            Try again
          </button>
        </div>
      )}
      {hooks === null && !error ? (
        <p class="adm-hint">Loading webhooks…</p>
      ) : hooks !== null && hooks.length === 0 ? (
        <p class="adm-hint">No webhooks: hippo posts events nowhere.</p>
      ) : hooks !== null ? (
        <table class="adm-table" aria-label="Webhooks">
          <caption>{`${hooks.length} webhook${hooks.length === 1 ? "" : "s"}`}</caption>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">Scope</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {hooks.map((w) => (
              <tr key={w.id}>
                <td class="adm-url">{w.url}</td>
                <td>
                  <ul class="adm-plain-list">
                    {w.events.map((e) => (
                      <li key={e}>
                        <code>{e}</code>
                      </li>
                    ))}
                  </ul>
                </td>
                <td>{scopeOf(w)}</td>
                <td>
                  <time dateTime={w.created_at}>{formatDate(w.created_at)}</time>
                </td>
                <td>
                  <div class="adm-row-actions">
                    <button
                      type="button"
                      class="adm-button"
                      aria-label={`Deliveries to ${w.url}`}
                      aria-expanded={history === w.id}
                      aria-controls={history === w.id ? "adm-deliveries" : undefined}
                      onClick={() => setHistory((h) => (h === w.id ? null : w.id))}
                    >
                      Deliveries
                    </button>
                    <button
                      type="button"
                      class="adm-button adm-danger"
                      aria-label={`Delete webhook ${w.url}`}
                      onClick={() => {
                        setNotice("");
                        setDeleting(w);
                      }}
                    >
                      Delete
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}

      {shown && <WebhookDeliveries key={shown.id} id="adm-deliveries" client={client} webhook={shown} />}

      {registering && (
        <NewWebhookDialog
          client={client}
          services={services}
          onCreated={(w) => {
            setHooks((list) => [...(list ?? []).filter((x) => x.id !== w.id), w]);
            setNotice(`Registered ${w.url}.`);
          }}
          onClose={() => setRegistering(false)}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete the webhook to ${deleting.url}?`}
          confirm="Delete"
          danger
          onClose={() => setDeleting(null)}
          run={() => attempt(() => client.api.DELETE("/api/v1/webhooks/{id}", { params: { path: { id: deleting.id } } }))}
          onDone={() => {
            const w = deleting;
            setDeleting(null);
            setHooks((list) => (list ?? []).filter((x) => x.id !== w.id));
            if (history === w.id) setHistory(null);
            setNotice(`Deleted the webhook to ${w.url}: nothing more is posted there.`);
          }}
        >
          <p>
            Nothing more is posted to it; deliveries still waiting are given up. The delivery history stays in
            hippo's records.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

/** `New webhook`: URL, events, optional service account; then the
 * signing secret, once, in the same dialog. */
function NewWebhookDialog(props: {
  client: HippoClient;
  services: Account[];
  onCreated(w: Webhook): void;
  onClose(): void;
}): JSX.Element {
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<WebhookEventType[]>([]);
  const [service, setService] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  // The secret itself: only here, only until the dialog closes.
  const [created, setCreated] = useState<CreatedWebhook | null>(null);
  const ids = { u: useId(), s: useId(), e: useId() };

  async function submit(e: Event): Promise<void> {
    e.preventDefault();
    setError("");
    const target = url.trim();
    if (target === "") {
      setError("Enter the receiver's URL.");
      return;
    }
    if (events.length === 0) {
      setError("Choose at least one event.");
      return;
    }
    setBusy(true);
    const body: { url: string; events: WebhookEventType[]; service_account_id?: string } = {
      url: target,
      // In the server's order, whatever order they were ticked in.
      events: WEBHOOK_EVENT_TYPES.filter((t) => events.includes(t)),
    };
    if (service !== "") body.service_account_id = service;
    const r = await attempt(() => props.client.api.POST("/api/v1/webhooks", { body }));
    setBusy(false);
    if (r.ok) {
      setCreated(r.data);
      props.onCreated(r.data.webhook);
    } else setError(r.message);
  }

  if (created) {
    return (
      <Dialog title="New webhook" onClose={props.onClose}>
        <p class="adm-warning">
          <strong>Copy the signing secret now: you will not see it again.</strong> The receiver checks each
          delivery's <code>webhook-signature</code> with it.
        </p>
        <SecretOnce label="Signing secret" copyName="Copy signing secret" value={created.secret} focus />
        <p class="adm-hint">{`Events for ${created.webhook.url}: ${created.webhook.events.join(", ")}.`}</p>
        <div class="adm-actions">
          <button type="button" class="adm-button adm-primary" onClick={props.onClose}>
            Done
          </button>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog title="New webhook" onClose={() => !busy && props.onClose()}>
      <form class="adm-form" noValidate onSubmit={(e) => void submit(e)}>
        <label for={ids.u}>Webhook URL</label>
        <input
          id={ids.u}
          class="adm-input"
          type="url"
          inputMode="url"
          required
          autoComplete="off"
          spellcheck={false}
          placeholder="https://receiver.example/hippo"
          value={url}
          aria-describedby={`${ids.u}-hint`}
          onInput={(e) => setUrl((e.currentTarget as HTMLInputElement).value)}
        />
        <span id={`${ids.u}-hint`} class="adm-hint">
          An https address reachable from the internet (the operator may allow private networks). Redirects are not
          followed.
        </span>
        <fieldset class="adm-fieldset">
          <legend>Events</legend>
          {WEBHOOK_EVENT_TYPES.map((t) => (
            <div class="adm-check" key={t}>
              <input
                id={`${ids.e}-${t}`}
                type="checkbox"
                checked={events.includes(t)}
                aria-describedby={`${ids.e}-${t}-what`}
                onChange={(e) => {
                  const on = (e.currentTarget as HTMLInputElement).checked;
                  setEvents((list) => (on ? [...list.filter((x) => x !== t), t] : list.filter((x) => x !== t)));
                }}
              />
              <label for={`${ids.e}-${t}`} class="adm-choice">
                {t}
              </label>
              <span id={`${ids.e}-${t}-what`} class="adm-hint">
                {WEBHOOK_EVENTS[t]}
              </span>
            </div>
          ))}
        </fieldset>
        <label for={ids.s}>Service account</label>
        <select
          id={ids.s}
          class="adm-input"
          value={service}
          aria-describedby={`${ids.s}-hint`}
          onChange={(e) => setService((e.currentTarget as HTMLSelectElement).value)}
        >
          <option value="">None: events of every conversation</option>
          {props.services.map((a) => (
            <option value={a.id} key={a.id}>
              {`${personName(a)} (${a.username})`}
            </option>
          ))}
        </select>
        <span id={`${ids.s}-hint`} class="adm-hint">
          Recommended: the integration's own account, so it hears only of conversations it is a member of.
        </span>
        {error && (
          <p role="alert" class="adm-error">
            {error}
          </p>
        )}
        <div class="adm-actions">
          <button type="button" class="adm-button" disabled={busy} onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="adm-button adm-primary" disabled={busy}>
            {busy ? "Registering…" : "Register"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
