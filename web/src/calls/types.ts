/**
 * The call shapes the web client works with: the SDK's types, generated from
 * the server's OpenAPI and AsyncAPI documents (REST bodies of /api/v1/calls,
 * the `call.*` stream frames), plus the signal payloads as peer.ts uses them.
 */
import type { Call, CallMedia, CallParticipant, IceServers, ServerCallSignalFrame } from "../../../sdk/typescript/src/index.ts";

export type { Call, CallMedia, CallParticipant, IceServers };

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

/** Server → client `call.signal`. */
export type CallSignalFrame = ServerCallSignalFrame;
