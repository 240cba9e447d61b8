// An account's live sign-ins (GET /api/v1/users/{id}/sessions) with
// "Sign out everywhere" (POST …/sessions/revoke), and the organisation-wide
// "Sign everyone out" (POST /api/v1/sessions/revoke-all). The account stays
// active; API keys of service accounts keep working. Every refusal is the
// server's problem detail.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { HippoClient } from "../sdk.ts";
import type { components } from "../../../sdk/typescript/src/index.ts";
import { attempt, ConfirmDialog, Dialog, formatTime } from "./ui.tsx";
import { personName, type Account } from "./types.ts";

type UserSession = components["schemas"]["UserSessionResponse"];

function ended(n: number): string {
  return `${n} session${n === 1 ? "" : "s"} ended`;
}

/** The dialog of one account's sign-ins. */
export function SessionsDialog(props: { client: HippoClient; user: Account; self: boolean; onClose(): void }): JSX.Element {
  const { client, user } = props;
  const [sessions, setSessions] = useState<UserSession[] | null>(null);
  const [error, setError] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState("");
  const name = personName(user);

  async function load(): Promise<void> {
    const r = await attempt(() =>
      client.api.GET("/api/v1/users/{id}/sessions", { params: { path: { id: user.id } } }),
    );
    if (r.ok) {
      setSessions(r.data.sessions);
      setError("");
    } else setError(`The sessions could not be loaded: ${r.message}`);
  }

  useEffect(() => {
    void load();
  }, [user.id]);

  if (confirming) {
    return (
      <ConfirmDialog
        title={`Sign ${name} out everywhere?`}
        confirm="Sign out everywhere"
        danger
        onClose={() => setConfirming(false)}
        run={() =>
          attempt(() =>
            client.api.POST("/api/v1/users/{id}/sessions/revoke", { params: { path: { id: user.id } } }),
          )
        }
        onDone={async (data) => {
          setResult(`${ended(data.sessions_ended)}: ${name} must sign in again.`);
          setConfirming(false);
          await load();
        }}
      >
        <p>
          Every sign-in of {name} ends now (open connections too); the account stays active and they can sign in
          again. API keys keep working.
        </p>
      </ConfirmDialog>
    );
  }

  return (
    <Dialog title={`Sessions of ${user.username}`} onClose={props.onClose} class="adm-wide">
      <p role="status" class="adm-notice">
        {result}
      </p>
      {error && (
        <p role="alert" class="adm-error">
          {error}
        </p>
      )}
      {sessions === null && !error ? (
        <p class="adm-hint">Loading sessions…</p>
      ) : sessions && sessions.length === 0 ? (
        <p class="adm-hint">{name} is not signed in anywhere.</p>
      ) : sessions ? (
        <div class="adm-scroll">
          <table class="adm-table" aria-label={`Sign-ins of ${user.username}`}>
            <caption>{`${sessions.length} live sign-in${sessions.length === 1 ? "" : "s"}`}</caption>
            <thead>
              <tr>
                <th scope="col">Signed in</th>
                <th scope="col">Last seen</th>
                <th scope="col">Expires</th>
                <th scope="col">Address</th>
                <th scope="col">Browser</th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr key={s.id}>
                  <td>
                    <time dateTime={s.created_at}>{formatTime(s.created_at)}</time>
                  </td>
                  <td>
                    <time dateTime={s.last_seen_at}>{formatTime(s.last_seen_at)}</time>
                  </td>
                  <td>
                    <time dateTime={s.expires_at}>{formatTime(s.expires_at)}</time>
                    <span class="adm-hint adm-block">
                      idle end <time dateTime={s.idle_expires_at}>{formatTime(s.idle_expires_at)}</time>
                    </span>
                  </td>
                  <td>{s.ip ?? "Unknown"}</td>
                  <td class="adm-agent">{s.user_agent ?? "Unknown"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {props.self && <p class="adm-hint">Your own sign-ins are ended from your own account, not here.</p>}
      <div class="adm-actions">
        <button type="button" class="adm-button" data-autofocus onClick={props.onClose}>
          Close
        </button>
        {!props.self && sessions !== null && sessions.length > 0 && (
          <button type="button" class="adm-button adm-danger" onClick={() => setConfirming(true)}>
            Sign out everywhere
          </button>
        )}
      </div>
    </Dialog>
  );
}

/** The confirmation of the organisation-wide sign-out. */
export function SignEveryoneOutDialog(props: {
  client: HippoClient;
  onClose(): void;
  onDone(sessionsEnded: number): void;
}): JSX.Element {
  return (
    <ConfirmDialog
      title="Sign everyone out?"
      confirm="Sign everyone out"
      danger
      onClose={props.onClose}
      run={() => attempt(() => props.client.api.POST("/api/v1/sessions/revoke-all"))}
      onDone={(data) => props.onDone(data.sessions_ended)}
    >
      <p>
        Every sign-in of every user ends now, open connections too: every user except you must sign in again. You
        stay signed in here (your sign-ins elsewhere end too). Integrations' API keys keep working.
      </p>
    </ConfirmDialog>
  );
}

export function everyoneOutNotice(n: number): string {
  return `Everyone else is signed out: ${ended(n)}.`;
}
