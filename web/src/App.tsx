import { effect } from "@preact/signals";
import { openConversationId, totalUnread } from "./state/messaging.ts";
import { phase } from "./state/session.ts";
import { Enroll, PasswordChange } from "./ui/Enroll.tsx";
import { IdleDialog } from "./ui/IdleDialog.tsx";
import { Main } from "./ui/Main.tsx";
import { SignIn } from "./ui/SignIn.tsx";

// The tab title carries the unread count (a number, no PHI).
effect(() => {
  const n = totalUnread.value;
  document.title = n > 0 ? `(${n}) hippo` : "hippo";
});

// Client-side routing: /conversations/<id> is the open conversation.
const PREFIX = "/conversations/";
function idFromPath(): string | null {
  const p = location.pathname;
  return p.startsWith(PREFIX) ? decodeURIComponent(p.slice(PREFIX.length)) || null : null;
}
let initial = idFromPath();
effect(() => {
  const id = openConversationId.value;
  const p = phase.value;
  if (p !== "app") return;
  if (initial && !id) {
    openConversationId.value = initial;
    initial = null;
    return;
  }
  initial = null;
  const want = id ? PREFIX + encodeURIComponent(id) : "/";
  if (location.pathname !== want) history.pushState(null, "", want);
});
window.addEventListener("popstate", () => {
  if (phase.value === "app") openConversationId.value = idFromPath();
});

export function App() {
  const p = phase.value;
  return (
    <>
      {p === "loading" && (
        <main class="signin">
          <p class="muted">Loading…</p>
        </main>
      )}
      {p === "signin" && <SignIn />}
      {p === "enroll" && <Enroll />}
      {p === "password" && <PasswordChange />}
      {p === "app" && <Main />}
      {p !== "signin" && p !== "loading" && <IdleDialog />}
    </>
  );
}
