/**
 * REST calls of the call feature (GET /api/v1/calls/ice-servers, start, join,
 * decline, leave, get, list), through the SDK's typed client like every other
 * call the web client makes, returning the body or throwing the app's
 * ApiError (a 401 signs in again).
 */
import { client, unwrap } from "../api.ts";
import type { Call, CallMedia, IceServers } from "./types.ts";

export function iceServers(): Promise<IceServers> {
  return unwrap(client.api.GET("/api/v1/calls/ice-servers"));
}

export function startCall(conversationId: string, media: CallMedia): Promise<Call> {
  return unwrap(client.api.POST("/api/v1/conversations/{id}/calls", { params: { path: { id: conversationId } }, body: { media } }));
}

export function getCall(id: string): Promise<Call> {
  return unwrap(client.api.GET("/api/v1/calls/{id}", { params: { path: { id } } }));
}

export async function listCalls(): Promise<Call[]> {
  const r = await unwrap<{ calls: Call[] }>(client.api.GET("/api/v1/calls"));
  return r.calls;
}

export function joinCall(id: string): Promise<Call> {
  return unwrap(client.api.POST("/api/v1/calls/{id}/join", { params: { path: { id } } }));
}

export function declineCall(id: string): Promise<Call> {
  return unwrap(client.api.POST("/api/v1/calls/{id}/decline", { params: { path: { id } } }));
}

/** `keepalive`: sent while the page unloads (a reload or a closed tab hangs up). */
export function leaveCall(id: string, keepalive = false): Promise<Call> {
  return unwrap(client.api.POST("/api/v1/calls/{id}/leave", { params: { path: { id } }, ...(keepalive ? { keepalive } : {}) }));
}
