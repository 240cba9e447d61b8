// Automatic logoff. Only the user's own input (keys, pointer, wheel, touch)
// counts as activity, in this tab or another (BroadcastChannel); timers and
// the socket never do. Activity refreshes the server's idle timer at most
// once per max(15 s, idle/4), with one trailing refresh so the server's
// deadline never comes before ours.
import { signal } from "@preact/signals";
import * as api from "../api.ts";
import { broadcast, onTabMessage } from "./tabs.ts";

export const idleWarning = signal(false);
/** Seconds left when the warning is showing. */
export const idleSecondsLeft = signal(0);

const EVENTS = ["keydown", "pointerdown", "wheel", "touchstart"] as const;

let idleMs = 0;
let lastActivity = 0;
let lastRefresh = 0;
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

function refreshIntervalMs() {
  return Math.max(15_000, idleMs / 4);
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
  const started = Date.now();
  try {
    await api.getMe();
    lastRefresh = started;
    broadcast({ t: "refreshed" });
  } catch {
    // A 401 is handled by the API layer (sign-in again); other errors: the
    // next activity retries.
  } finally {
    refreshing = false;
  }
}

function schedule() {
  if (timer) clearTimeout(timer);
  const now = Date.now();
  const warnAt = lastActivity + idleMs - warnBeforeMs();
  const outAt = lastActivity + idleMs;
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
    timer = setTimeout(schedule, Math.min(warnAt - now, 60_000));
  }
}

function showWarning() {
  idleWarning.value = true;
  tickCountdown();
  countdown = setInterval(tickCountdown, 1000);
}

function tickCountdown() {
  idleSecondsLeft.value = Math.max(0, Math.ceil((lastActivity + idleMs - Date.now()) / 1000));
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

export function startIdle(idleTimeoutSecs: number, timeout: () => void) {
  stopIdle();
  idleMs = Math.max(1, idleTimeoutSecs) * 1000;
  lastActivity = Date.now();
  lastRefresh = Date.now();
  onTimeout = timeout;
  for (const e of EVENTS) window.addEventListener(e, onLocalInput, { capture: true, passive: true });
  document.addEventListener("visibilitychange", onVisible);
  stopTabs = onTabMessage((m) => {
    if (m.t === "activity") activity(false);
    else if (m.t === "refreshed") lastRefresh = Date.now();
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
