// The administrator's screen: accounts only, never message content.
// A table of every account with search and filters, and per account:
// edit (display name, role), deactivate / reactivate, reset password,
// reset MFA, and their live sign-ins with "Sign out everywhere"
// (Sessions.tsx); "Sign everyone out" for the whole organisation; below
// it, the integrations: service accounts' API keys
// (ApiKeys.tsx) and outgoing webhooks with their deliveries
// (Webhooks.tsx), then the WhatsApp channel. Every refusal is shown as the
// server's problem detail.

import type { JSX } from "preact";
import { useEffect, useId, useMemo, useState } from "preact/hooks";
import type { HippoClient } from "../sdk.ts";
import type { User } from "../types.ts";
import { attempt, ConfirmDialog, Dialog, fold, formatDate, generatePassword, SecretOnce } from "./ui.tsx";
import { personName, ROLE_LABELS, ROLES, roleLabel, type Account, type Role } from "./types.ts";
import { ACCOUNT_SELECT_ID, ApiKeys } from "./ApiKeys.tsx";
import { Webhooks } from "./Webhooks.tsx";
import { everyoneOutNotice, SessionsDialog, SignEveryoneOutDialog } from "./Sessions.tsx";
import { WhatsAppOutbox } from "./WhatsAppOutbox.tsx";
import { WhatsAppTemplates } from "./WhatsAppTemplates.tsx";
import "./admin.css";

type Pending =
  | { kind: "create" }
  | { kind: "created"; user: Account; password: string | null }
  | { kind: "edit"; user: Account }
  | { kind: "deactivate"; user: Account }
  | { kind: "reactivate"; user: Account }
  | { kind: "password"; user: Account }
  | { kind: "password-done"; user: Account; password: string }
  | { kind: "mfa"; user: Account }
  | { kind: "sessions"; user: Account }
  | { kind: "everyone-out" };

