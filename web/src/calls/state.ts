/**
 * Calls in this tab: the live calls the server told us about (call.ringing,
 * call.updated, call.ended, and GET /api/v1/calls after each `ready`), the
 * one call this session is in (camera and microphone, the peer connection,
 * the link's stats), the ringing dialog's state, and the signalling over the
 * app's stream (`call.signal`). Nothing here is stored: all of it is memory
 * only and dropped by stopCalls() at sign-out.
 *
 * Who offers: of the two joined sessions the one that joined first (earlier
 * `joined_at`, then the smaller session id) creates the offer, the other
 * answers. A group call (`topology: "sfu"`) has one connection to hippo's
 * SFU (session `sfu`): this session offers once, the SFU answers and later
 * offers again when someone joins or leaves. Every connection uses
 * `iceTransportPolicy: "relay"` when the call says `relay_only`.
 */
import { computed, effect, signal } from "@preact/signals";
import { ApiError } from "../api.ts";
import { callStanding, isOfferer, peerSessionOf, rtcIceServers, sendCallSignal, type HippoStream } from "../sdk.ts";
import type { User } from "../types.ts";
import { holdIdle } from "../state/idle.ts";
import * as callsApi from "./api.ts";
import { Peer, type LinkInfo } from "./peer.ts";
import { startRinging, stopRinging } from "./ringer.ts";
import type { Call, CallMedia, CallSignalFrame } from "./types.ts";

/** The call this session is in, or is starting or joining. */
export interface Current {
  /** Null while the start request is in flight. */
  call: Call | null;
  conversationId: string;
  media: CallMedia;
  phase: "starting" | "joining" | "in-call";
  local: MediaStream | null;
  /** What the others send: one stream per remote session (p2p: the other side; SFU: each publisher). */
  remotes: RemoteMedia[];
  muted: boolean;
  cameraOff: boolean;
  /** The peer connection's state, once there is a peer. */
  connection: RTCPeerConnectionState | null;
  link: LinkInfo | null;
  /** When the media started flowing here (ms, local clock). */
  connectedAt: number | null;
}

export interface RemoteMedia {
  /** The sending session (the SFU names each stream by its publisher's session). */
  session: string;
  stream: MediaStream;
}

/** The SFU's session id in `call.signal` (group calls). */
export const SFU = "sfu";

/** Live calls (ringing or active) by id. */
export const liveCalls = signal<Map<string, Call>>(new Map());
export const current = signal<Current | null>(null);
/** A sentence for the user when starting, joining or a device failed. */
export const callError = signal<string | null>(null);
/** How this session's last call ended ("Bob Baker declined the call."), shown for a few seconds. */
export const callNotice = signal<{
  why: "hangup" | "declined" | "missed" | "deactivated" | "ended";
  by: string | null;
  conversationId: string;
} | null>(null);
/** Set when the server answered a group call 503 (no SFU configured). */
export const groupCallsUnavailable = signal(false);
/** Calls whose ringing this tab silenced (Escape): not declined. */
const dismissed = signal<Set<string>>(new Set());

let me: User | null = null;
let stream: HippoStream | null = null;
let peer: Peer | null = null;
let ice: RTCIceServer[] = [];
let idleSecs = 900;
let unsubscribe: Array<() => void> = [];
let keepaliveTimer: ReturnType<typeof setInterval> | null = null;
let statsTimer: ReturnType<typeof setInterval> | null = null;
let iceTimer: ReturnType<typeof setInterval> | null = null;
/** Signals that came before their peer existed, by call id. */
const early = new Map<string, CallSignalFrame[]>();

function mySession(): string | null {
  return stream?.sessionId ?? null;
}

function standing(call: Call) {
  return me ? callStanding(call, me.id, mySession()) : "not_invited";
}

/** The call ringing for this session: it rings me, I have not answered anywhere, not silenced here. */
export const incoming = computed<Call | null>(() => {
  const cur = current.value;
  for (const c of liveCalls.value.values()) {
    if (dismissed.value.has(c.id) || cur?.call?.id === c.id) continue;
    if (standing(c) === "ringing") return c;
  }
  return null;
});

/** The live call of a conversation, if any (its Start buttons join it). */
export function liveCallIn(conversationId: string): Call | undefined {
  for (const c of liveCalls.value.values()) if (c.conversation_id === conversationId && c.state !== "ended") return c;
  return undefined;
}

