/**
 * The call shapes of hippo's wire API (two-party calls, issue 16): the REST
 * bodies of /api/v1/calls and the `call.*` stream frames. Written from the
 * server's description until the SDK's generated types carry them.
 */

export type CallMedia = "audio" | "video";
export type CallState = "ringing" | "active" | "ended";
export type ParticipantState = "ringing" | "joined" | "declined" | "left";

export interface CallParticipant {
  user_id: string;
  state: ParticipantState;
  session_id?: string | null;
  joined_at?: string | null;
  left_at?: string | null;
}

export interface Call {
  id: string;
  conversation_id: string;
  media: CallMedia;
  state: CallState;
  topology: "p2p" | "sfu";
  relay_only: boolean;
  started_by: string;
  started_at: string;
  answered_at?: string | null;
  ended_at?: string | null;
  end_reason?: "hangup" | "declined" | "missed" | "deactivated" | null;
  participants: CallParticipant[];
}

export interface IceServer {
  urls: string[] | string;
  username?: string | null;
  credential?: string | null;
}

export interface IceServers {
  ice_servers: IceServer[];
  expires_at: string;
}

export interface SdpPayload {
  type: "offer" | "answer";
  sdp: string;
}

export interface CandidatePayload {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/** Server → client. */
export interface CallSignalFrame {
  type: "call.signal";
  call_id: string;
  from_session: string;
  sdp?: SdpPayload;
  candidate?: CandidatePayload;
}

/** Client → server. */
export interface CallSignalOut {
  type: "call.signal";
  call_id: string;
  to_session: string;
  sdp?: SdpPayload;
  candidate?: CandidatePayload;
}

export interface CallFrame {
  type: "call.ringing" | "call.updated" | "call.ended";
  call: Call;
}
