// Service accounts and their API keys, for the administrator: pick a
// service account, see its keys (name, state, created, expires, last used,
// allowed networks), create one, revoke one. A new key is shown once, in
// the `New API key` dialog, and lives only in that dialog's state: it is
// never written to browser storage or the console, and leaves the page
// when the dialog closes. The server keeps only its hash.

import type { JSX } from "preact";
import { useEffect, useId, useState } from "preact/hooks";
import type { HippoClient } from "../sdk.ts";
import { attempt, ConfirmDialog, Dialog, formatDate, formatTime, SecretOnce, type Refusal } from "./ui.tsx";
import { KEY_LIFETIMES, personName, type Account, type ApiKey, type CreatedApiKey } from "./types.ts";
import "./admin.css";

/** The service account picker: the users table's `API keys` buttons move focus to it. */
export const ACCOUNT_SELECT_ID = "adm-keys-account";

const STATE_LABELS: Record<string, string> = { active: "Active", expired: "Expired", revoked: "Revoked" };

/** "Any address", or the networks a key may be used from. */
function networksOf(k: ApiKey): string {
  return k.allowed_ips.length === 0 ? "Any address" : k.allowed_ips.join(", ");
}

/** Newest first: the key just made, or about to be replaced, on top. */
const newestFirst = (a: ApiKey, b: ApiKey) => b.created_at.localeCompare(a.created_at);

