// Automatic logoff. Only the user's own input (keys, pointer, wheel, touch)
// counts as activity, in this tab or another (BroadcastChannel); timers and
// the socket never do. Activity refreshes the server's idle timer
// (GET /api/v1/me) at most once per max(15 s, idle/4), with one trailing
// refresh after the last input. A call in progress (in any tab) holds the
// clock: no "Still there?" while talking (holdIdle, from web/src/calls).
//
// The server records a session's use at most once per "granule"
// (min(idle/15, 60 s), crates/hippo-service/src/auth/sessions.rs), so its
// idle deadline can come before ours. The client keeps a conservative
// model of the server's last recorded use (`serverSeen`, fed by every call
// the app makes and shared between tabs) and signs out at the earlier of
// the two deadlines: the logout call then always finds the session alive,
// and the server never ends a session the screen still shows.
import { signal } from "@preact/signals";
import type { Middleware } from "openapi-fetch";
import * as api from "../api.ts";
import { broadcast, onTabMessage } from "./tabs.ts";

export const idleWarning = signal(false);
/** Seconds left when the warning is showing. */
export const idleSecondsLeft = signal(0);

const EVENTS = ["keydown", "pointerdown", "wheel", "touchstart"] as const;
/** Sign out this much before the modelled server deadline (request latency). */
const MARGIN_MS = 750;

let idleMs = 0;
let lastActivity = 0;
let lastRefresh = 0;
let serverSeen = 0;
let lastBroadcast = 0;
let timer: ReturnType<typeof setTimeout> | null = null;
let trailing: ReturnType<typeof setTimeout> | null = null;
let countdown: ReturnType<typeof setInterval> | null = null;
let onTimeout: (() => void) | null = null;
let stopTabs: (() => void) | null = null;
let refreshing = false;

function warnBeforeMs() {
  return Math.min(60_000, idleMs / 2);
}

/** How often the server records use at most (its "granule"). */
export function serverGranuleMs(idleTimeoutSecs: number): number {
  return Math.min((idleTimeoutSecs * 1000) / 15, 60_000);
}

function refreshIntervalMs() {
  const granule = serverGranuleMs(idleMs / 1000);
  const rule = Math.max(15_000, idleMs / 4);
  // Very short timeouts (tests): the trailing refresh must land before the
  // warning the server's deadline would bring.
  const latest = idleMs - warnBeforeMs() - granule - 2000;
  return Math.max(granule + 1500, Math.min(rule, latest));
}

/** When this tab signs out: the earlier of our deadline and the server's. */
function deadline() {
  return Math.min(lastActivity + idleMs, serverSeen + idleMs - MARGIN_MS);
}

// The model of the server's record of use, fed by every REST call through
// the SDK's client (the app's, the stream's catch-up, downloads) and by
// the stream's (re)connections:
// - `serverSeen` (a lower bound of the record) gives the deadline;
// - `serverMaybe` (an upper bound: the latest moment a call or socket may
//   have been recorded) tells when a call is certainly recorded: one that
//   starts a granule after it. Calls in flight together share the earliest
//   start, since any of them may be the one recorded. Any call at all
//   leaves the record at most a granule old.
let serverMaybe = 0;
const inFlight = new Map<string, number>();

function granule() {
  return serverGranuleMs(idleMs / 1000);
}

function seen(at: number, tell = true) {
  if (at > serverMaybe) serverMaybe = at;
  if (tell) broadcast({ t: "seen", at });
}

function recorded(at: number, tell = true) {
  if (at <= serverSeen) return;
  serverSeen = at;
  if (tell) broadcast({ t: "touched", at });
  if (onTimeout) schedule();
}

/** openapi-fetch middleware for the SDK's client. */
export const sessionClock: Middleware = {
  onRequest({ id }) {
    inFlight.set(id, Date.now());
  },
  onResponse({ id, response }) {
    const start = inFlight.get(id);
    inFlight.delete(id);
    if (start === undefined) return;
    // A 401 was not a use of a live session.
    if (response.status === 401) return;
    // After any call the record is at most a granule old; after a call
    // that starts a granule after anything that may have been recorded,
    // the record is that call (or one in flight with it).
    let lower = start - granule();
    if (start - serverMaybe >= granule()) lower = Math.max(lower, Math.min(start, ...inFlight.values()));
    recorded(lower);
    seen(Date.now());
  },
  onError({ id }) {
    // Not answered: it may still have been recorded.
    inFlight.delete(id);
    seen(Date.now());
  },
};

/** The stream (re)connected: the upgrade may have been recorded. */
export function noteSocketOpened() {
  seen(Date.now());
}

function onLocalInput() {
  // While "Still there?" is up, only its button (or Escape) answers it:
  // a stray click on the backdrop must not make the dialog vanish under
  // the pointer.
  if (idleWarning.value) return;
  activity(true);
}

