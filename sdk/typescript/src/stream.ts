// The real-time client: one WebSocket to GET /api/v1/stream, typed frames,
// reconnection with backoff, keepalive, and catch-up by `seq` so an app sees
// every message of the conversations it follows exactly once, in order.

import { problemOf } from "./client.ts";
import type { HippoClient, ProblemSummary } from "./client.ts";
import type { ClientFrame, ServerFrame, ServerFrameOf, ServerFrameType } from "./generated/frames.ts";
import type { components } from "./generated/openapi.ts";

type RestMessage = components["schemas"]["MessageResponse"];

/** Events that are not frames: the connection's life and catch-up. */
export interface StreamLifecycleEvents {
  /** The socket opened (with a token, the `auth` frame has just been sent; `ready` follows). */
  open: { url: string };
  /** The socket is gone and a new one will be opened after `delayMs`. */
  reconnecting: { attempt: number; delayMs: number };
  /** A socket closed. `willReconnect` says whether the stream opens another by itself. */
  closed: { code: number; reason: string; willReconnect: boolean };
  /** Catch-up of a conversation ended; `count` messages were delivered from the REST API. */
  caught_up: { conversation_id: string; count: number };
  /**
   * Catch-up of a conversation failed. With `retryInMs` it is tried again
   * (its live frames stay buffered meanwhile); with `null` the stream stopped
   * following the conversation (403/404: no longer a member).
   */
  catch_up_failed: { conversation_id: string; problem: ProblemSummary; retryInMs: number | null };
  /** A frame that is not a JSON object with a string `type` (it is not delivered). */
  invalid_frame: { reason: string };
}

/** Every event `on()` takes: one per server frame `type`, plus the lifecycle events. */
export type StreamEvents = { [K in ServerFrameType]: ServerFrameOf<K> } & StreamLifecycleEvents;
export type StreamEventType = keyof StreamEvents;
export type StreamHandler<K extends StreamEventType> = (event: StreamEvents[K]) => void;

export type StreamState = "idle" | "connecting" | "open" | "ready" | "reconnecting" | "closed";

export interface HippoStreamOptions {
  /**
   * The stream's URL. Default: from `client.baseUrl` when given
   * (`https://h` → `wss://h/api/v1/stream`), else the page's host
   * (`wss://<location.host>/api/v1/stream`).
   */
  url?: string;
  /** A bearer token, sent as the first frame `{"type":"auth","token"}`. Without it the socket relies on the session cookie. */
  token?: string;
  /** The REST client used to catch up (`GET …/messages?after_seq=`). Without it there is no catch-up. */
  client?: HippoClient;
  /** The WebSocket implementation (default `globalThis.WebSocket`; in Node 20 pass the `ws` package's). */
  WebSocket?: typeof WebSocket;
  /** Reconnect delays: full jitter over `initialMs · 2^(attempt-1)`, capped at `maxMs`; reset once a connection stayed up `stableMs`. */
  backoff?: { initialMs?: number; maxMs?: number; stableMs?: number };
  /** How often a `ping` frame is sent (default 25 000). */
  pingIntervalMs?: number;
  /** How long to wait for the `pong` before the connection counts as dead (default 10 000). */
  pongTimeoutMs?: number;
  /** How long a new socket may take to say `ready` before it is dropped and retried (default 15 000; the server allows 10 s for the auth frame). */
  connectTimeoutMs?: number;
  /** Messages per catch-up request (1–500, default 200). */
  catchUpPageSize?: number;
}

/** Close codes after which the stream does not reconnect by itself: authentication failed. */
const AUTH_FAILURE_CODES = new Set([4401, 4403]);
/** Policy violation (flood, oversized frame, too slow a reader): reconnect, but not quickly. */
const POLICY_CODE = 1008;
const OPEN = 1;
const CATCH_UP_CONCURRENCY = 4;

type AnyHandler = (event: unknown) => void;

/** Rethrows a handler's exception outside the stream's own call stack, so it is reported, not swallowed, and the stream goes on. */
function report(e: unknown): void {
  setTimeout(() => {
    throw e;
  }, 0);
}

function conversationOf(frame: ServerFrame): string | null {
  switch (frame.type) {
    case "message.created":
    case "message.updated":
      return frame.message.conversation_id;
    case "message.deleted":
    case "receipt":
      return frame.conversation_id;
    default:
      return null;
  }
}

