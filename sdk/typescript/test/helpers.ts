// Test doubles: a WebSocket server (the `ws` package) that plays the hippo
// stream as a test scripts it, and a fetch that answers the messages
// endpoint from an in-memory conversation.

import { WebSocketServer, WebSocket as WsWebSocket } from "ws";
import type { AddressInfo } from "node:net";
import type { components } from "../src/generated/openapi.ts";

export type Message = components["schemas"]["MessageResponse"];

/** The `ws` client, typed as the DOM WebSocket the stream takes. */
export const NodeWebSocket = WsWebSocket as unknown as typeof WebSocket;

export interface Conn {
  socket: WsWebSocket;
  /** Text frames this connection received, parsed, in order. */
  received: unknown[];
  send(frame: unknown): void;
  /** The next frame not yet taken by next() (waits for it). */
  next(timeoutMs?: number): Promise<unknown>;
  closed: Promise<void>;
}

export class FakeStreamServer {
  readonly wss: WebSocketServer;
  readonly conns: Conn[] = [];
  /** When set, upgrades are refused with this HTTP status. */
  refuse: number | null = null;
  /** Called for each new connection (before the test sees it). */
  onConnection: ((c: Conn) => void) | null = null;

  private constructor(wss: WebSocketServer) {
    this.wss = wss;
    wss.on("connection", (socket) => {
      const received: unknown[] = [];
      let cursor = 0;
      let closedResolve!: () => void;
      const closed = new Promise<void>((r) => (closedResolve = r));
      socket.on("close", () => closedResolve());
      socket.on("message", (data, isBinary) => {
        received.push(isBinary ? { binary: true } : JSON.parse(data.toString()));
      });
      const conn: Conn = {
        socket,
        received,
        closed,
        send(frame) {
          socket.send(JSON.stringify(frame));
        },
        async next(timeoutMs = 3000) {
          await waitFor(() => received.length > cursor, "a frame from the client", timeoutMs);
          return received[cursor++];
        },
      };
      this.conns.push(conn);
      this.onConnection?.(conn);
    });
  }

  /** Upgrade attempts, refused or not. */
  attempts = 0;

  static async start(): Promise<FakeStreamServer> {
    let self: FakeStreamServer | null = null;
    const wss = new WebSocketServer({
      host: "127.0.0.1",
      port: 0,
      verifyClient: (_info, done) => {
        if (self) self.attempts++;
        const refuse = self?.refuse ?? null;
        if (refuse === null) done(true);
        else done(false, refuse);
      },
    });
    await new Promise<void>((resolve, reject) => {
      wss.once("listening", () => resolve());
      wss.once("error", reject);
    });
    self = new FakeStreamServer(wss);
    return self;
  }

  get url(): string {
    const { port } = this.wss.address() as AddressInfo;
    return `ws://127.0.0.1:${port}/api/v1/stream`;
  }

  /** The n-th connection (0-based), waiting for it if needed. */
  async connection(n: number, timeoutMs = 3000): Promise<Conn> {
    await waitFor(() => this.conns.length > n, `connection #${n}`, timeoutMs);
    return this.conns[n] as Conn;
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export async function waitFor(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function message(conversationId: string, seq: number, body = `m${seq}`): Message {
  return {
    id: `${conversationId}-m${seq}`,
    conversation_id: conversationId,
    seq,
    sender_id: "u-peer",
    body,
    priority: "normal",
    attachments: [],
    created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    edited_at: null,
    deleted: false,
    client_id: null,
    channel: "hippo",
    channel_status: null,
  };
}

/**
 * A fetch that serves `GET /api/v1/conversations/{id}/messages` from
 * `store` (after_seq/limit as the server applies them), records every
 * request, and can hold answers until a test releases them.
 */
export class FakeApi {
  readonly store = new Map<string, Message[]>();
  readonly requests: Request[] = [];
  /** When set, each messages request waits for this before answering. */
  gate: Promise<void> | null = null;
  /** Status to answer with instead (a problem document), once per entry. */
  readonly failures: number[] = [];
  /** Conversations `GET /api/v1/conversations` leaves out (break-glass access, say). */
  readonly unlisted = new Set<string>();
  /** What `GET /api/v1/auth/session` answers: a signed-in cookie session (200) or not (401). */
  sessionAlive = true;

  add(conversationId: string, upTo: number): void {
    const list = this.store.get(conversationId) ?? [];
    for (let s = list.length + 1; s <= upTo; s++) list.push(message(conversationId, s));
    this.store.set(conversationId, list);
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init);
    this.requests.push(request);
    if (this.gate) await this.gate;
    const url = new URL(request.url);
    const failure = this.failures.shift();
    if (failure !== undefined) {
      return problem(failure, failure === 404 ? "not_found" : "internal", "injected failure");
    }
    if (request.method === "GET" && url.pathname === "/api/v1/auth/session") {
      return this.sessionAlive
        ? new Response(JSON.stringify({ csrf_token: "c", expires_at: "2026-01-01T12:00:00Z", idle_timeout_secs: 900 }), {
            status: 200,
            headers: { "Content-Type": "application/json" },
          })
        : problem(401, "unauthenticated", "sign in first");
    }
    if (request.method === "GET" && url.pathname === "/api/v1/conversations") {
      const conversations = [...this.store.entries()]
        .filter(([id]) => !this.unlisted.has(id))
        .map(([id, list]) => ({
          id,
          kind: "group",
          title: null,
          member_ids: ["u-me"],
          members: [],
          created_at: "2026-01-01T00:00:00Z",
          last_seq: list.length,
          unread_count: 0,
          last_message_at: null,
        }));
      return new Response(JSON.stringify({ conversations }), { status: 200, headers: { "Content-Type": "application/json" } });
    }
    const m = /^\/api\/v1\/conversations\/([^/]+)\/messages$/.exec(url.pathname);
    if (request.method !== "GET" || !m) return problem(404, "not_found", "no such route in the fake");
    const id = decodeURIComponent(m[1] as string);
    const list = this.store.get(id);
    if (!list) return problem(404, "not_found", "no such conversation");
    const after = Number(url.searchParams.get("after_seq") ?? "0");
    const limit = Number(url.searchParams.get("limit") ?? "100");
    const page = list.filter((x) => x.seq > after).slice(0, limit);
    const next_after_seq = page.length ? (page[page.length - 1] as Message).seq : after;
    return new Response(JSON.stringify({ messages: page, next_after_seq }), {
      status: 200,
      headers: { "Content-Type": "application/json" },
    });
  };

  messageRequests(): URL[] {
    return this.requests.map((r) => new URL(r.url)).filter((u) => u.pathname.endsWith("/messages"));
  }
}

export function problem(status: number, code: string, detail: string): Response {
  return new Response(JSON.stringify({ type: "about:blank", title: code, status, detail, code }), {
    status,
    headers: { "Content-Type": "application/problem+json" },
  });
}
