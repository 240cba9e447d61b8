// The signed-in layout: header (status, notifications, Sign out), the
// conversation list, and the open conversation or the patient search.
import { useEffect, useState } from "preact/hooks";
import { client } from "../api.ts";
import { CallError, CallPanel, IncomingCallDialog } from "../calls/CallUi.tsx";
import { AdminScreen } from "../admin/AdminScreen.tsx";
import { ComplianceScreen } from "../compliance/ComplianceScreen.tsx";
import { BreakGlassScreen } from "../patients/BreakGlassScreen.tsx";
import {
  askNotificationPermission,
  notificationPermission,
  notifyPreviews,
  openBreakGlass,
  openConversationId,
  streamStatus,
} from "../state/messaging.ts";
import { canMessage, session, signOut } from "../state/session.ts";
import { ConversationList, NewConversationDialog, openConversation } from "./ConversationList.tsx";
import { ConversationView } from "./ConversationView.tsx";

function SignOutButton() {
  return (
    <button type="button" class="secondary" onClick={() => void signOut("user")}>
      Sign out
    </button>
  );
}

function Header(props: { messaging: boolean }) {
  const s = session.value;
  const status = streamStatus.value;
  const perm = notificationPermission.value;
  return (
    <header class="topbar">
      <span class="brand">hippo</span>
      {props.messaging && (status === "reconnecting" || status === "closed") && (
        <span class="status" role="status">
          {status === "reconnecting" ? "Reconnecting…" : "Offline"}
        </span>
      )}
      <span class="spacer-flex" />
      {props.messaging && perm === "default" && (
        <button type="button" class="link" onClick={() => void askNotificationPermission()}>
          Enable notifications
        </button>
      )}
      {props.messaging && perm === "granted" && (
        <label class="check small" title="Kept in this tab only; off again after sign-out">
          <input
            type="checkbox"
            checked={notifyPreviews.value}
            onChange={(e) => (notifyPreviews.value = e.currentTarget.checked)}
          />
          Show message previews in notifications
        </label>
      )}
      <span class="who">{s?.user.display_name || s?.user.username}</span>
      <SignOutButton />
    </header>
  );
}

export function Main() {
  const s = session.value;
  if (!s) return null;
  const role = s.user.role;
  if (role === "admin") return <AdminLayout />;
  if (role === "auditor") {
    return (
      <div class="app">
        <Header messaging={false} />
        <main class="adminmain">
          <ComplianceScreen client={client} canReview={true} />
        </main>
      </div>
    );
  }
  if (!canMessage(role)) {
    return (
      <div class="app">
        <Header messaging={false} />
        <main class="empty">
          <h1>Signed in</h1>
          <p>This account ({role}) has no messaging. The audit trail is read through the API and the command line.</p>
        </main>
      </div>
    );
  }
  return <Messaging />;
}

/** Administrators: their accounts screen, and the compliance report
 * (read only: reviewing alerts and break-glass is for auditors). */
function AdminLayout() {
  const s = session.value;
  const [view, setView] = useState<"accounts" | "compliance">("accounts");
  if (!s) return null;
  const tab = (id: typeof view, label: string) => (
    <button type="button" aria-pressed={view === id} onClick={() => setView(id)}>
      {label}
    </button>
  );
  return (
    <div class="app">
      <Header messaging={false} />
      <nav class="admintabs" aria-label="Administration">
        {tab("accounts", "Accounts")}
        {tab("compliance", "Compliance")}
      </nav>
      <main class="adminmain">
        {view === "accounts" ? (
          <AdminScreen client={client} me={s.user} />
        ) : (
          <ComplianceScreen client={client} canReview={false} />
        )}
      </main>
    </div>
  );
}

function Messaging() {
  const [newConv, setNewConv] = useState(false);
  const [findPatient, setFindPatient] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const open = openConversationId.value;

  useEffect(() => {
    if (open) setFindPatient(false);
  }, [open]);

  useEffect(() => {
    if (!error) return;
    const t = setTimeout(() => setError(null), 8000);
    return () => clearTimeout(t);
  }, [error]);

  return (
    <div class="app">
      <Header messaging />
      <div class="layout">
        <aside class="sidebar">
          <div class="sidebar-actions">
            <button type="button" class="primary" onClick={() => setNewConv(true)}>
              New conversation
            </button>
            <button
              type="button"
              class="secondary"
              onClick={() => {
                openConversationId.value = null;
                setFindPatient(true);
              }}
            >
              Find a patient
            </button>
          </div>
          <ConversationList />
        </aside>
        <main class="pane">
          <CallPanel />
          <CallError />
          {error && (
            <p class="error toast" role="alert">
              {error}
            </p>
          )}
          {findPatient ? (
            <BreakGlassScreen
              client={client}
              onOpened={(conversationId, expiresAt) => {
                setFindPatient(false);
                openBreakGlass(conversationId, expiresAt);
              }}
              onOpenConversation={(conversationId) => {
                setFindPatient(false);
                openConversation(conversationId);
              }}
            />
          ) : open ? (
            <ConversationView key={open} convId={open} onError={setError} />
          ) : (
            <div class="empty">
              <p>Choose a conversation, or start a new one.</p>
            </div>
          )}
        </main>
      </div>
      {newConv && <NewConversationDialog onClose={() => setNewConv(false)} />}
      <IncomingCallDialog />
    </div>
  );
}
