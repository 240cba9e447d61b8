// @hippo/sdk: the typed REST client and the real-time stream.
export { createHippoClient, problemOf } from "./client.ts";
export type { HippoClient, HippoClientOptions, ProblemSummary } from "./client.ts";
export { HippoStream } from "./stream.ts";
export { uploadAttachment, downloadAttachment } from "./files.ts";
export { callStanding, isOfferer, peerSessionOf, rtcIceServers, sendCallSignal } from "./calls.ts";
export type { CallLike, CallParticipantLike, CallSignalPayload, CallStanding, FrameSender, IceServerLike } from "./calls.ts";
export type {
  HippoStreamOptions,
  StreamEvents,
  StreamEventType,
  StreamHandler,
  StreamLifecycleEvents,
  StreamState,
} from "./stream.ts";
export * from "./types.ts";
export type * from "./generated/frames.ts";
export { SERVER_FRAME_TYPES, CLIENT_FRAME_TYPES } from "./generated/frames.ts";
export type { paths, components, operations } from "./generated/openapi.ts";