function patch(p: Partial<Current>) {
  const cur = current.value;
  if (cur) current.value = { ...cur, ...p };
}

function problemText(e: unknown): string {
  if (e instanceof ApiError) return e.detail;
  if (e instanceof DOMException) {
    if (e.name === "NotAllowedError") return "The browser did not allow the camera or microphone.";
    if (e.name === "NotFoundError") return "No camera or microphone was found.";
    if (e.name === "NotReadableError") return "The camera or microphone is in use by another program.";
  }
  return e instanceof Error ? e.message : String(e);
}

// ---- frames -----------------------------------------------------------------

function upsert(call: Call) {
  const next = new Map(liveCalls.value);
  if (call.state === "ended") next.delete(call.id);
  else next.set(call.id, call);
  liveCalls.value = next;
  const cur = current.value;
  if (cur?.call?.id === call.id) {
    if (call.state === "ended") {
      const other = call.participants.find((p) => p.user_id !== me?.id);
      const by = call.topology === "sfu" ? null : other?.user_id ?? null;
      callNotice.value = { why: call.end_reason ?? "ended", by, conversationId: call.conversation_id };
      teardown();
      return;
    }
    // Streams of sessions that left are dropped (the panel shows only joined ones anyway).
    const gone = new Set(call.participants.filter((p) => p.state !== "joined" && p.session_id).map((p) => p.session_id));
    const remotes = call.topology === "sfu" ? cur.remotes.filter((r) => !gone.has(r.session)) : cur.remotes;
    current.value = { ...cur, call, remotes: remotes.length === cur.remotes.length ? cur.remotes : remotes };
    reconcile();
  }
  if (call.state === "ended" && dismissed.value.has(call.id)) {
    const d = new Set(dismissed.value);
    d.delete(call.id);
    dismissed.value = d;
  }
}

function onSignal(f: CallSignalFrame) {
  const cur = current.value;
  if (!cur?.call || cur.call.id !== f.call_id) {
    // The offer can arrive before our join's answer: keep it a little.
    if (cur && !cur.call) queueEarly(f);
    return;
  }
  if (peer && peer.remoteSession === f.from_session) {
    void peer.receive(f).catch((e) => console.warn("call signal", e));
    return;
  }
  queueEarly(f);
  reconcile();
}

function queueEarly(f: CallSignalFrame) {
  const list = early.get(f.call_id) ?? [];
  list.push(f);
  early.set(f.call_id, list.slice(-200));
}

async function resync() {
  try {
    const list = await callsApi.listCalls();
    const ids = new Set(list.map((c) => c.id));
    for (const c of list) upsert(c);
    for (const c of [...liveCalls.value.values()]) {
      if (!ids.has(c.id)) upsert({ ...c, state: "ended" });
    }
  } catch {
    // The next `ready` or keepalive tries again.
  }
}

// ---- the call this session is in ---------------------------------------------

/** Creates the peer once both sides are joined; the first to join offers. */
function reconcile() {
  const cur = current.value;
  const call = cur?.call;
  const session = mySession();
  if (!cur || !call || !session) return;
  if (!me || standing(call) !== "joined") {
    // Left, or answered from another session: not this session's call any more.
    if (cur.phase === "in-call") teardown();
    return;
  }
  if (cur.phase !== "in-call") patch({ phase: "in-call" });
  startKeepalive(call.id);
  const sfu = call.topology === "sfu";
  const remoteSession = sfu ? SFU : peerSessionOf(call, me.id);
  if (!remoteSession) return;
  if (peer && peer.remoteSession === remoteSession) return;
  peer?.close();
  const offerer = sfu || isOfferer(call, me.id, session) === true;
  const callId = call.id;
  const pe = new Peer({
    config: { iceServers: ice, iceTransportPolicy: call.relay_only ? "relay" : "all" },
    local: cur.local,
    remoteSession,
    offerer,
    // The SFU is ICE-lite (our candidates are not needed) and does no ICE restarts.
    trickle: !sfu,
    iceRestart: !sfu,
    hooks: {
      send: (sig) => (stream && (sig.sdp || sig.candidate) ? sendCallSignal(stream, callId, remoteSession, sig as never) : false),
      onRemoteStream: (s) => {
        if (peer !== pe) return;
        const from = sfu ? s.id : remoteSession;
        const list = current.value?.remotes ?? [];
        if (list.some((r) => r.session === from && r.stream === s)) return;
        patch({ remotes: [...list.filter((r) => r.session !== from), { session: from, stream: s }] });
      },
      onChange: () => {
        if (peer !== pe) return;
        const st = pe.state;
        const c = current.value;
        patch({ connection: st, connectedAt: st === "connected" && c && !c.connectedAt ? Date.now() : c?.connectedAt ?? null });
      },
    },
  });
  peer = pe;
  patch({ connection: pe.state });
  startStats();
  const queued = (early.get(callId) ?? []).filter((f) => f.from_session === remoteSession);
  early.delete(callId);
  void (async () => {
    try {
      if (offerer) await pe.offer();
      for (const f of queued) await pe.receive(f);
    } catch (e) {
      console.warn("call setup", e);
    }
  })();
}

