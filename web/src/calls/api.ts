/**
 * REST calls of the call feature (GET /api/v1/calls/ice-servers, start, join,
 * decline, leave, get, list), through the SDK's client like every other call
 * the web client makes, returning the body or throwing the app's ApiError.
 */
import { client, unwrap } from "../api.ts";
import type { Call, CallMedia, IceServers } from "./types.ts";

type Result = { data?: unknown; error?: unknown; response: Response };
type Init = { params?: { path?: Record<string, string>; query?: Record<string, string | number> }; body?: unknown };
/** openapi-fetch takes any path at run time; these are typed here by hand. */
type Loose = { GET(path: string, init?: Init): Promise<Result>; POST(path: string, init?: Init): Promise<Result> };
const loose = () => client.api as unknown as Loose;

export function iceServers(): Promise<IceServers> {
  return unwrap(loose().GET("/api/v1/calls/ice-servers"));
}

export function startCall(conversationId: string, media: CallMedia): Promise<Call> {
  return unwrap(
    loose().POST("/api/v1/conversations/{id}/calls", { params: { path: { id: conversationId } }, body: { media } }),
  );
}

export function getCall(id: string): Promise<Call> {
  return unwrap(loose().GET("/api/v1/calls/{id}", { params: { path: { id } } }));
}

export async function listCalls(): Promise<Call[]> {
  const r = await unwrap<{ calls: Call[] }>(loose().GET("/api/v1/calls"));
  return r.calls;
}

function act(id: string, what: "join" | "decline" | "leave"): Promise<Call> {
  return unwrap(loose().POST(`/api/v1/calls/{id}/${what}`, { params: { path: { id } } }));
}

export const joinCall = (id: string) => act(id, "join");
export const declineCall = (id: string) => act(id, "decline");
export const leaveCall = (id: string) => act(id, "leave");
