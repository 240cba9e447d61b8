// WhatsApp messages that could not be delivered (dead outbox jobs), for
// the administrator: ids, attempts and Meta's error, never content; each
// can be sent again.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { HippoClient } from "../sdk.ts";
import { attempt, formatTime, type Refusal } from "./ui.tsx";
import "./admin.css";

interface Job {
  message_id: string;
  patient_id: string;
  state: string;
  attempts: number;
  next_attempt_at: string;
  last_error_code?: number | null;
  last_error_title?: string | null;
  created_at: string;
  updated_at: string;
}

const WORDS = {
  channel_not_configured: "WhatsApp is not set up on this server.",
};

export function WhatsAppOutbox(props: { client: HippoClient }): JSX.Element {
  const { client } = props;
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [error, setError] = useState<Refusal | null>(null);
  const [notice, setNotice] = useState("");
  const [busy, setBusy] = useState<string | null>(null);

  async function load(): Promise<void> {
    const r = await attempt(
      () => client.api.GET("/api/v1/whatsapp/outbox", { params: { query: { state: "dead" } } }),
      WORDS,
    );
    if (r.ok) {
      setJobs((r.data as { jobs: Job[] }).jobs);
      setError(null);
    } else setError(r);
  }

  useEffect(() => {
    void load();
  }, [client]);

  async function retry(job: Job): Promise<void> {
    setBusy(job.message_id);
    setNotice("");
    const r = await attempt(
      () =>
        client.api.POST("/api/v1/whatsapp/outbox/{message_id}/retry", {
          params: { path: { message_id: job.message_id } },
        }),
      WORDS,
    );
    setBusy(null);
    if (r.ok) {
      setJobs((list) => (list ?? []).filter((j) => j.message_id !== job.message_id));
      setError(null);
      setNotice("Queued again.");
    } else setError(r);
  }

  return (
    <section class="adm-section" aria-labelledby="adm-outbox-heading">
      <header class="adm-header">
        <h2 id="adm-outbox-heading">Undelivered WhatsApp messages</h2>
        <button type="button" class="adm-button" disabled={busy !== null} onClick={() => void load()}>
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
      {jobs === null && !error ? (
        <p class="adm-hint">Loading…</p>
      ) : jobs !== null && jobs.length === 0 ? (
        <p class="adm-hint">None: no WhatsApp message is waiting to be sent again.</p>
      ) : jobs !== null ? (
        <table class="adm-table">
          <caption>{`${jobs.length} undelivered message${jobs.length === 1 ? "" : "s"}`}</caption>
          <thead>
            <tr>
              <th scope="col">Message</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">Last attempt</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => (
              <tr key={j.message_id}>
                <td>
                  <code>{j.message_id}</code>
                </td>
                <td>{j.attempts}</td>
                <td>
                  {j.last_error_title ?? ""}
                  {j.last_error_code != null ? ` (${j.last_error_code})` : ""}
                </td>
                <td>
                  <time dateTime={j.updated_at}>{formatTime(j.updated_at)}</time>
                </td>
                <td>
                  <button
                    type="button"
                    class="adm-button"
                    disabled={busy !== null}
                    aria-label={`Retry message ${j.message_id}`}
                    onClick={() => void retry(j)}
                  >
                    Retry
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