function startStats() {
  if (statsTimer) return;
  const tick = async () => {
    const pe = peer;
    if (!pe) return;
    try {
      const link = await pe.link();
      if (peer === pe) patch({ link });
    } catch {
      // closed meanwhile
    }
  };
  statsTimer = setInterval(() => void tick(), 2000);
  void tick();
}

/**
 * While in a call: GET /api/v1/calls/{id} every minute (at most a third of
 * the idle timeout) keeps the session in use and the call's state fresh,
 * and the idle warning is held off.
 */
function startKeepalive(callId: string) {
  if (keepaliveTimer) return;
  holdIdle(true);
  const every = Math.max(5_000, Math.min(60_000, (idleSecs * 1000) / 3));
  keepaliveTimer = setInterval(() => {
    callsApi
      .getCall(callId)
      .then((c) => upsert(c))
      .catch((e) => {
        const call = current.value?.call;
        if (e instanceof ApiError && e.status === 404 && call?.id === callId) upsert({ ...call, state: "ended" });
      });
  }, every);
  // New TURN credentials before the old ones lapse (10 minutes).
  iceTimer = setInterval(() => {
    void callsApi
      .iceServers()
      .then((r) => {
        ice = rtcIceServers(r.ice_servers);
        peer?.setIceServers(ice);
      })
      .catch(() => {});
  }, 5 * 60_000);
}

function teardown() {
  const cur = current.value;
  peer?.close();
  peer = null;
  for (const t of cur?.local?.getTracks() ?? []) t.stop();
  if (keepaliveTimer) clearInterval(keepaliveTimer);
  if (statsTimer) clearInterval(statsTimer);
  if (iceTimer) clearInterval(iceTimer);
  keepaliveTimer = statsTimer = iceTimer = null;
  if (cur?.call) early.delete(cur.call.id);
  current.value = null;
  holdIdle(false);
}

async function prepare(media: CallMedia): Promise<MediaStream> {
  const [local, servers] = await Promise.all([
    navigator.mediaDevices.getUserMedia(media === "video" ? { audio: true, video: { width: 640, height: 480 } } : { audio: true }),
    callsApi.iceServers(),
  ]);
  ice = rtcIceServers(servers.ice_servers);
  return local;
}

function blank(conversationId: string, media: CallMedia, phase: Current["phase"], call: Call | null): Current {
  return { call, conversationId, media, phase, local: null, remotes: [], muted: false, cameraOff: false, connection: null, link: null, connectedAt: null };
}

// ---- what the screens call -----------------------------------------------------

/** "Start video call" / "Start audio call" (joins the live call of the conversation, if any). */
export async function startCall(conversationId: string, media: CallMedia) {
  if (current.value) return;
  callError.value = null;
  callNotice.value = null;
  current.value = blank(conversationId, media, "starting", null);
  let local: MediaStream | null = null;
  try {
    local = await prepare(media);
    if (!current.value || current.value.phase !== "starting") {
      for (const t of local.getTracks()) t.stop();
      return;
    }
    patch({ local });
    const call = await callsApi.startCall(conversationId, media);
    if (!current.value) {
      // Hung up while starting.
      void callsApi.leaveCall(call.id).catch(() => {});
      return;
    }
    patch({ call, media: call.media });
    upsert(call);
    reconcile();
  } catch (e) {
    callError.value = problemText(e);
    // A server without an SFU refuses group calls: stop offering them in this tab.
    if (e instanceof ApiError && e.status === 503 && e.code === "unavailable") groupCallsUnavailable.value = true;
    teardown();
  }
}

