// The one place the web client imports the SDK from. Everything that talks
// to the server goes through the SDK's client (`api`, openapi-fetch) or its
// stream (HippoStream).
export {
  callStanding,
  createHippoClient,
  downloadAttachment,
  HippoStream,
  isOfferer,
  peerSessionOf,
  problemOf,
  rtcIceServers,
  sendCallSignal,
  uploadAttachment,
} from "../../sdk/typescript/src/index.ts";
export type { HippoClient, ProblemSummary } from "../../sdk/typescript/src/index.ts";