function activity(local: boolean) {
  if (!onTimeout) return;
  const now = Date.now();
  lastActivity = now;
  if (idleWarning.value) hideWarning();
  schedule();
  if (!local) return;
  if (now - lastBroadcast > 1000) {
    lastBroadcast = now;
    broadcast({ t: "activity" });
  }
  maybeRefresh();
}

function maybeRefresh() {
  const due = lastRefresh + refreshIntervalMs();
  const now = Date.now();
  if (now >= due) {
    void refresh();
  } else if (!trailing) {
    trailing = setTimeout(() => {
      trailing = null;
      if (lastActivity > lastRefresh) void refresh();
    }, due - now);
  }
}

async function refresh() {
  if (refreshing || !onTimeout) return;
  refreshing = true;
  lastRefresh = Date.now();
  broadcast({ t: "refreshed" });
  try {
    // The session clock (middleware) notes the call.
    await api.getMe();
  } catch {
    // A 401 is handled by the API layer (sign-in again); other errors: the
    // next activity retries.
  } finally {
    refreshing = false;
  }
}

// A call holds the idle clock (the contract: a session in an active call
// does not hit the idle timeout; the call refreshes the server meanwhile).
// The tab in the call tells the others, so none of them signs out.
let held = false;
let heldElsewhereUntil = 0;
let holdTimer: ReturnType<typeof setInterval> | null = null;

/** On while this tab is in a call; off again when it ends (counted as use). */
export function holdIdle(on: boolean) {
  if (on === held) return;
  held = on;
  if (holdTimer) clearInterval(holdTimer);
  holdTimer = null;
  if (on) {
    const tell = () => broadcast({ t: "call-hold", until: Date.now() + 15_000 });
    tell();
    holdTimer = setInterval(tell, 5000);
    if (onTimeout) schedule();
  } else {
    broadcast({ t: "call-hold", until: 0 });
    activity(true);
  }
}

function schedule() {
  if (timer) clearTimeout(timer);
  const now = Date.now();
  if (held || now < heldElsewhereUntil) {
    lastActivity = now;
    if (idleWarning.value) hideWarning();
    timer = setTimeout(schedule, 5000);
    return;
  }
  const outAt = deadline();
  const warnAt = outAt - warnBeforeMs();
  if (now >= outAt) {
    timer = null;
    const f = onTimeout;
    stopIdle();
    f?.();
    return;
  }
  if (now >= warnAt) {
    if (!idleWarning.value) showWarning();
    timer = setTimeout(schedule, Math.min(outAt - now, 1000));
  } else {
    if (idleWarning.value) hideWarning();
    timer = setTimeout(schedule, Math.min(warnAt - now, 60_000));
  }
}

function showWarning() {
  idleWarning.value = true;
  tickCountdown();
  countdown = setInterval(tickCountdown, 1000);
}

function tickCountdown() {
  idleSecondsLeft.value = Math.max(0, Math.ceil((deadline() - Date.now()) / 1000));
}

function hideWarning() {
  idleWarning.value = false;
  if (countdown) clearInterval(countdown);
  countdown = null;
}

/** "Stay signed in": counts as activity and refreshes the server at once. */
export function stayActive() {
  activity(true);
  void refresh();
}

function onVisible() {
  if (document.visibilityState === "visible" && onTimeout) schedule();
}

/**
 * Starts the idle timer for a session the server last recorded as used at
 * `serverSeenAt` or later (the sign-in request's start, say).
 */
export function startIdle(idleTimeoutSecs: number, serverSeenAt: number, timeout: () => void) {
  stopIdle();
  idleMs = Math.max(1, idleTimeoutSecs) * 1000;
  lastActivity = Date.now();
  lastRefresh = Date.now();
  serverSeen = serverSeenAt;
  serverMaybe = Math.max(serverMaybe, Date.now());
  onTimeout = timeout;
  for (const e of EVENTS) window.addEventListener(e, onLocalInput, { capture: true, passive: true });
  document.addEventListener("visibilitychange", onVisible);
  stopTabs = onTabMessage((m) => {
    if (m.t === "activity") activity(false);
    else if (m.t === "refreshed") lastRefresh = Math.max(lastRefresh, Date.now());
    else if (m.t === "touched") recorded(m.at, false);
    else if (m.t === "seen") seen(m.at, false);
    else if (m.t === "call-hold") {
      heldElsewhereUntil = m.until;
      if (onTimeout) schedule();
    }
  });
  schedule();
}

export function stopIdle() {
  onTimeout = null;
  if (timer) clearTimeout(timer);
  if (trailing) clearTimeout(trailing);
  timer = trailing = null;
  hideWarning();
  for (const e of EVENTS) window.removeEventListener(e, onLocalInput, { capture: true });
  document.removeEventListener("visibilitychange", onVisible);
  stopTabs?.();
  stopTabs = null;
}
