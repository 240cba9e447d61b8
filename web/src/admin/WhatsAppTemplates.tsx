// The WhatsApp templates as last synced from Meta, for the administrator:
// sync them, and mark which are PHI-free (only those may be sent under the
// `notify_only` policy).

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { HippoClient } from "../sdk.ts";
import { attempt, formatTime, type Refusal } from "./ui.tsx";
import "./admin.css";

interface Template {
  name: string;
  language: string;
  category: string;
  status: string;
  parameter_count: number;
  phi_free: boolean;
  body_text?: string | null;
  synced_at?: string;
}

const WORDS = {
  channel_not_configured: "WhatsApp is not set up on this server.",
};

const key = (t: Template) => `${t.name}\u0000${t.language}`;

export function WhatsAppTemplates(props: { client: HippoClient }): JSX.Element {
  const { client } = props;
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [error, setError] = useState<Refusal | null>(null);
  const [notice, setNotice] = useState("");
  const [busy, setBusy] = useState<string | null>(null);

  async function load(): Promise<void> {
    const r = await attempt(() => client.api.GET("/api/v1/whatsapp/templates"), WORDS);
    if (r.ok) {
      setTemplates((r.data as { templates: Template[] }).templates);
      setError(null);
    } else setError(r);
  }

  useEffect(() => {
    void load();
  }, [client]);

  async function sync(): Promise<void> {
    setBusy("sync");
    setNotice("");
    const r = await attempt(() => client.api.POST("/api/v1/whatsapp/templates/sync"), WORDS);
    setBusy(null);
    if (r.ok) {
      const list = (r.data as { templates: Template[] }).templates;
      setTemplates(list);
      setError(null);
      setNotice(`Synced ${list.length} template${list.length === 1 ? "" : "s"} from WhatsApp.`);
    } else setError(r);
  }

  async function setPhiFree(t: Template, phiFree: boolean): Promise<void> {
    setBusy(key(t));
    setNotice("");
    // Show the choice at once; put it back if the server refuses.
    const mark = (v: boolean) => setTemplates((list) => (list ?? []).map((x) => (key(x) === key(t) ? { ...x, phi_free: v } : x)));
    mark(phiFree);
    const r = await attempt(
      () =>
        client.api.PATCH("/api/v1/whatsapp/templates/{name}/{language}", {
          params: { path: { name: t.name, language: t.language } },
          body: { phi_free: phiFree },
        }),
      WORDS,
    );
    setBusy(null);
    if (r.ok) {
      const updated = r.data as Template;
      setTemplates((list) => (list ?? []).map((x) => (key(x) === key(t) ? updated : x)));
      setError(null);
      setNotice(`${t.name} (${t.language}) is ${updated.phi_free ? "marked PHI-free" : "no longer marked PHI-free"}.`);
    } else {
      mark(t.phi_free);
      setError(r);
    }
  }

  const sorted = (templates ?? []).slice().sort((a, b) => a.name.localeCompare(b.name) || a.language.localeCompare(b.language));

  return (
    <section class="adm-section" aria-labelledby="adm-templates-heading">
      <header class="adm-header">
        <h2 id="adm-templates-heading">WhatsApp templates</h2>
        <button type="button" class="adm-button" disabled={busy !== null} onClick={() => void sync()}>
          {busy === "sync" ? "Syncing…" : "Sync from WhatsApp"}
        </button>
      </header>
      <p class="adm-hint">
        Under the notify-only policy only approved templates marked PHI-free can be sent to patients. Mark a template
        PHI-free only if its text, with any parameters filled in, reveals no health information.
      </p>
      <p role="status" class="adm-notice">
        {notice}
      </p>
      {error && (
        <p role="alert" class="adm-error">
          {error.message}
        </p>
      )}
      {templates === null && !error ? (
        <p class="adm-hint">Loading templates…</p>
      ) : templates !== null && templates.length === 0 ? (
        <p class="adm-hint">No templates yet: sync them from WhatsApp.</p>
      ) : templates !== null ? (
        <table class="adm-table">
          <caption>{`${templates.length} template${templates.length === 1 ? "" : "s"}`}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Language</th>
              <th scope="col">Category</th>
              <th scope="col">Status</th>
              <th scope="col">Parameters</th>
              <th scope="col">Text</th>
              <th scope="col">PHI-free</th>
              <th scope="col">Synced</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((t) => (
              <tr key={key(t)}>
                <td>{t.name}</td>
                <td>{t.language}</td>
                <td>{t.category}</td>
                <td>{t.status.toUpperCase() === "APPROVED" ? "Approved" : t.status.charAt(0) + t.status.slice(1).toLowerCase()}</td>
                <td>{t.parameter_count}</td>
                <td class="adm-template-text">{t.body_text ?? ""}</td>
                <td>
                  <input
                    type="checkbox"
                    checked={t.phi_free}
                    disabled={busy !== null}
                    aria-label={`PHI-free: ${t.name} (${t.language})`}
                    onChange={(e) => void setPhiFree(t, (e.currentTarget as HTMLInputElement).checked)}
                  />
                </td>
                <td>{t.synced_at ? <time dateTime={t.synced_at}>{formatTime(t.synced_at)}</time> : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
