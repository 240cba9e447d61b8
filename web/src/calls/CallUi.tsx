/**
 * The call screens: the conversation's `Start video call` / `Start audio
 * call` buttons, the incoming-call alert dialog (`Accept` / `Decline`, with
 * the ringer), and the call panel (remote and local video, `Mute`,
 * `Camera off`, `Hang up`, duration, connection state and quality from
 * getStats, and whether the media is relayed through TURN).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { conversationById, conversationName, currentUser, memberName } from "../state/messaging.ts";
import type { Conversation } from "../types.ts";
import { Modal } from "../ui/Modal.tsx";
import {
  accept,
  callError,
  callNotice,
  current,
  decline,
  groupCallsUnavailable,
  hangUp,
  incoming,
  liveCallIn,
  silence,
  startCall,
  toggleCamera,
  toggleMute,
  type Current,
} from "./state.ts";
import type { LinkInfo } from "./peer.ts";
import "./calls.css";

/**
 * Calls are for colleagues: two people peer to peer, three or more through
 * hippo's SFU (a server without one answers 503, shown as its words). Not in
 * patient conversations.
 */
export function canCall(conv: Conversation | undefined): boolean {
  if (!conv || conv.kind === "patient" || conv.member_ids.length < 2) return false;
  return conv.member_ids.length === 2 || !groupCallsUnavailable.value;
}

export function CallButtons(props: { conv: Conversation }) {
  const cur = current.value;
  const live = liveCallIn(props.conv.id);
  const busy = !!cur;
  const hint = busy ? "You are in a call" : live ? "Joins the call in progress" : undefined;
  return (
    <div class="callbuttons">
      <button type="button" class="secondary" disabled={busy} title={hint} onClick={() => void startCall(props.conv.id, "video")}>
        Start video call
      </button>
      <button type="button" class="secondary" disabled={busy} title={hint} onClick={() => void startCall(props.conv.id, "audio")}>
        Start audio call
      </button>
    </div>
  );
}

function otherName(conversationId: string, userId?: string): string {
  const conv = conversationById(conversationId);
  if (!conv) return "A colleague";
  if (userId) return memberName(conv, userId);
  return conversationName(conv);
}

/** The incoming call, on every session of the callee until answered (here or elsewhere), declined or ended. */
export function IncomingCallDialog() {
  const call = incoming.value;
  if (!call) return null;
  const who = otherName(call.conversation_id, call.started_by);
  const kind = call.media === "video" ? "video" : "audio";
  return (
    <Modal key={call.id} labelledBy="incoming-title" describedBy="incoming-desc" alert onClose={() => silence(call)} class="incoming">
      <h2 id="incoming-title">Incoming {kind} call</h2>
      <p id="incoming-desc">{who} is calling you.</p>
      <div class="actions">
        <button type="button" class="primary" autoFocus onClick={() => void accept(call)}>
          Accept
        </button>
        <button type="button" class="danger" onClick={() => void decline(call)}>
          Decline
        </button>
      </div>
    </Modal>
  );
}

function Media(props: { stream: MediaStream | null; label: string; muted?: boolean; kind: "video" | "audio"; class?: string }) {
  const ref = useRef<HTMLVideoElement & HTMLAudioElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (el.srcObject !== props.stream) el.srcObject = props.stream;
    if (props.stream) void el.play().catch(() => {});
  }, [props.stream]);
  if (props.kind === "audio") return <audio ref={ref} autoPlay aria-label={props.label} />;
  return <video ref={ref} class={props.class} autoPlay playsInline muted={props.muted} aria-label={props.label} />;
}

function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

function stateText(cur: Current, who: string): string {
  if (cur.phase === "starting") return "Starting the call…";
  if (cur.phase === "joining") return "Joining…";
  const call = cur.call;
  const remoteJoined = call?.participants.some((p) => p.user_id !== currentUser()?.id && p.state === "joined");
  if (!remoteJoined) return `Calling ${who}…`;
  switch (cur.connection) {
    case "connected":
      return "Connected";
    case "disconnected":
      return "Connection interrupted, reconnecting…";
    case "failed":
      return "Connection failed, retrying…";
    case "closed":
      return "Call ended";
    default:
      return "Connecting…";
  }
}

function linkText(link: LinkInfo | null): string | null {
  if (!link || !link.localType) return null;
  const path = link.localType === "relay" || link.remoteType === "relay" ? "Relayed" : "Direct";
  const parts = [path];
  if (link.rttSeconds !== null) parts.push(`${Math.round(link.rttSeconds * 1000)} ms round trip`);
  if (link.lossRatio !== null && link.lossRatio > 0.005) parts.push(`${(link.lossRatio * 100).toFixed(1)}% lost`);
  if (link.quality) parts.push(`${link.quality === "good" ? "Good" : link.quality === "fair" ? "Fair" : "Poor"} quality`);
  return parts.join(" · ");
}