function defaultUrl(client: HippoClient | undefined): string {
  const here = (globalThis as { location?: { href?: string } }).location?.href;
  if (client && (client.baseUrl !== "" || here)) {
    // A relative or empty baseUrl is taken relative to the page.
    const u = new URL(client.baseUrl || "/", here);
    u.protocol = u.protocol === "http:" ? "ws:" : "wss:";
    u.pathname = "/api/v1/stream";
    u.search = "";
    u.hash = "";
    return u.toString();
  }
  const loc = (globalThis as { location?: { protocol?: string; host?: string } }).location;
  if (loc && typeof loc.host === "string" && loc.host !== "") {
    return `${loc.protocol === "http:" ? "ws:" : "wss:"}//${loc.host}/api/v1/stream`;
  }
  throw new Error("HippoStream: url (or client) is required outside a browser page");
}

export class HippoStream {
  readonly url: string;
  #token: string | null;
  readonly #client: HippoClient | undefined;
  readonly #WebSocket: typeof WebSocket;
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #stableMs: number;
  readonly #pingIntervalMs: number;
  readonly #pongTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #pageSize: number;

  readonly #handlers = new Map<string, Set<AnyHandler>>();
  #ws: WebSocket | null = null;
  /** Incremented for each socket; work of an older socket checks it and stops. */
  #gen = 0;
  #state: StreamState = "idle";
  /** close() was called, the session ended, or authentication failed. */
  #stopped = true;
  #attempt = 0;
  #userId: string | null = null;
  #sessionId: string | null = null;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  #pongTimer: ReturnType<typeof setTimeout> | null = null;
  #stableTimer: ReturnType<typeof setTimeout> | null = null;
  #readyTimer: ReturnType<typeof setTimeout> | null = null;
  #abort: AbortController | null = null;

  /** Highest `seq` of `message.created` delivered, per conversation. */
  readonly #lastSeq = new Map<string, number>();
  /** Live frames held while a conversation catches up (present = catching up or waiting to). */
  readonly #buffers = new Map<string, ServerFrame[]>();
  /** Catch-ups running or queued, by conversation, with the socket generation they belong to. */
  readonly #catchUps = new Map<string, { gen: number; failures: number }>();
  readonly #catchUpQueue: string[] = [];
  #catchUpActive = 0;
  /** Counts `ready` frames (see `readyEpoch`). */
  #epoch = 0;
  /** Conversations noted while ready with history that may predate the socket, checked together. */
  readonly #toVerify = new Set<string>();
  #verifyScheduled = false;

