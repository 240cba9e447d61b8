// Helpers for two-party calls (GET /api/v1/calls…, the `call.*` frames):
// where a session stands in a call (ringing here, answered elsewhere, in
// it), which of the two joined sessions makes the offer, the other side's
// session for `call.signal`, the ICE servers as RTCPeerConnection takes
// them, and sending a signal over the stream. They take the call's shape
// structurally, so they work on the REST body and the frames alike.

/** The part of a call these helpers read. */
export interface CallParticipantLike {
  user_id: string;
  state: string;
  session_id?: string | null | undefined;
  joined_at?: string | null | undefined;
}

export interface CallLike {
  state: string;
  participants: readonly CallParticipantLike[];
}

/**
 * Where one session of a user stands in a call:
 * - `ringing`: this user is being rung and has not answered anywhere (show Accept/Decline);
 * - `joined`: this session is in the call;
 * - `answered_elsewhere`: this user joined on another session (stop ringing here);
 * - `declined`, `left`: this user is out of it;
 * - `not_invited`: the user is not a participant;
 * - `ended`: the call is over.
 */
export type CallStanding = "ringing" | "joined" | "answered_elsewhere" | "declined" | "left" | "not_invited" | "ended";

export function callStanding(call: CallLike, userId: string, sessionId: string | null): CallStanding {
  if (call.state === "ended") return "ended";
  const p = call.participants.find((x) => x.user_id === userId);
  if (!p) return "not_invited";
  switch (p.state) {
    case "ringing":
      return "ringing";
    case "joined":
      return sessionId !== null && p.session_id === sessionId ? "joined" : "answered_elsewhere";
    case "declined":
      return "declined";
    default:
      return "left";
  }
}

/** The joined session of the other participant (where `call.signal` goes), or null. */
export function peerSessionOf(call: CallLike, userId: string): string | null {
  const other = call.participants.find((p) => p.user_id !== userId && p.state === "joined" && p.session_id);
  return other?.session_id ?? null;
}

/**
 * Whether this session makes the offer: of the two joined sessions, the one
 * that joined first (earlier `joined_at`; on a tie, the smaller session id).
 * Null until both are joined.
 */
export function isOfferer(call: CallLike, userId: string, sessionId: string): boolean | null {
  const me = call.participants.find((p) => p.user_id === userId);
  const other = call.participants.find((p) => p.user_id !== userId && p.state === "joined" && p.session_id);
  if (!me || me.state !== "joined" || me.session_id !== sessionId || !other?.session_id) return null;
  const mine = Date.parse(me.joined_at ?? "");
  const theirs = Date.parse(other.joined_at ?? "");
  if (Number.isFinite(mine) && Number.isFinite(theirs) && mine !== theirs) return mine < theirs;
  return sessionId < other.session_id;
}

/** An entry of `GET /api/v1/calls/ice-servers`. */
export interface IceServerLike {
  urls: string | readonly string[];
  username?: string | null | undefined;
  credential?: string | null | undefined;
}

/** The same entries as `RTCIceServer`s (no null fields). */
export function rtcIceServers(servers: readonly IceServerLike[]): RTCIceServer[] {
  return servers.map((s) => {
    const out: RTCIceServer = { urls: typeof s.urls === "string" ? s.urls : [...s.urls] };
    if (s.username) out.username = s.username;
    if (s.credential) out.credential = s.credential;
    return out;
  });
}

/** What a `call.signal` carries: a session description or an ICE candidate. */
export type CallSignalPayload =
  | { sdp: { type: "offer" | "answer"; sdp: string }; candidate?: undefined }
  | {
      candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null; usernameFragment?: string | null };
      sdp?: undefined;
    };

/** Anything with the stream's `send`. */
export interface FrameSender {
  send(frame: never): boolean;
}

/**
 * Sends `{type: "call.signal", call_id, to_session, sdp | candidate}` on the
 * stream; false when the socket is not open. Null fields of a candidate are
 * left out.
 */
export function sendCallSignal(stream: FrameSender, callId: string, toSession: string, payload: CallSignalPayload): boolean {
  const frame: Record<string, unknown> = { type: "call.signal", call_id: callId, to_session: toSession };
  if (payload.sdp) frame.sdp = { type: payload.sdp.type, sdp: payload.sdp.sdp };
  if (payload.candidate) {
    const c: Record<string, unknown> = { candidate: payload.candidate.candidate };
    if (payload.candidate.sdpMid != null) c.sdpMid = payload.candidate.sdpMid;
    if (payload.candidate.sdpMLineIndex != null) c.sdpMLineIndex = payload.candidate.sdpMLineIndex;
    if (payload.candidate.usernameFragment != null) c.usernameFragment = payload.candidate.usernameFragment;
    frame.candidate = c;
  }
  return stream.send(frame as never);
}