export function ApiKeys(props: {
  client: HippoClient;
  /** Every account the admin screen loaded; the service accounts are picked from it. */
  users: Account[] | null;
  /** The service account chosen elsewhere (the users table's `API keys` button). */
  selected: string | null;
  onSelect(id: string): void;
}): JSX.Element {
  const { client } = props;
  const accounts = (props.users ?? [])
    .filter((u) => u.role === "service")
    .sort((a, b) => a.username.localeCompare(b.username));
  const account = accounts.find((a) => a.id === props.selected) ?? accounts.find((a) => a.status === "active") ?? accounts[0];
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [error, setError] = useState<Refusal | null>(null);
  const [notice, setNotice] = useState("");
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const accountId = account?.id;

  async function load(id: string): Promise<void> {
    const r = await attempt(() => client.api.GET("/api/v1/users/{id}/api-keys", { params: { path: { id } } }));
    if (r.ok) {
      setKeys(r.data.api_keys.slice().sort(newestFirst));
      setError(null);
    } else setError(r);
  }

  useEffect(() => {
    setKeys(null);
    setError(null);
    if (accountId) void load(accountId);
  }, [client, accountId]);

  return (
    <section class="adm-section" aria-labelledby="adm-keys-heading">
      <header class="adm-header">
        <h2 id="adm-keys-heading">Service accounts and API keys</h2>
        {account && (
          <button
            type="button"
            class="adm-button adm-primary"
            onClick={() => {
              setNotice("");
              setCreating(true);
            }}
          >
            Create API key
          </button>
        )}
      </header>
      <p class="adm-hint">
        An integration (an EHR, an ERP, a script) signs in as a service account with an API key: no password, no
        MFA, no idle timeout. Every use is audited with the key's id.
      </p>
      {props.users !== null && accounts.length === 0 && (
        <p class="adm-hint">
          No service accounts yet. Create a user with the role Service account, then give it an API key here.
        </p>
      )}
      {account && (
        <div class="adm-filters">
          <label for={ACCOUNT_SELECT_ID}>Service account</label>
          <select
            id={ACCOUNT_SELECT_ID}
            class="adm-input"
            value={account.id}
            onChange={(e) => {
              setNotice("");
              props.onSelect((e.currentTarget as HTMLSelectElement).value);
            }}
          >
            {accounts.map((a) => (
              <option value={a.id} key={a.id}>
                {`${personName(a)} (${a.username})${a.status === "active" ? "" : ", deactivated"}`}
              </option>
            ))}
          </select>
        </div>
      )}
      {account && account.status !== "active" && (
        <p class="adm-hint">{personName(account)} is deactivated: none of its keys work while it is.</p>
      )}
      <p role="status" class="adm-notice">
        {notice}
      </p>
      {error && (
        <div role="alert" class="adm-error">
          The API keys could not be loaded: {error.message}{" "}
          {accountId && (
            <button type="button" class="adm-button" onClick={() => void load(accountId)}>
              Try again
            </button>
          )}
        </div>
      )}
      {account && keys === null && !error && <p class="adm-hint">Loading API keys…</p>}
      {account && keys !== null && keys.length > 0 && (
        <p class="adm-hint">Uses are recorded to the minute: a key used in its first minute may show none yet.</p>
      )}
      {account && keys !== null && (
        <KeyTable account={account} keys={keys} onRevoke={(k) => { setNotice(""); setRevoking(k); }} />
      )}

      {creating && account && (
        <NewApiKeyDialog
          client={client}
          account={account}
          onCreated={(k) => {
            setKeys((list) => [k, ...(list ?? []).filter((x) => x.id !== k.id)]);
            setNotice(`Created the API key ${k.name} for ${personName(account)}.`);
          }}
          onClose={() => setCreating(false)}
        />
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke ${revoking.name}?`}
          confirm="Revoke"
          danger
          onClose={() => setRevoking(null)}
          run={() =>
            attempt(() => client.api.DELETE("/api/v1/api-keys/{id}", { params: { path: { id: revoking.id } } }))
          }
          onDone={async () => {
            const k = revoking;
            setRevoking(null);
            setNotice(`Revoked ${k.name}: requests with it are refused from now on.`);
            if (accountId) await load(accountId);
          }}
        >
          <p>
            Requests with this key are refused from now on, and connections opened with it close. This cannot be
            undone; create a new key if the integration still needs one.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function KeyTable(props: { account: Account; keys: ApiKey[]; onRevoke(k: ApiKey): void }): JSX.Element {
  const { keys } = props;
  const active = keys.filter((k) => k.state === "active").length;
  return (
    <table class="adm-table" aria-label={`API keys of ${personName(props.account)}`}>
      <caption>
        {keys.length === 0
          ? `${personName(props.account)} has no API keys.`
          : `${keys.length} API key${keys.length === 1 ? "" : "s"}, ${active} active`}
      </caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">State</th>
          <th scope="col">Created</th>
          <th scope="col">Expires</th>
          <th scope="col">Last used</th>
          <th scope="col">Allowed networks</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => (
          <tr key={k.id} class={k.state === "active" ? "" : "adm-row-deactivated"}>
            <td>{k.name}</td>
            <td>
              {STATE_LABELS[k.state] ?? k.state}
              {k.revoked_at ? (
                <span class="adm-badge">
                  {" "}
                  <time dateTime={k.revoked_at}>{formatTime(k.revoked_at)}</time>
                </span>
              ) : null}
            </td>
            <td>
              <time dateTime={k.created_at}>{formatDate(k.created_at)}</time>
            </td>
            <td>
              <time dateTime={k.expires_at}>{formatDate(k.expires_at)}</time>
            </td>
            <td>{k.last_used_at ? <time dateTime={k.last_used_at}>{formatTime(k.last_used_at)}</time> : "No use recorded"}</td>
            <td>
              {networksOf(k)}
              {k.client_cert_sha256 ? <span class="adm-badge"> · client certificate required</span> : null}
            </td>
            <td>
              {k.state === "active" && (
                <button
                  type="button"
                  class="adm-button adm-danger"
                  aria-label={`Revoke ${k.name}`}
                  onClick={() => props.onRevoke(k)}
                >
                  Revoke
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The networks as typed: commas, spaces or lines between them. */
function splitList(text: string): string[] {
  return text.split(/[\s,;]+/).filter((s) => s !== "");
}

/** `New API key`: the form, then (the same dialog) the key, once. */
function NewApiKeyDialog(props: {
  client: HippoClient;
  account: Account;
  onCreated(k: ApiKey): void;
  onClose(): void;
}): JSX.Element {
  const [name, setName] = useState("");
  const [lifetime, setLifetime] = useState("90d");
  const [networks, setNetworks] = useState("");
  const [cert, setCert] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  // The key itself: only here, only until the dialog closes.
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const ids = { n: useId(), l: useId(), a: useId(), c: useId() };
  const who = personName(props.account);

  async function submit(e: Event): Promise<void> {
    e.preventDefault();
    setError("");
    if (name.trim() === "") {
      setError("Enter a name for the key, such as the integration and where it runs.");
      return;
    }
    setBusy(true);
    const body: { name: string; expires_in: string; allowed_ips?: string[]; client_cert_sha256?: string } = {
      name: name.trim(),
      expires_in: lifetime,
    };
    const ips = splitList(networks);
    if (ips.length > 0) body.allowed_ips = ips;
    if (cert.trim() !== "") body.client_cert_sha256 = cert.trim();
    const r = await attempt(() =>
      props.client.api.POST("/api/v1/users/{id}/api-keys", { params: { path: { id: props.account.id } }, body }),
    );
    setBusy(false);
    if (r.ok) {
      setCreated(r.data);
      props.onCreated(r.data.api_key);
    } else setError(r.message);
  }

  if (created) {
    const k = created.api_key;
    return (
      <Dialog title="New API key" onClose={props.onClose}>
        <p class="adm-warning">
          <strong>Copy this key now: you will not see it again.</strong> hippo keeps only a hash of it; if it is lost,
          revoke it and create another.
        </p>
        <SecretOnce label="API key" copyName="Copy API key" value={created.key} focus />
        <p class="adm-hint">
          {`${k.name}, for ${who}. Send it as "Authorization: Bearer <key>". It works until ${formatDate(created.expires_at)}`}
          {k.allowed_ips.length > 0 ? `, from ${k.allowed_ips.join(", ")} only.` : ", from any address."}
        </p>
        <div class="adm-actions">
          <button type="button" class="adm-button adm-primary" onClick={props.onClose}>
            Done
          </button>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog title="New API key" onClose={() => !busy && props.onClose()}>
      <form class="adm-form" noValidate onSubmit={(e) => void submit(e)}>
        <p class="adm-hint">For {who} ({props.account.username}).</p>
        <label for={ids.n}>Key name</label>
        <input
          id={ids.n}
          class="adm-input"
          required
          maxLength={100}
          autoComplete="off"
          value={name}
          aria-describedby={`${ids.n}-hint`}
          onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
        />
        <span id={`${ids.n}-hint`} class="adm-hint">
          For administrators: which integration, where (such as “EHR bridge, production”).
        </span>
        <label for={ids.l}>Lifetime</label>
        <select id={ids.l} class="adm-input" value={lifetime} onChange={(e) => setLifetime((e.currentTarget as HTMLSelectElement).value)}>
          {KEY_LIFETIMES.map((l) => (
            <option value={l.value} key={l.value}>
              {l.label}
            </option>
          ))}
        </select>
        <label for={ids.a}>Allowed networks (optional)</label>
        <input
          id={ids.a}
          class="adm-input"
          autoComplete="off"
          spellcheck={false}
          value={networks}
          aria-describedby={`${ids.a}-hint`}
          onInput={(e) => setNetworks((e.currentTarget as HTMLInputElement).value)}
        />
        <span id={`${ids.a}-hint`} class="adm-hint">
          IP addresses or networks the key may be used from, separated by commas or spaces (such as 203.0.113.7,
          10.20.0.0/16). Empty: any address.
        </span>
        <label for={ids.c}>Client certificate SHA-256 (optional)</label>
        <input
          id={ids.c}
          class="adm-input"
          autoComplete="off"
          spellcheck={false}
          value={cert}
          aria-describedby={`${ids.c}-hint`}
          onInput={(e) => setCert((e.currentTarget as HTMLInputElement).value)}
        />
        <span id={`${ids.c}-hint`} class="adm-hint">
          With client certificates (mutual TLS) only: every use must present the certificate with this fingerprint.
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
            {busy ? "Creating…" : "Create key"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