  constructor(opts: HippoStreamOptions = {}) {
    this.url = opts.url ?? defaultUrl(opts.client);
    this.#token = opts.token ?? null;
    this.#client = opts.client;
    const ws = opts.WebSocket ?? (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
    if (!ws) throw new Error("HippoStream: no WebSocket implementation (pass options.WebSocket)");
    this.#WebSocket = ws;
    this.#initialMs = Math.max(1, opts.backoff?.initialMs ?? 500);
    this.#maxMs = Math.max(this.#initialMs, opts.backoff?.maxMs ?? 30_000);
    this.#stableMs = Math.max(0, opts.backoff?.stableMs ?? 10_000);
    this.#pingIntervalMs = Math.max(1, opts.pingIntervalMs ?? 25_000);
    this.#pongTimeoutMs = Math.max(1, opts.pongTimeoutMs ?? 10_000);
    this.#connectTimeoutMs = Math.max(1, opts.connectTimeoutMs ?? 15_000);
    this.#pageSize = Math.min(500, Math.max(1, Math.floor(opts.catchUpPageSize ?? 200)));
  }

  /** Where the connection stands. */
  get state(): StreamState {
    return this.#state;
  }

  /** The signed-in user, from the last `ready` frame. */
  get userId(): string | null {
    return this.#userId;
  }

  /** This connection's session id (other sessions address frames to it), from the last `ready` frame. */
  get sessionId(): string | null {
    return this.#sessionId;
  }

  /**
   * Opens the stream (and keeps it open until `close()`, a `session.ended`
   * frame, or an authentication failure). While a reconnect is pending it
   * reconnects now (call it when the browser comes back `online`); with a
   * socket already open or opening it does nothing.
   */
  connect(): void {
    if (this.#ws) return;
    if (this.#reconnectTimer) {
      clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = null;
    } else {
      this.#attempt = 0;
    }
    this.#stopped = false;
    this.#open();
  }

  /** Closes the stream for good (until `connect()` is called again). */
  close(): void {
    this.#stopped = true;
    if (this.#reconnectTimer) {
      clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = null;
    }
    const ws = this.#ws;
    if (ws) {
      this.#detach(ws);
      try {
        ws.close(1000, "closed by the client");
      } catch (e) {
        report(e);
      }
      this.#gone(1000, "closed by the client");
    } else if (this.#state === "reconnecting") {
      this.#state = "closed";
      this.#emit("closed", { code: 1000, reason: "closed by the client", willReconnect: false });
    }
  }

  /** Sends a frame; `false` when the socket is not open. */
  send(frame: ClientFrame): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  /** The token sent in the `auth` frame of the next connection (`null`: rely on the cookie). */
  setToken(token: string | null): void {
    this.#token = token;
  }

  /** Subscribes to a frame `type` or a lifecycle event; returns the unsubscribe function. */
  on<K extends StreamEventType>(type: K, handler: StreamHandler<K>): () => void {
    let set = this.#handlers.get(type);
    if (!set) {
      set = new Set();
      this.#handlers.set(type, set);
    }
    const h = handler as AnyHandler;
    set.add(h);
    return () => {
      this.#handlers.get(type)?.delete(h);
    };
  }

  /**
   * Where the live stream starts: a number that changes with each
   * connection's `ready`, or `null` while not ready. Read it before fetching
   * history and pass it to `noteSeq`: history fetched while this connection
   * was already ready has no gap before the live frames, so it needs no
   * catch-up.
   */
  get readyEpoch(): number | null {
    return this.#state === "ready" ? this.#epoch : null;
  }

  /**
   * Records that the app has shown `conversationId` up to `seq` (after
   * loading its history): the stream then follows it, catches it up after
   * each reconnection (only if the server has more, see below), and drops
   * live `message.created` at or below it. Lowering is ignored.
   *
   * `asOf` is the `readyEpoch` read before that history was fetched. Noting
   * a new conversation while ready with the current epoch fetches nothing.
   * Without it (or with an older one) the history may predate the socket:
   * the conversations noted in one go are checked with a single
   * `GET /api/v1/conversations`, and only those whose `last_seq` is past
   * the noted seq are paged through. Before `ready`, nothing is fetched
   * until `ready`, which plans the same way.
   */
  noteSeq(conversationId: string, seq: number, asOf?: number | null): void {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError("noteSeq: seq must be a whole number >= 0");
    const last = this.#lastSeq.get(conversationId);
    if (last === undefined || seq > last) this.#lastSeq.set(conversationId, seq);
    if (last !== undefined || this.#state !== "ready") return;
    if (asOf !== undefined && asOf !== null && asOf === this.#epoch) return;
    this.#verifyLater(conversationId);
  }

  /** The highest `seq` of `message.created` delivered (or noted) for a conversation. */
  lastSeq(conversationId: string): number | undefined {
    return this.#lastSeq.get(conversationId);
  }

  /** Stops following a conversation (no catch-up, no duplicate filtering). Buffered frames are delivered. */
  forget(conversationId: string): void {
    this.#lastSeq.delete(conversationId);
    this.#catchUps.delete(conversationId);
    this.#flush(conversationId);
  }

  // ---- connection ----

  #open(): void {
    const gen = ++this.#gen;
    this.#state = "connecting";
    let ws: WebSocket;
    try {
      ws = new this.#WebSocket(this.url);
    } catch (e) {
      // A bad URL or a refused scheme: retrying cannot help.
      this.#stopped = true;
      this.#state = "closed";
      throw e;
    }
    this.#ws = ws;
    this.#readyTimer = setTimeout(() => {
      this.#readyTimer = null;
      if (gen === this.#gen) this.#drop(ws, `no ready within ${this.#connectTimeoutMs} ms`);
    }, this.#connectTimeoutMs);
    ws.onopen = () => {
      if (gen !== this.#gen) return;
      this.#state = "open";
      if (this.#token !== null) ws.send(JSON.stringify({ type: "auth", token: this.#token } satisfies ClientFrame));
      this.#startPing(ws, gen);
      this.#emit("open", { url: this.url });
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (gen !== this.#gen) return;
      this.#receive(ev.data);
    };
    ws.onclose = (ev: CloseEvent) => {
      if (gen !== this.#gen) return;
      this.#detach(ws);
      this.#gone(ev.code, ev.reason);
    };
    // An error is followed by a close event, which carries what there is to know.
    ws.onerror = () => {};
  }

  #detach(ws: WebSocket): void {
    ws.onopen = null;
    ws.onmessage = null;
    ws.onclose = null;
    // Kept as a no-op: closing a socket that is still connecting reports an
    // error, which some implementations (Node's `ws`) throw when unheard.
    ws.onerror = () => {};
  }

  /** The current socket is gone (closed, dead, or closed by us). */
  #gone(code: number, reason: string): void {
    const neverOpened = this.#state === "connecting";
    this.#gen++;
    this.#ws = null;
    this.#clearTimers();
    this.#abort?.abort();
    this.#abort = null;
    if (AUTH_FAILURE_CODES.has(code)) this.#stopped = true;
    const willReconnect = !this.#stopped;
    this.#state = willReconnect ? "reconnecting" : "closed";
    this.#emit("closed", { code, reason, willReconnect });
    // (A `closed` handler may have called connect() or close() already.)
    if (willReconnect && !this.#stopped && !this.#ws) {
      this.#scheduleReconnect(code);
      if (neverOpened && this.#token === null) this.#probeSession();
    }
  }

  /**
   * A refused upgrade looks like any network failure in a browser (1006).
   * With a cookie session, ask the REST API whether the session is still
   * signed in; if it is not (401), stop instead of retrying forever.
   */
  #probeSession(): void {
    const client = this.#client;
    if (!client) return;
    const gen = this.#gen;
    client.api.GET("/api/v1/auth/session").then(
      ({ response }) => {
        if (response.status !== 401 || gen !== this.#gen || this.#ws || this.#stopped) return;
        if (this.#reconnectTimer) {
          clearTimeout(this.#reconnectTimer);
          this.#reconnectTimer = null;
        }
        this.#stopped = true;
        this.#state = "closed";
        this.#emit("closed", { code: 4401, reason: "the session is no longer signed in", willReconnect: false });
      },
      // Unreachable: the reconnect already scheduled tries again.
      () => {},
    );
  }

  #scheduleReconnect(code: number): void {
    if (this.#reconnectTimer) return;
    this.#attempt += 1;
    if (code === POLICY_CODE) this.#attempt = Math.max(this.#attempt, 4);
    const cap = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#attempt - 1, 30));
    // Full jitter; after a policy close, at least half the cap.
    const delayMs = Math.round(code === POLICY_CODE ? cap / 2 + (Math.random() * cap) / 2 : Math.random() * cap);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      if (!this.#stopped) this.#open();
    }, delayMs);
    this.#emit("reconnecting", { attempt: this.#attempt, delayMs });
  }

  #clearTimers(): void {
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    if (this.#pongTimer) clearTimeout(this.#pongTimer);
    if (this.#stableTimer) clearTimeout(this.#stableTimer);
    if (this.#readyTimer) clearTimeout(this.#readyTimer);
    this.#pingTimer = this.#pongTimer = this.#stableTimer = this.#readyTimer = null;
  }

  #startPing(ws: WebSocket, gen: number): void {
    this.#pingTimer = setInterval(() => {
      if (gen !== this.#gen || ws.readyState !== OPEN) return;
      ws.send(JSON.stringify({ type: "ping" } satisfies ClientFrame));
      if (this.#pongTimer) return;
      this.#pongTimer = setTimeout(() => {
        if (gen !== this.#gen) return;
        this.#pongTimer = null;
        this.#drop(ws, `no pong within ${this.#pongTimeoutMs} ms`);
      }, this.#pongTimeoutMs);
    }, this.#pingIntervalMs);
  }

  /** A dead or stuck socket: drop it without waiting for a closing handshake, and reconnect. */
  #drop(ws: WebSocket, reason: string): void {
    this.#detach(ws);
    try {
      const terminate = (ws as unknown as { terminate?: () => void }).terminate;
      if (typeof terminate === "function") terminate.call(ws);
      else ws.close(4000, "unresponsive");
    } catch (e) {
      report(e);
    }
    this.#gone(1006, reason);
  }

  // ---- frames ----

  #receive(data: unknown): void {
    if (typeof data !== "string") {
      this.#emit("invalid_frame", { reason: "a binary frame" });
      return;
    }
    let frame: ServerFrame;
    try {
      const parsed: unknown = JSON.parse(data);
      if (typeof parsed !== "object" || parsed === null || typeof (parsed as { type?: unknown }).type !== "string") {
        this.#emit("invalid_frame", { reason: "not a JSON object with a string type" });
        return;
      }
      frame = parsed as ServerFrame;
    } catch {
      this.#emit("invalid_frame", { reason: "not JSON" });
      return;
    }
    switch (frame.type) {
      case "pong":
        if (this.#pongTimer) {
          clearTimeout(this.#pongTimer);
          this.#pongTimer = null;
        }
        break;
      case "ready":
        this.#userId = frame.user_id;
        this.#sessionId = frame.session_id;
        this.#onReady();
        break;
      case "conversation.updated": {
        // Follow conversations the user joins (from their current last
        // seq), stop following those they left.
        const c = frame.conversation;
        if (this.#userId !== null && !c.member_ids.includes(this.#userId)) this.forget(c.id);
        // (A live frame: its last_seq is current, nothing to fetch.)
        else if (!this.#lastSeq.has(c.id)) this.noteSeq(c.id, c.last_seq, this.readyEpoch);
        break;
      }
      case "session.ended":
        this.#stopped = true;
        break;
      default:
        break;
    }
    const conv = conversationOf(frame);
    if (conv === null) {
      this.#dispatch(frame);
      return;
    }
    const buffer = this.#buffers.get(conv);
    if (buffer) {
      buffer.push(frame);
      return;
    }
    if (frame.type === "message.created") {
      const seq = frame.message.seq;
      const last = this.#lastSeq.get(conv);
      if (last !== undefined && seq <= last) return; // already delivered
      if (last !== undefined && seq > last + 1 && this.#client && this.#state === "ready") {
        // A gap: fetch what is missing first, then this frame.
        this.#buffers.set(conv, [frame]);
        this.#startCatchUp(conv);
        return;
      }
      this.#lastSeq.set(conv, seq);
    }
    this.#dispatch(frame);
  }

  #onReady(): void {
    this.#state = "ready";
    this.#epoch += 1;
    this.#toVerify.clear();
    if (this.#readyTimer) {
      clearTimeout(this.#readyTimer);
      this.#readyTimer = null;
    }
    if (this.#stableTimer) clearTimeout(this.#stableTimer);
    const gen = this.#gen;
    this.#stableTimer = setTimeout(() => {
      if (gen === this.#gen) this.#attempt = 0;
      this.#stableTimer = null;
    }, this.#stableMs);
    if (!this.#client) return;
    this.#abort = new AbortController();
    const ids = [...new Set([...this.#lastSeq.keys(), ...this.#buffers.keys()])].sort();
    for (const id of ids) this.#startCatchUp(id, false);
    if (ids.length === 1) this.#queue(ids);
    else if (ids.length > 1) void this.#plan(ids, this.#gen, this.#abort.signal);
  }

  /**
   * With several conversations to catch up, one `GET /api/v1/conversations`
   * tells which have messages past what was delivered (its `last_seq`);
   * only those, and followed conversations it does not list (break-glass
   * access, say), are paged through. If the list fails, all are.
   */
  async #plan(ids: string[], gen: number, signal: AbortSignal): Promise<void> {
    const client = this.#client;
    if (!client) return;
    let listed: Map<string, number> | null = null;
    try {
      const { data } = await client.api.GET("/api/v1/conversations", { signal });
      if (data) listed = new Map(data.conversations.map((c) => [c.id, c.last_seq]));
    } catch {
      // Aborted (the socket is gone: the next `ready` plans again) or
      // unreachable (each conversation's own request reports it).
    }
    if (gen !== this.#gen || signal.aborted) return;
    const pending: string[] = [];
    for (const id of ids) {
      const job = this.#catchUps.get(id);
      if (!job || job.gen !== gen) continue;
      const serverLast = listed?.get(id);
      if (serverLast !== undefined && serverLast <= (this.#lastSeq.get(id) ?? 0)) {
        this.#catchUps.delete(id);
        this.#flush(id);
        this.#emit("caught_up", { conversation_id: id, count: 0 });
      } else {
        pending.push(id);
      }
    }
    this.#queue(pending);
  }

  /**
   * Holds the conversation's live frames and checks it, with the others
   * noted in the same turn, against one conversation list (see `#plan`).
   */
  #verifyLater(conv: string): void {
    if (!this.#client) return;
    this.#startCatchUp(conv, false);
    this.#toVerify.add(conv);
    if (this.#verifyScheduled) return;
    this.#verifyScheduled = true;
    const gen = this.#gen;
    queueMicrotask(() => {
      this.#verifyScheduled = false;
      const ids = [...this.#toVerify].sort();
      this.#toVerify.clear();
      const signal = this.#abort?.signal;
      // The socket changed meanwhile: the next `ready` catches these up.
      if (gen !== this.#gen || this.#state !== "ready" || !signal || ids.length === 0) return;
      if (ids.length === 1) this.#queue(ids);
      else void this.#plan(ids, gen, signal);
    });
  }

  #queue(ids: string[]): void {
    this.#catchUpQueue.push(...ids);
    this.#pump();
  }

  #dispatch(frame: ServerFrame): void {
    this.#emit(frame.type, frame as never);
  }

  #emit<K extends StreamEventType>(type: K, event: StreamEvents[K]): void {
    const set = this.#handlers.get(type);
    if (!set) return;
    for (const h of [...set]) {
      try {
        h(event);
      } catch (e) {
        report(e);
      }
    }
  }

  // ---- catch-up ----

  /** Holds a conversation's live frames and registers its catch-up (queued now unless `queue` is false). */
  #startCatchUp(conv: string, queue = true): void {
    if (!this.#client) return;
    if (!this.#buffers.has(conv)) this.#buffers.set(conv, []);
    const running = this.#catchUps.get(conv);
    if (running && running.gen === this.#gen) return;
    this.#catchUps.set(conv, { gen: this.#gen, failures: running?.failures ?? 0 });
    if (queue) this.#queue([conv]);
  }

  #pump(): void {
    while (this.#catchUpActive < CATCH_UP_CONCURRENCY && this.#catchUpQueue.length > 0) {
      const conv = this.#catchUpQueue.shift() as string;
      const job = this.#catchUps.get(conv);
      if (!job || job.gen !== this.#gen) continue;
      this.#catchUpActive++;
      void this.#catchUp(conv, job).finally(() => {
        this.#catchUpActive--;
        this.#pump();
      });
    }
  }

  async #catchUp(conv: string, job: { gen: number; failures: number }): Promise<void> {
    const client = this.#client;
    const signal = this.#abort?.signal;
    if (!client || !signal) return;
    const current = () => this.#catchUps.get(conv) === job && job.gen === this.#gen && !signal.aborted;
    let count = 0;
    for (;;) {
      if (!current()) return; // the socket changed: the next `ready` starts over, buffer kept
      const after = this.#lastSeq.get(conv) ?? 0;
      let problem: ProblemSummary | null = null;
      let messages: RestMessage[] = [];
      try {
        const { data, error, response } = await client.api.GET("/api/v1/conversations/{id}/messages", {
          params: { path: { id: conv }, query: { after_seq: after, limit: this.#pageSize } },
          signal,
        });
        if (data) messages = [...data.messages].sort((a, b) => a.seq - b.seq);
        else problem = problemOf(error, response);
      } catch (e) {
        if (!current()) return;
        problem = problemOf(e);
      }
      if (!current()) return;
      if (problem) {
        this.#catchUpFailed(conv, job, problem);
        return;
      }
      for (const m of messages) {
        const last = this.#lastSeq.get(conv) ?? 0;
        if (m.seq <= last) continue;
        this.#lastSeq.set(conv, m.seq);
        count++;
        this.#dispatch({ type: "message.created", message: m });
      }
      if (messages.length < this.#pageSize) break;
    }
    if (this.#catchUps.get(conv) !== job) return;
    this.#catchUps.delete(conv);
    this.#flush(conv);
    this.#emit("caught_up", { conversation_id: conv, count });
  }

  #catchUpFailed(conv: string, job: { gen: number; failures: number }, problem: ProblemSummary): void {
    if (problem.status === 403 || problem.status === 404) {
      this.#emit("catch_up_failed", { conversation_id: conv, problem, retryInMs: null });
      this.forget(conv);
      return;
    }
    job.failures += 1;
    const cap = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(job.failures - 1, 30));
    const retryInMs = Math.round(cap / 2 + (Math.random() * cap) / 2);
    this.#emit("catch_up_failed", { conversation_id: conv, problem, retryInMs });
    setTimeout(() => {
      if (this.#catchUps.get(conv) !== job || job.gen !== this.#gen) return;
      this.#catchUpQueue.push(conv);
      this.#pump();
    }, retryInMs);
  }

  /** Delivers a conversation's buffered live frames, dropping `message.created` already delivered. */
  #flush(conv: string): void {
    const frames = this.#buffers.get(conv);
    this.#buffers.delete(conv);
    if (!frames) return;
    for (const frame of frames) {
      if (frame.type === "message.created") {
        const last = this.#lastSeq.get(conv);
        if (last !== undefined && frame.message.seq <= last) continue;
        this.#lastSeq.set(conv, frame.message.seq);
      }
      this.#dispatch(frame);
    }
  }
}