export function AdminScreen(props: { client: HippoClient; me: User }): JSX.Element {
  const { client, me } = props;
  const [users, setUsers] = useState<Account[] | null>(null);
  const [loadError, setLoadError] = useState("");
  const [notice, setNotice] = useState("");
  const [query, setQuery] = useState("");
  const [roleFilter, setRoleFilter] = useState<"" | Role>("");
  const [statusFilter, setStatusFilter] = useState<"" | "active" | "deactivated">("");
  const [pending, setPending] = useState<Pending | null>(null);
  const [showWhatsApp, setShowWhatsApp] = useState(false);
  const [keysFor, setKeysFor] = useState<string | null>(null);
  const searchId = useId();
  const roleId = useId();
  const statusId = useId();

  /** Every account, page after page (the server pages the list). */
  async function load(): Promise<void> {
    const all: Account[] = [];
    let cursor: string | null = null;
    do {
      const query: { limit: number; cursor?: string } = cursor ? { limit: 1000, cursor } : { limit: 1000 };
      const r = await attempt(() => client.api.GET("/api/v1/users", { params: { query } }));
      if (!r.ok) {
        setLoadError(`The users could not be loaded: ${r.message}`);
        return;
      }
      all.push(...(r.data.users as Account[]));
      cursor = r.data.next_cursor ?? null;
    } while (cursor);
    setUsers(all);
    setLoadError("");
  }

  useEffect(() => {
    void load();
  }, [client]);

  /** Puts the server's new view of one account in the table. */
  function replace(user: Account): void {
    setUsers((list) => {
      if (!list) return [user];
      const i = list.findIndex((u) => u.id === user.id);
      if (i < 0) return [...list, user];
      const next = list.slice();
      next[i] = user;
      return next;
    });
  }

  /** After a 204: read the account again so status and MFA are the server's. */
  async function refresh(id: string): Promise<void> {
    const r = await attempt(() => client.api.GET("/api/v1/users/{id}", { params: { path: { id } } }));
    if (r.ok) replace(r.data as Account);
    else void load();
  }

  const shown = useMemo(() => {
    const q = fold(query.trim());
    return (users ?? [])
      .filter((u) => (q === "" ? true : fold(u.username).includes(q) || fold(u.display_name).includes(q)))
      .filter((u) => (roleFilter === "" ? true : u.role === roleFilter))
      .filter((u) => (statusFilter === "" ? true : u.status === statusFilter))
      .sort((a, b) => a.username.localeCompare(b.username));
  }, [users, query, roleFilter, statusFilter]);

  const done = (message: string) => {
    setPending(null);
    setNotice(message);
  };

  return (
    <section class="adm-screen" aria-labelledby="adm-heading">
      <header class="adm-header">
        <h1 id="adm-heading">Users</h1>
        <div class="adm-header-actions">
          <button
            type="button"
            class="adm-button adm-danger"
            onClick={() => {
              setNotice("");
              setPending({ kind: "everyone-out" });
            }}
          >
            Sign everyone out
          </button>
          <button
            type="button"
            class="adm-button adm-primary"
            onClick={() => {
              setNotice("");
              setPending({ kind: "create" });
            }}
          >
            Create user
          </button>
        </div>
      </header>
      <p class="adm-hint">Administrators manage user accounts; they never see message content.</p>

      <div class="adm-filters" role="search" aria-label="Filter users">
        <label for={searchId}>Find a user</label>
        <input
          id={searchId}
          type="search"
          class="adm-input"
          value={query}
          placeholder="Username or name"
          autoComplete="off"
          onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)}
        />
        <label for={roleId}>Filter by role</label>
        <select
          id={roleId}
          class="adm-input"
          value={roleFilter}
          onChange={(e) => setRoleFilter((e.currentTarget as HTMLSelectElement).value as "" | Role)}
        >
          <option value="">All roles</option>
          {ROLES.map((r) => (
            <option value={r} key={r}>
              {ROLE_LABELS[r]}
            </option>
          ))}
        </select>
        <label for={statusId}>Filter by status</label>
        <select
          id={statusId}
          class="adm-input"
          value={statusFilter}
          onChange={(e) =>
            setStatusFilter((e.currentTarget as HTMLSelectElement).value as "" | "active" | "deactivated")
          }
        >
          <option value="">Any status</option>
          <option value="active">Active</option>
          <option value="deactivated">Deactivated</option>
        </select>
      </div>

      <p role="status" class="adm-notice">
        {notice}
      </p>
      {loadError && (
        <div role="alert" class="adm-error">
          {loadError}{" "}
          <button type="button" class="adm-button" onClick={() => void load()}>
            Try again
          </button>
        </div>
      )}

      {users === null && !loadError ? (
        <p class="adm-hint">Loading users…</p>
      ) : (
        <table class="adm-table" aria-label="Users">
          <caption>
            {users
              ? shown.length === users.length
                ? `${users.length} user${users.length === 1 ? "" : "s"}`
                : `${shown.length} of ${users.length} users`
              : "Users"}
          </caption>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Display name</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">MFA</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((u) => (
              <UserRow
                key={u.id}
                user={u}
                self={u.id === me.id}
                onAction={(p) => {
                  setNotice("");
                  setPending(p);
                }}
                onKeys={() => {
                  setKeysFor(u.id);
                  // After the section shows this account: go there.
                  setTimeout(() => {
                    const picker = document.getElementById(ACCOUNT_SELECT_ID);
                    picker?.scrollIntoView({ block: "center" });
                    picker?.focus();
                  }, 0);
                }}
              />
            ))}
            {users && shown.length === 0 && (
              <tr>
                <td colSpan={7} class="adm-empty">
                  No user matches.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}

      <ApiKeys client={client} users={users} selected={keysFor} onSelect={setKeysFor} />
      <Webhooks client={client} users={users} />

      <details
        class="adm-more"
        onToggle={(e) => setShowWhatsApp((e.currentTarget as HTMLDetailsElement).open)}
      >
        <summary>WhatsApp channel: templates and undelivered messages</summary>
        {showWhatsApp && (
          <>
            <WhatsAppTemplates client={client} />
            <WhatsAppOutbox client={client} />
          </>
        )}
      </details>

      {pending?.kind === "sessions" && (
        <SessionsDialog
          client={client}
          user={pending.user}
          self={pending.user.id === me.id}
          onClose={() => setPending(null)}
        />
      )}
      {pending?.kind === "everyone-out" && (
        <SignEveryoneOutDialog
          client={client}
          onClose={() => setPending(null)}
          onDone={(n) => done(everyoneOutNotice(n))}
        />
      )}
      {pending?.kind === "create" && (
        <CreateUserDialog
          client={client}
          onClose={() => setPending(null)}
          onCreated={(user, password) => {
            replace(user);
            setNotice(`Created ${personName(user)} (${user.username}).`);
            setPending({ kind: "created", user, password });
          }}
        />
      )}
      {pending?.kind === "created" && (
        <Dialog title={`Created ${personName(pending.user)}`} onClose={() => setPending(null)}>
          <p>
            {pending.user.username} can sign in now as {roleLabel(pending.user.role)}
            {pending.user.mfa_enabled ? "." : " and will set up an authenticator at first sign-in (when MFA is required)."}
          </p>
          {pending.password && (
            <>
              <SecretOnce label="Initial password" value={pending.password} />
              <p class="adm-hint">Shown once. Give it to {personName(pending.user)} in person or by another channel.</p>
            </>
          )}
          <div class="adm-actions">
            <button type="button" class="adm-button adm-primary" data-autofocus onClick={() => setPending(null)}>
              Done
            </button>
          </div>
        </Dialog>
      )}
      {pending?.kind === "edit" && (
        <EditUserDialog
          client={client}
          user={pending.user}
          self={pending.user.id === me.id}
          onClose={() => setPending(null)}
          onSaved={(user) => {
            replace(user);
            done(`Saved ${personName(user)}.`);
          }}
        />
      )}
      {pending?.kind === "deactivate" && (
        <ConfirmDialog
          title={`Deactivate ${personName(pending.user)}?`}
          confirm="Deactivate"
          danger
          onClose={() => setPending(null)}
          run={() =>
            attempt(() =>
              client.api.POST("/api/v1/users/{id}/deactivate", { params: { path: { id: pending.user.id } } }),
            )
          }
          onDone={async () => {
            const u = pending.user;
            await refresh(u.id);
            done(`${personName(u)} is deactivated: every session ended.`);
          }}
        >
          <p>
            Every session ends now; history stays. {personName(pending.user)} is signed out everywhere (open
            connections too) and cannot sign in until reactivated; their messages and the audit trail are kept.
          </p>
        </ConfirmDialog>
      )}
      {pending?.kind === "reactivate" && (
        <ConfirmDialog
          title={`Reactivate ${personName(pending.user)}?`}
          confirm="Reactivate"
          onClose={() => setPending(null)}
          run={() =>
            attempt(() =>
              client.api.POST("/api/v1/users/{id}/reactivate", { params: { path: { id: pending.user.id } } }),
            )
          }
          onDone={async () => {
            const u = pending.user;
            await refresh(u.id);
            done(`${personName(u)} is active again.`);
          }}
        >
          <p>{personName(pending.user)} can sign in again with their existing password and authenticator.</p>
        </ConfirmDialog>
      )}
      {pending?.kind === "password" && (
        <ConfirmDialog
          title={`Reset the password of ${personName(pending.user)}?`}
          confirm="Reset password"
          danger
          onClose={() => setPending(null)}
          run={() =>
            attempt(() =>
              client.api.POST("/api/v1/users/{id}/password-reset", { params: { path: { id: pending.user.id } } }),
            )
          }
          onDone={async (data) => {
            const u = pending.user;
            const password = (data as { temporary_password: string }).temporary_password;
            setNotice(`The password of ${personName(u)} was reset.`);
            setPending({ kind: "password-done", user: u, password });
            await refresh(u.id);
          }}
        >
          <p>
            Their current password stops working now. You get a temporary password, shown once; they must
            change it at their next sign-in.
          </p>
        </ConfirmDialog>
      )}
      {pending?.kind === "password-done" && (
        <Dialog title={`Temporary password for ${personName(pending.user)}`} onClose={() => setPending(null)}>
          <SecretOnce label="Temporary password" value={pending.password} />
          <p class="adm-hint">
            Shown once. Give it to {personName(pending.user)} in person or by another channel; they must
            change it at their next sign-in.
          </p>
          <div class="adm-actions">
            <button type="button" class="adm-button adm-primary" data-autofocus onClick={() => setPending(null)}>
              Done
            </button>
          </div>
        </Dialog>
      )}
      {pending?.kind === "mfa" && (
        <ConfirmDialog
          title={`Reset MFA for ${personName(pending.user)}?`}
          confirm="Reset MFA"
          danger
          onClose={() => setPending(null)}
          run={() =>
            attempt(() =>
              client.api.POST("/api/v1/users/{id}/mfa-reset", { params: { path: { id: pending.user.id } } }),
            )
          }
          onDone={async () => {
            const u = pending.user;
            await refresh(u.id);
            done(`MFA reset for ${personName(u)}: they enrol again at next sign-in.`);
          }}
        >
          <p>
            The authenticator and recovery codes of {personName(pending.user)} are removed and they are signed out
            everywhere; they enrol a new authenticator at their next sign-in.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function UserRow(props: { user: Account; self: boolean; onAction(p: Pending): void; onKeys(): void }): JSX.Element {
  const { user: u, self, onAction } = props;
  const name = personName(u);
  const active = u.status === "active";
  return (
    <tr class={active ? "" : "adm-row-deactivated"}>
      <td>
        {u.username}
        {self && <span class="adm-badge"> (you)</span>}
      </td>
      <td>{u.display_name}</td>
      <td>{roleLabel(u.role)}</td>
      <td>
        {active ? "Active" : "Deactivated"}
        {u.must_change_password ? <span class="adm-badge"> · must change password</span> : null}
      </td>
      <td>{u.mfa_enabled ? "On" : "Off"}</td>
      <td>
        <time dateTime={u.created_at}>{formatDate(u.created_at)}</time>
      </td>
      <td>
        <div class="adm-row-actions">
        <button type="button" class="adm-button" aria-label={`Edit ${name}`} onClick={() => onAction({ kind: "edit", user: u })}>
          Edit
        </button>
        <button
          type="button"
          class="adm-button"
          aria-label={`Sessions of ${u.username}`}
          onClick={() => onAction({ kind: "sessions", user: u })}
        >
          Sessions
        </button>
        {u.role === "service" && (
          <button type="button" class="adm-button" aria-label={`API keys for ${name}`} onClick={props.onKeys}>
            API keys
          </button>
        )}
        {!self &&
          (active ? (
            <button
              type="button"
              class="adm-button adm-danger"
              aria-label={`Deactivate ${name}`}
              onClick={() => onAction({ kind: "deactivate", user: u })}
            >
              Deactivate
            </button>
          ) : (
            <button
              type="button"
              class="adm-button"
              aria-label={`Reactivate ${name}`}
              onClick={() => onAction({ kind: "reactivate", user: u })}
            >
              Reactivate
            </button>
          ))}
        {!self && (
          <button
            type="button"
            class="adm-button"
            aria-label={`Reset password for ${name}`}
            onClick={() => onAction({ kind: "password", user: u })}
          >
            Reset password
          </button>
        )}
        {!self && (
          <button
            type="button"
            class="adm-button"
            aria-label={`Reset MFA for ${name}`}
            onClick={() => onAction({ kind: "mfa", user: u })}
          >
            Reset MFA
          </button>
        )}
        </div>
      </td>
    </tr>
  );
}

function CreateUserDialog(props: {
  client: HippoClient;
  onClose(): void;
  onCreated(user: Account, password: string | null): void;
}): JSX.Element {
  const [username, setUsername] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [role, setRole] = useState<Role>("clinician");
  const [mode, setMode] = useState<"generate" | "type">("generate");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const ids = { u: useId(), d: useId(), r: useId(), p: useId(), g: useId(), t: useId() };

  async function submit(e: Event): Promise<void> {
    e.preventDefault();
    setError("");
    const initial = mode === "generate" ? generatePassword() : password;
    if (username.trim() === "") {
      setError("Enter a username.");
      return;
    }
    if (initial === "") {
      setError("Enter an initial password, or let one be generated.");
      return;
    }
    setBusy(true);
    const body: { username: string; role: Role; password: string; display_name?: string } = {
      username: username.trim(),
      role,
      password: initial,
    };
    if (displayName.trim() !== "") body.display_name = displayName.trim();
    const r = await attempt(() => props.client.api.POST("/api/v1/users", { body }));
    setBusy(false);
    if (r.ok) props.onCreated(r.data as Account, mode === "generate" ? initial : null);
    else setError(r.message);
  }

  return (
    <Dialog title="Create user" onClose={() => !busy && props.onClose()}>
      <form class="adm-form" noValidate onSubmit={(e) => void submit(e)}>
        <label for={ids.u}>Username</label>
        <input
          id={ids.u}
          class="adm-input"
          required
          autoComplete="off"
          spellcheck={false}
          value={username}
          aria-describedby={`${ids.u}-hint`}
          onInput={(e) => setUsername((e.currentTarget as HTMLInputElement).value)}
        />
        <span id={`${ids.u}-hint`} class="adm-hint">
          3 to 64 characters: a–z, 0–9, dot, underscore, hyphen.
        </span>
        <label for={ids.d}>Display name</label>
        <input
          id={ids.d}
          class="adm-input"
          autoComplete="off"
          value={displayName}
          onInput={(e) => setDisplayName((e.currentTarget as HTMLInputElement).value)}
        />
        <label for={ids.r}>Role</label>
        <select id={ids.r} class="adm-input" value={role} onChange={(e) => setRole((e.currentTarget as HTMLSelectElement).value as Role)}>
          {ROLES.map((r) => (
            <option value={r} key={r}>
              {ROLE_LABELS[r]}
            </option>
          ))}
        </select>
        <fieldset class="adm-fieldset">
          <legend>Initial password</legend>
          <label class="adm-choice">
            <input
              type="radio"
              name={ids.g}
              checked={mode === "generate"}
              onChange={() => setMode("generate")}
            />{" "}
            Generate one (shown once after creating)
          </label>
          <label class="adm-choice">
            <input type="radio" name={ids.g} checked={mode === "type"} onChange={() => setMode("type")} /> Type one
          </label>
          {mode === "type" && (
            <>
              <label for={ids.p}>Password</label>
              <input
                id={ids.p}
                class="adm-input"
                type="password"
                autoComplete="new-password"
                value={password}
                onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)}
              />
            </>
          )}
        </fieldset>
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
            {busy ? "Creating…" : "Create"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function EditUserDialog(props: {
  client: HippoClient;
  user: Account;
  self: boolean;
  onClose(): void;
  onSaved(user: Account): void;
}): JSX.Element {
  const { user } = props;
  const [displayName, setDisplayName] = useState(user.display_name);
  const [role, setRole] = useState<string>(user.role);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const ids = { d: useId(), r: useId() };

  async function submit(e: Event): Promise<void> {
    e.preventDefault();
    setError("");
    const body: { display_name?: string; role?: Role } = {};
    if (displayName.trim() !== user.display_name) body.display_name = displayName.trim();
    if (role !== user.role) body.role = role as Role;
    if (Object.keys(body).length === 0) {
      props.onClose();
      return;
    }
    setBusy(true);
    const r = await attempt(() =>
      props.client.api.PATCH("/api/v1/users/{id}", { params: { path: { id: user.id } }, body }),
    );
    setBusy(false);
    if (r.ok) props.onSaved(r.data as Account);
    else setError(r.message);
  }

  return (
    <Dialog title={`Edit ${personName(user)}`} onClose={() => !busy && props.onClose()}>
      <form class="adm-form" noValidate onSubmit={(e) => void submit(e)}>
        <p class="adm-hint">Username: {user.username}</p>
        <label for={ids.d}>Display name</label>
        <input
          id={ids.d}
          class="adm-input"
          autoComplete="off"
          value={displayName}
          onInput={(e) => setDisplayName((e.currentTarget as HTMLInputElement).value)}
        />
        <label for={ids.r}>Role</label>
        <select id={ids.r} class="adm-input" value={role} onChange={(e) => setRole((e.currentTarget as HTMLSelectElement).value)}>
          {ROLES.map((r) => (
            <option value={r} key={r}>
              {ROLE_LABELS[r]}
            </option>
          ))}
        </select>
        {props.self && <p class="adm-hint">You cannot change your own role.</p>}
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
            {busy ? "Saving…" : "Save"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
