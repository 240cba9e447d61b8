// One webhook endpoint's delivery history, newest first: each event's
// state, every attempt (when, the receiver's status or why there was
// none, how long it took), when the next attempt is due, and its body
// (ids and states only). Older pages by the server's cursor; the newest
// page is read again every few seconds while the panel is open (more
// often while deliveries are pending); a dead delivery can be sent again.

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { HippoClient } from "../sdk.ts";
import { attempt, formatTimeSeconds, type Refusal } from "./ui.tsx";
import type { Webhook, WebhookAttempt, WebhookDelivery } from "./types.ts";
import "./admin.css";

const PAGE = 20;
/** While a shown delivery is pending, and otherwise. */
const POLL_PENDING_MS = 3_000;
const POLL_IDLE_MS = 15_000;

const STATE_LABELS: Record<string, string> = { pending: "Pending", delivered: "Delivered", dead: "Dead" };

interface Loaded {
  items: WebhookDelivery[];
  /** For the page older than the oldest shown; null: none. */
  cursor: string | null;
}

/** The newest page merged into what is shown: replaced where known, new
 * ones on top. If the page does not reach what is shown (more arrived
 * than a page holds), it starts over from the page. */
function merge(shown: Loaded | null, page: { deliveries: WebhookDelivery[]; next_cursor?: string | null }): Loaded {
  const fresh = page.deliveries;
  const cursor = page.next_cursor ?? null;
  if (!shown) return { items: fresh, cursor };
  const known = new Set(shown.items.map((d) => d.id));
  const oldest = fresh[fresh.length - 1];
  const reaches = cursor === null || (oldest !== undefined && known.has(oldest.id));
  if (!reaches) return { items: fresh, cursor };
  const ids = new Set(fresh.map((d) => d.id));
  return { items: [...fresh, ...shown.items.filter((d) => !ids.has(d.id))], cursor: shown.cursor };
}

/** A time on the delivery's day as the time alone ("9:54:05 PM"); on
 * another day in full. */
function timeAfter(iso: string, created: string): string {
  const d = new Date(iso);
  const c = new Date(created);
  if (Number.isNaN(d.getTime()) || d.toDateString() !== c.toDateString()) return formatTimeSeconds(iso);
  return d.toLocaleTimeString(undefined, { timeStyle: "medium" });
}

/** What one attempt came to, in words: "HTTP 200", "HTTP 503",
 * "No answer: timeout". */
function outcomeOf(a: WebhookAttempt): string {
  if (a.status != null) {
    const extra = a.error && a.error !== `status ${a.status}` ? `: ${a.error}` : "";
    return `HTTP ${a.status}${extra}`;
  }
  return `No answer${a.error ? `: ${a.error}` : ""}`;
}