/** The call this session is in: shown above the open conversation. */
export function CallPanel() {
  const cur = current.value;
  return cur ? <Panel cur={cur} /> : null;
}

/** Whose stream it is: the participant joined on that session (p2p: the other one). */
function remoteName(cur: Current, session: string): string {
  const p = cur.call?.participants.find((x) => x.session_id === session && x.user_id !== currentUser()?.id);
  const other = p ?? cur.call?.participants.find((x) => x.user_id !== currentUser()?.id);
  return otherName(cur.conversationId, other?.user_id);
}

function Panel({ cur }: { cur: Current }) {
  const now = useNow(1000);
  const me = currentUser();
  const group = cur.call?.topology === "sfu";
  const remote = cur.call?.participants.find((p) => p.user_id !== me?.id);
  const who = group ? otherName(cur.conversationId) : otherName(cur.conversationId, remote?.user_id);
  // p2p: one remote, shown (empty) from the start; SFU: one per publisher
  // that is joined (a stream can come before its publisher's join frame, and
  // the SFU's answer may name tracks nobody sends).
  const others = new Set(cur.call?.participants.filter((p) => p.user_id !== me?.id && p.state === "joined").map((p) => p.session_id));
  const remotes = group
    ? cur.remotes.filter((r) => others.has(r.session))
    : cur.remotes.length
      ? cur.remotes
      : [{ session: "", stream: null as MediaStream | null }];
  const since = cur.connectedAt ?? (cur.call?.answered_at ? Date.parse(cur.call.answered_at) : null);
  const link = linkText(cur.link);
  const video = cur.media === "video";
  return (
    <section class={`callpanel ${video ? "video" : "audio"}`} aria-label={`Call with ${who}`}>
      {video ? (
        <div class={`callvideos n${Math.min(remotes.length, 4)}`}>
          {remotes.map((r) => (
            <Media key={r.session} kind="video" class="remote" stream={r.stream} label={`Video from ${r.session ? remoteName(cur, r.session) : who}`} />
          ))}
          <Media kind="video" class="local" stream={cur.local} muted label="Your camera" />
        </div>
      ) : (
        remotes.map((r) => (
          <Media key={r.session} kind="audio" stream={r.stream} label={`Audio from ${r.session ? remoteName(cur, r.session) : who}`} />
        ))
      )}
      <div class="callinfo">
        <p class="callstate">
          <strong>{video ? "Video call" : "Audio call"} with {who}</strong>
          <span role="status">{stateText(cur, who)}</span>
          {since !== null && cur.connection === "connected" && (
            <time aria-label="Call duration">{duration(now - since)}</time>
          )}
        </p>
        {link && <p class="calllink muted">{link}</p>}
      </div>
      <div class="callcontrols">
        <button type="button" class="secondary" onClick={toggleMute} disabled={!cur.local}>
          {cur.muted ? "Unmute" : "Mute"}
        </button>
        {video && (
          <button type="button" class="secondary" onClick={toggleCamera} disabled={!cur.local}>
            {cur.cameraOff ? "Camera on" : "Camera off"}
          </button>
        )}
        <button type="button" class="danger" onClick={() => void hangUp()}>
          Hang up
        </button>
      </div>
    </section>
  );
}

function noticeText(n: NonNullable<typeof callNotice.value>): string {
  if (!n.by) return "The call ended.";
  const who = otherName(n.conversationId, n.by);
  switch (n.why) {
    case "declined":
      return `${who} declined the call.`;
    case "missed":
      return `No answer from ${who}.`;
    case "hangup":
      return `${who} hung up.`;
    default:
      return "The call ended.";
  }
}

/** Why the last start or answer failed (camera refused, the server's refusal), or how the call ended. */
export function CallError() {
  const e = callError.value;
  const n = callNotice.value;
  const cur = current.value;
  useEffect(() => {
    if (!e) return;
    const t = setTimeout(() => (callError.value = null), 10_000);
    return () => clearTimeout(t);
  }, [e]);
  useEffect(() => {
    if (!n) return;
    const t = setTimeout(() => (callNotice.value = null), 8000);
    return () => clearTimeout(t);
  }, [n]);
  return (
    <>
      {e && (
        <p class="error callerror" role="alert">
          {e}
        </p>
      )}
      <p class="callnotice" role="status">
        {n && !cur ? noticeText(n) : ""}
      </p>
    </>
  );
}