/** "Accept": this session answers. */
export async function accept(call: Call) {
  if (current.value) await hangUp();
  callError.value = null;
  callNotice.value = null;
  current.value = blank(call.conversation_id, call.media, "joining", call);
  try {
    const local = await prepare(call.media);
    if (current.value?.call?.id !== call.id) {
      for (const t of local.getTracks()) t.stop();
      return;
    }
    patch({ local });
    const joined = await callsApi.joinCall(call.id);
    upsert(joined);
    reconcile();
  } catch (e) {
    callError.value = problemText(e);
    teardown();
  }
}

/** "Decline": this user declines on every session. */
export async function decline(call: Call) {
  silence(call);
  try {
    upsert(await callsApi.declineCall(call.id));
  } catch (e) {
    // Already ended or answered: nothing to decline.
    if (!(e instanceof ApiError && (e.status === 404 || e.status === 409))) callError.value = problemText(e);
  }
}

/** Stops this tab ringing for a call without declining it. */
export function silence(call: Call) {
  const d = new Set(dismissed.value);
  d.add(call.id);
  dismissed.value = d;
}

/** "Hang up". */
export async function hangUp() {
  const cur = current.value;
  teardown();
  callNotice.value = null;
  if (cur?.call) {
    try {
      upsert(await callsApi.leaveCall(cur.call.id));
    } catch {
      // Already ended on the server.
    }
  }
}

export function toggleMute() {
  const cur = current.value;
  if (!cur) return;
  const muted = !cur.muted;
  for (const t of cur.local?.getAudioTracks() ?? []) t.enabled = !muted;
  patch({ muted });
}

export function toggleCamera() {
  const cur = current.value;
  if (!cur) return;
  const cameraOff = !cur.cameraOff;
  for (const t of cur.local?.getVideoTracks() ?? []) t.enabled = !cameraOff;
  patch({ cameraOff });
}

// ---- life cycle -------------------------------------------------------------------

let stopRingEffect: (() => void) | null = null;

let notification: Notification | null = null;

/** A tab in the background also shows a desktop notification, without PHI (no name). */
function notifyIncoming(call: Call) {
  if (!document.hidden || typeof Notification === "undefined" || Notification.permission !== "granted") return;
  closeNotification();
  try {
    const n = new Notification(call.media === "video" ? "Incoming video call" : "Incoming audio call", { tag: `call-${call.id}`, requireInteraction: true });
    n.onclick = () => {
      window.focus();
      n.close();
    };
    notification = n;
  } catch {
    // Some browsers allow notifications only from a service worker.
  }
}

function closeNotification() {
  notification?.close();
  notification = null;
}

/** A reload or a closed tab hangs up (the page cannot take the call with it). */
function onPageHide() {
  const cur = current.value;
  if (!cur?.call) return;
  void callsApi.leaveCall(cur.call.id, true).catch(() => {});
  teardown();
}

/** Listens to the app's stream for call frames (called when messaging starts). */
export function startCalls(user: User, s: HippoStream, idleTimeoutSecs: number) {
  stopCalls();
  me = user;
  stream = s;
  idleSecs = idleTimeoutSecs;
  const onCall = (f: { call: Call }) => {
    if (stream === s) upsert(f.call);
  };
  unsubscribe = [
    s.on("call.ringing", onCall),
    s.on("call.updated", onCall),
    s.on("call.ended", onCall),
    s.on("call.signal", (f) => {
      if (stream === s) onSignal(f);
    }),
    s.on("ready", () => {
      if (stream !== s) return;
      void resync();
      reconcile();
    }),
  ];
  window.addEventListener("pagehide", onPageHide);
  stopRingEffect = effect(() => {
    const call = incoming.value;
    if (call) {
      startRinging();
      notifyIncoming(call);
    } else {
      stopRinging();
      closeNotification();
    }
  });
}

/** Signing out: hang up first, while the session still works. */
export async function leaveBeforeSignOut() {
  if (current.value) await hangUp();
}

/** Drops everything at sign-out. */
export function stopCalls() {
  window.removeEventListener("pagehide", onPageHide);
  teardown();
  for (const u of unsubscribe) u();
  unsubscribe = [];
  stopRingEffect?.();
  stopRingEffect = null;
  stopRinging();
  stream = null;
  me = null;
  ice = [];
  early.clear();
  liveCalls.value = new Map();
  dismissed.value = new Set();
  callError.value = null;
  callNotice.value = null;
  groupCallsUnavailable.value = false;
}
