// Who is signed in, and the transitions between sign-in, MFA enrolment,
// a required password change and the app. The CSRF token lives in memory
// only; a reload gets it back from GET /auth/session (the cookie is
// HttpOnly).
import { batch, signal } from "@preact/signals";
import * as api from "../api.ts";
import { client } from "../api.ts";
import type { SessionInfo } from "../types.ts";
import { leaveBeforeSignOut, startCalls, stopCalls } from "../calls/state.ts";
import { serverGranuleMs, sessionClock, startIdle, stopIdle } from "./idle.ts";
import {
  clearMessaging,
  drafts,
  loadConversations,
  openConversationId,
  restoreDrafts,
  startMessaging,
} from "./messaging.ts";
import { broadcast, onTabMessage } from "./tabs.ts";

export type Phase = "loading" | "signin" | "enroll" | "password" | "app";

export const phase = signal<Phase>("loading");
export const session = signal<SessionInfo | null>(null);
/** Shown on the sign-in screen: why the user is there. */
export const notice = signal<string | null>(null);

const MESSAGING_ROLES = new Set(["clinician", "staff", "service"]);

export function canMessage(role: string | undefined): boolean {
  return !!role && MESSAGING_ROLES.has(role);
}

/** Drafts kept across a lost session, for the same user only. */
let kept: { userId: string; drafts: Map<string, string>; open: string | null } | null = null;

const REASONS: Record<string, string> = {
  idle: "Signed out after inactivity.",
  user: "You signed out.",
  // The cookie session is this browser's: a logout is this user in another tab.
  logout: "You signed out.",
  expired: "You were signed out: your session expired.",
  deactivated: "You were signed out: your account was deactivated.",
  revoked: "You were signed out: your session was ended by a change to your account.",
  lost: "Your session has ended. Sign in again to continue; your unsent drafts are kept.",
  "expired-kept": "You were signed out: your session expired. Sign in again to continue; your unsent drafts are kept.",
  enrolled: "Two-step sign-in is set up. Sign in again with a code from your authenticator app.",
  password: "Your password was changed. Sign in with your new password.",
};

function reasonText(why: string): string {
  return REASONS[why] ?? "You were signed out.";
}

export async function boot() {
  api.setUnauthorizedHandler(() => onUnauthorized("lost"));
  client.api.use(sessionClock);
  onTabMessage((m) => {
    if (m.t === "signed-out" && phase.value !== "signin" && phase.value !== "loading") {
      if (m.why === "lost") onUnauthorized("lost");
      else endLocally(m.why);
    } else if (m.t === "signed-in" && phase.value === "signin") {
      void resume();
    }
  });
  await resume();
}

async function resume() {
  try {
    const started = Date.now();
    const s = await api.resumeSession();
    // The session's last recorded use is at most a granule before this call.
    if (s) enter(s, started - serverGranuleMs(s.idle_timeout_secs));
    else phase.value = "signin";
  } catch (e) {
    notice.value = e instanceof Error ? e.message : String(e);
    phase.value = "signin";
  }
}

function enter(s: SessionInfo, serverSeenAt: number) {
  client.setCsrfToken(s.csrf_token);
  batch(() => {
    session.value = s;
    notice.value = null;
  });
  startIdle(s.idle_timeout_secs, serverSeenAt, () => void signOut("idle"));
  if (s.mfa_enrollment_required) {
    phase.value = "enroll";
    return;
  }
  if (s.password_change_required) {
    phase.value = "password";
    return;
  }
  if (canMessage(s.user.role)) {
    if (kept && kept.userId === s.user.id) {
      restoreDrafts(kept.drafts);
      if (kept.open) openConversationId.value = kept.open;
    }
    kept = null;
    const stream = startMessaging(s.user, {
      // An expired session (idle on the server, or its lifetime) keeps the
      // drafts for the same user's next sign-in; the others end everything.
      onSessionEnded: (reason) => (reason === "expired" ? onUnauthorized("expired") : endLocally(reason, true)),
    });
    startCalls(s.user, stream, s.idle_timeout_secs);
    void loadConversations();
  } else {
    kept = null;
  }
  phase.value = "app";
}

/** Signs in; throws ApiError (e.g. code `mfa_required`) for the form to show. */
export async function signIn(username: string, password: string, code?: string) {
  const started = Date.now();
  const s = await api.login(username, password, code);
  enter(s, started);
  broadcast({ t: "signed-in" });
}

/** Clears everything in memory and shows the sign-in screen with why. */
function endLocally(why: string, tellOtherTabs = false) {
  stopCalls();
  stopIdle();
  clearMessaging({ keepDrafts: false });
  kept = null;
  client.setCsrfToken("");
  batch(() => {
    session.value = null;
    notice.value = reasonText(why);
    phase.value = "signin";
  });
  if (tellOtherTabs) broadcast({ t: "signed-out", why });
}

/** Ends the session on the server, here and in every other tab. */
export async function signOut(why: "user" | "idle" | "enrolled" | "password" = "user") {
  try {
    await leaveBeforeSignOut();
    await api.logout();
  } catch {
    // Already gone on the server: signing out locally is what matters.
  }
  endLocally(why, true);
}

/** A signed-in call answered 401 (or the session expired): sign in again, keeping the drafts. */
function onUnauthorized(why: "lost" | "expired" = "lost") {
  if (phase.value === "signin" || phase.value === "loading") return;
  const s = session.value;
  if (s && phase.value === "app") {
    const saved = new Map([...drafts].filter(([, v]) => v.trim() !== ""));
    kept = { userId: s.user.id, drafts: saved, open: openConversationId.value };
  }
  const keep = kept;
  stopCalls();
  stopIdle();
  clearMessaging({ keepDrafts: false });
  kept = keep;
  client.setCsrfToken("");
  batch(() => {
    session.value = null;
    const withDrafts = !!kept && kept.drafts.size > 0;
    notice.value =
      why === "expired"
        ? reasonText(withDrafts ? "expired-kept" : "expired")
        : withDrafts
          ? reasonText("lost")
          : "Your session has ended. Sign in again to continue.";
    phase.value = "signin";
  });
  broadcast({ t: "signed-out", why: "lost" });
}

/** The session that enrolled MFA or changed the password is over. */
export function finishLimitedSession(why: "enrolled" | "password") {
  endLocally(why, true);
}