export function WebhookDeliveries(props: { client: HippoClient; webhook: Webhook; id: string }): JSX.Element {
  const { client, webhook } = props;
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<Refusal | null>(null);
  const [notice, setNotice] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  const alive = useRef(true);
  const headingId = `${props.id}-heading`;

  async function page(cursor: string | null) {
    return await attempt(() =>
      client.api.GET("/api/v1/webhooks/{id}/deliveries", {
        params: { path: { id: webhook.id }, query: cursor ? { limit: PAGE, cursor } : { limit: PAGE } },
      }),
    );
  }

  async function refresh(): Promise<void> {
    const r = await page(null);
    if (!alive.current) return;
    if (r.ok) {
      setLoaded((shown) => merge(shown, r.data));
      setError(null);
    } else setError(r);
  }

  async function older(): Promise<void> {
    const cursor = loaded?.cursor;
    if (!cursor) return;
    setBusy("older");
    const r = await page(cursor);
    setBusy(null);
    if (!alive.current) return;
    if (r.ok) {
      setLoaded((shown) => {
        const items = shown?.items ?? [];
        const ids = new Set(items.map((d) => d.id));
        return { items: [...items, ...r.data.deliveries.filter((d) => !ids.has(d.id))], cursor: r.data.next_cursor ?? null };
      });
      setError(null);
    } else setError(r);
  }

  async function redeliver(d: WebhookDelivery): Promise<void> {
    setBusy(d.id);
    setNotice("");
    const r = await attempt(() =>
      client.api.POST("/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", {
        params: { path: { id: webhook.id, delivery_id: d.id } },
      }),
    );
    setBusy(null);
    if (!alive.current) return;
    if (r.ok) {
      setNotice(`${d.event_type} of ${formatTimeSeconds(d.created_at)} is queued again.`);
      await refresh();
    } else setError(r);
  }

  useEffect(() => {
    alive.current = true;
    void refresh();
    return () => {
      alive.current = false;
    };
  }, [client, webhook.id]);

  // Read the newest page again while the panel is open.
  const pending = loaded?.items.some((d) => d.state === "pending") ?? false;
  useEffect(() => {
    if (loaded === null && error === null) return;
    const timer = setTimeout(() => {
      if (!document.hidden) void refresh();
      else setLoaded((l) => (l ? { ...l } : l)); // re-arm
    }, pending ? POLL_PENDING_MS : POLL_IDLE_MS);
    return () => clearTimeout(timer);
  }, [loaded, error]);

  const items = loaded?.items ?? [];
  return (
    <section id={props.id} class="adm-subsection" aria-labelledby={headingId}>
      <header class="adm-header">
        <h3 id={headingId}>Deliveries to {webhook.url}</h3>
        <button type="button" class="adm-button" disabled={busy !== null} onClick={() => void refresh()}>
          Refresh
        </button>
      </header>
      <p role="status" class="adm-notice">
        {notice}
      </p>
      {error && (
        <p role="alert" class="adm-error">
          {error.message}
        </p>
      )}
      {loaded === null && !error ? (
        <p class="adm-hint">Loading deliveries…</p>
      ) : loaded !== null && items.length === 0 ? (
        <p class="adm-hint">Nothing yet: deliveries appear here as the subscribed events happen.</p>
      ) : loaded !== null ? (
        <table class="adm-table" aria-label={`Deliveries to ${webhook.url}`}>
          <caption>{`${items.length} deliver${items.length === 1 ? "y" : "ies"} shown, newest first`}</caption>
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Event</th>
              <th scope="col">State</th>
              <th scope="col">Attempts</th>
              <th scope="col">Body</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <DeliveryRow key={d.id} delivery={d} busy={busy !== null} onRedeliver={() => void redeliver(d)} />
            ))}
          </tbody>
        </table>
      ) : null}
      {loaded?.cursor && (
        <div class="adm-actions adm-actions-start">
          <button type="button" class="adm-button" disabled={busy !== null} onClick={() => void older()}>
            {busy === "older" ? "Loading…" : "Older"}
          </button>
        </div>
      )}
    </section>
  );
}

function DeliveryRow(props: { delivery: WebhookDelivery; busy: boolean; onRedeliver(): void }): JSX.Element {
  const d = props.delivery;
  return (
    <tr class={`adm-delivery-${d.state}`}>
      <td>
        <time dateTime={d.created_at}>{formatTimeSeconds(d.created_at)}</time>
      </td>
      <td>
        <code>{d.event_type}</code>
      </td>
      <td>
        <strong>{STATE_LABELS[d.state] ?? d.state}</strong>
        {d.state === "delivered" && d.delivered_at && (
          <div class="adm-badge">
            at <time dateTime={d.delivered_at}>{timeAfter(d.delivered_at, d.created_at)}</time>
          </div>
        )}
        {d.state === "pending" && d.next_attempt_at && (
          <div class="adm-badge">
            next attempt <time dateTime={d.next_attempt_at}>{timeAfter(d.next_attempt_at, d.created_at)}</time>
          </div>
        )}
        {d.state === "dead" && <div class="adm-badge">gave up</div>}
      </td>
      <td>
        {d.attempts.length === 0 ? (
          <span class="adm-badge">None yet</span>
        ) : (
          <ol class="adm-attempts">
            {d.attempts.map((a) => (
              <li key={a.attempt}>
                {`#${a.attempt} `}
                <time dateTime={a.at}>{timeAfter(a.at, d.created_at)}</time>
                {` · ${outcomeOf(a)} · ${a.duration_ms} ms`}
              </li>
            ))}
          </ol>
        )}
      </td>
      <td>
        <details class="adm-payload">
          <summary>Body</summary>
          <pre>{JSON.stringify(d.payload, null, 2)}</pre>
        </details>
      </td>
      <td>
        {d.state === "dead" && (
          <button
            type="button"
            class="adm-button"
            disabled={props.busy}
            aria-label={`Redeliver ${d.event_type} of ${formatTimeSeconds(d.created_at)}`}
            onClick={props.onRedeliver}
          >
            Redeliver
          </button>
        )}
      </td>
    </tr>
  );
}
