import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { createHippoClient, HippoStream } from "../src/index.ts";
import type { HippoStreamOptions, StreamLifecycleEvents } from "../src/index.ts";
import { FakeApi, FakeStreamServer, NodeWebSocket, message, sleep, waitFor } from "./helpers.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function setup(opts: Partial<HippoStreamOptions> = {}) {
  const server = await FakeStreamServer.start();
  const stream = new HippoStream({
    url: server.url,
    WebSocket: NodeWebSocket,
    backoff: { initialMs: 20, maxMs: 80, stableMs: 10_000 },
    ...opts,
  });
  cleanups.push(() => server.stop());
  cleanups.push(() => stream.close());
  const closes: StreamLifecycleEvents["closed"][] = [];
  const reconnects: StreamLifecycleEvents["reconnecting"][] = [];
  stream.on("closed", (e) => closes.push(e));
  stream.on("reconnecting", (e) => reconnects.push(e));
  return { server, stream, closes, reconnects };
}

const ready = { type: "ready", user_id: "u-me", session_id: "s-1" };

test("with a token, the auth frame is the first frame; then ready", async () => {
  const { server, stream } = await setup({ token: "hpo_secret" });
  const readies: unknown[] = [];
  stream.on("ready", (f) => readies.push(f));
  let opened = 0;
  stream.on("open", () => opened++);
  stream.connect();
  const conn = await server.connection(0);
  assert.deepEqual(await conn.next(), { type: "auth", token: "hpo_secret" });
  conn.send(ready);
  await waitFor(() => readies.length === 1, "ready");
  assert.deepEqual(readies[0], ready);
  assert.equal(opened, 1);
  assert.equal(stream.state, "ready");
  assert.equal(stream.send({ type: "typing", conversation_id: "c1" }), true);
  assert.deepEqual(await conn.next(), { type: "typing", conversation_id: "c1" });
  assert.equal(conn.received.length, 2, "nothing else was sent");
});

test("without a token, nothing is sent first (the cookie authenticates)", async () => {
  const { server, stream } = await setup();
  stream.connect();
  const conn = await server.connection(0);
  conn.send(ready);
  await waitFor(() => stream.state === "ready", "ready");
  stream.send({ type: "ping" });
  assert.deepEqual(await conn.next(), { type: "ping" }, "the first frame is the app's, not an auth frame");
});

test("frames are dispatched by type; unsubscribe stops delivery; error frames keep the socket open", async () => {
  const { server, stream, closes } = await setup();
  const seen: string[] = [];
  const offReceipt = stream.on("receipt", (f) => seen.push(`receipt ${f.message_id} ${f.user_id} ${f.up_to_seq}`));
  stream.on("message.created", (f) => seen.push(`created ${f.message.conversation_id}/${f.message.seq} ${f.message.body}`));
  stream.on("message.deleted", (f) => seen.push(`deleted ${f.message_id}`));
  stream.on("typing", (f) => seen.push(`typing ${f.user_id}`));
  stream.on("error", (f) => seen.push(`error ${f.code} ${f.detail}`));
  stream.on("conversation.updated", (f) => seen.push(`conversation ${f.conversation.id}`));
  stream.connect();
  const conn = await server.connection(0);
  conn.send(ready);
  conn.send({ type: "message.created", message: message("c1", 1, "hello") });
  conn.send({
    type: "receipt",
    conversation_id: "c1",
    message_id: "c1-m1",
    up_to_seq: 1,
    user_id: "u-peer",
    delivered_at: "2026-01-01T00:00:01Z",
    read_at: null,
  });
  conn.send({ type: "typing", conversation_id: "c1", user_id: "u-peer" });
  conn.send({ type: "error", code: "validation_failed", detail: "unknown variant `launch`" });
  conn.send({
    type: "conversation.updated",
    conversation: { id: "c1", kind: "group", title: "t", member_ids: [], members: [], created_at: "2026-01-01T00:00:00Z", last_seq: 1 },
  });
  await waitFor(() => seen.length === 5, "five frames");
  assert.deepEqual(seen, [
    "created c1/1 hello",
    "receipt c1-m1 u-peer 1",
    "typing u-peer",
    "error validation_failed unknown variant `launch`",
    "conversation c1",
  ]);
  offReceipt();
  conn.send({
    type: "receipt",
    conversation_id: "c1",
    message_id: "c1-m1",
    up_to_seq: 1,
    user_id: "u-peer",
    delivered_at: null,
    read_at: "2026-01-01T00:00:02Z",
  });
  conn.send({ type: "message.deleted", conversation_id: "c1", message_id: "c1-m1" });
  await waitFor(() => seen.length === 6, "the deletion");
  assert.equal(seen[5], "deleted c1-m1", "the unsubscribed receipt handler was not called");
  assert.equal(closes.length, 0, "an error frame does not close the stream");
  assert.equal(stream.send({ type: "ping" }), true);
});

test("a dropped socket is reopened with growing, capped, jittered delays", async () => {
  const { server, stream, reconnects, closes } = await setup({ backoff: { initialMs: 20, maxMs: 60, stableMs: 10_000 } });
  // The first four connections are dropped right after ready; the fifth stays.
  server.onConnection = (c) => {
    c.send(ready);
    if (server.conns.length <= 4) setTimeout(() => c.socket.terminate(), 5);
  };
  let readies = 0;
  stream.on("ready", () => readies++);
  stream.connect();
  await server.connection(4, 5000);
  await waitFor(() => readies === 5, "the fifth ready");
  assert.deepEqual(
    reconnects.map((r) => r.attempt),
    [1, 2, 3, 4],
  );
  const caps = [20, 40, 60, 60];
  reconnects.forEach((r, i) => {
    assert.ok(r.delayMs >= 0 && r.delayMs <= (caps[i] as number), `delay ${i + 1} is ${r.delayMs}, cap ${caps[i]}`);
  });
  assert.equal(closes.length, 4);
  assert.ok(closes.every((c) => c.willReconnect && c.code === 1006), JSON.stringify(closes));
  assert.equal(stream.state, "ready");
});

test("the backoff resets after a stable connection", async () => {
  const { server, stream, reconnects } = await setup({ backoff: { initialMs: 20, maxMs: 1000, stableMs: 50 } });
  server.onConnection = (c) => c.send(ready);
  stream.connect();
  (await server.connection(0)).socket.terminate();
  (await server.connection(1)).socket.terminate();
  const third = await server.connection(2);
  await waitFor(() => stream.state === "ready", "ready");
  await sleep(120); // longer than stableMs
  third.socket.terminate();
  await server.connection(3);
  assert.deepEqual(
    reconnects.map((r) => r.attempt),
    [1, 2, 1],
  );
});

test("session.ended reaches the app and the stream does not reconnect", async () => {
  const { server, stream, closes, reconnects } = await setup();
  const ended: string[] = [];
  stream.on("session.ended", (f) => ended.push(f.reason));
  stream.connect();
  const conn = await server.connection(0);
  conn.send(ready);
  conn.send({ type: "session.ended", reason: "logout" });
  conn.socket.close(1000, "session ended");
  await waitFor(() => closes.length === 1, "closed");
  assert.deepEqual(ended, ["logout"]);
  assert.deepEqual(closes[0], { code: 1000, reason: "session ended", willReconnect: false });
  await sleep(200); // ten times the initial backoff
  assert.equal(server.conns.length, 1, "no second connection");
  assert.equal(reconnects.length, 0);
  assert.equal(stream.state, "closed");
});

test("an authentication failure (4401) is not retried in a loop", async () => {
  const { server, stream, closes } = await setup({ token: "hpo_wrong" });
  server.onConnection = (c) => {
    c.send({ type: "error", code: "unauthenticated" });
    c.socket.close(4401, "unauthenticated");
  };
  stream.connect();
  await waitFor(() => closes.length === 1, "closed");
  assert.deepEqual(closes[0], { code: 4401, reason: "unauthenticated", willReconnect: false });
  await sleep(200);
  assert.equal(server.conns.length, 1);
});

test("a policy close (1008) reconnects, but not at once", async () => {
  const { server, stream, reconnects } = await setup({ backoff: { initialMs: 20, maxMs: 1000, stableMs: 10_000 } });
  server.onConnection = (c) => {
    c.send(ready);
    if (server.conns.length === 1) c.socket.close(1008, "too many frames");
  };
  stream.connect();
  await server.connection(1, 5000);
  assert.equal(reconnects.length, 1);
  // attempt raised to 4: cap 160 ms, at least half of it
  assert.equal(reconnects[0]?.attempt, 4);
  assert.ok((reconnects[0]?.delayMs ?? 0) >= 80, `delay ${reconnects[0]?.delayMs}`);
});

test("close() stops the stream for good", async () => {
  const { server, stream, closes } = await setup();
  server.onConnection = (c) => c.send(ready);
  stream.connect();
  const conn = await server.connection(0);
  await waitFor(() => stream.state === "ready", "ready");
  stream.close();
  assert.deepEqual(closes, [{ code: 1000, reason: "closed by the client", willReconnect: false }]);
  await conn.closed;
  await sleep(100);
  assert.equal(server.conns.length, 1);
  assert.equal(stream.send({ type: "ping" }), false, "send() on a closed stream");
});

test("a missing pong counts as a dead connection: it is dropped and reopened", async () => {
  const { server, stream, closes } = await setup({ pingIntervalMs: 30, pongTimeoutMs: 200 });
  // The first connection never answers pings; the second does.
  server.onConnection = (c) => {
    const answer = server.conns.length > 1;
    c.send(ready);
    c.socket.on("message", (data) => {
      if (answer && JSON.parse(data.toString()).type === "ping") c.send({ type: "pong" });
    });
  };
  stream.connect();
  const first = await server.connection(0);
  await waitFor(() => first.received.some((f) => (f as { type: string }).type === "ping"), "a ping");
  const second = await server.connection(1, 3000);
  assert.equal(closes.length, 1);
  assert.equal(closes[0]?.code, 1006);
  assert.equal(closes[0]?.willReconnect, true);
  assert.match(closes[0]?.reason ?? "", /no pong/);
  await first.closed; // the dead socket was dropped, not left open
  // Answered pings keep the connection.
  await waitFor(() => second.received.filter((f) => (f as { type: string }).type === "ping").length >= 4, "four pings");
  assert.equal(server.conns.length, 2);
  assert.equal(closes.length, 1);
});

test("catch-up after (re)connecting fills the gap once, in order, while live frames arrive", async () => {
  const api = new FakeApi();
  api.add("c1", 10);
  const client = createHippoClient({ baseUrl: "https://hippo.test", token: "hpo_t", fetch: api.fetch });
  const { server, stream } = await setup({ client, catchUpPageSize: 3, token: "hpo_t" });
  const seen: string[] = [];
  stream.on("message.created", (f) => seen.push(`${f.message.conversation_id}:${f.message.seq}`));
  stream.on("message.updated", (f) => seen.push(`updated ${f.message.conversation_id}:${f.message.seq}`));
  stream.on("message.deleted", (f) => seen.push(`deleted ${f.message_id}`));
  stream.on("typing", (f) => seen.push(`typing ${f.conversation_id}`));
  const caught: StreamLifecycleEvents["caught_up"][] = [];
  stream.on("caught_up", (e) => caught.push(e));

  // The app loaded c1's history up to seq 3.
  stream.noteSeq("c1", 3);
  assert.equal(stream.lastSeq("c1"), 3);

  // Hold the REST answers until live frames are in.
  let release!: () => void;
  api.gate = new Promise<void>((r) => (release = r));
  stream.connect();
  const conn = await server.connection(0);
  assert.equal((await conn.next() as { type: string }).type, "auth");
  conn.send(ready);
  await waitFor(() => api.messageRequests().length === 1, "the first catch-up request");
  // Live, during catch-up: a duplicate of 5, then 11, an edit of 4, 12, and typing (not buffered).
  api.add("c1", 12);
  conn.send({ type: "message.created", message: message("c1", 5) });
  conn.send({ type: "message.created", message: message("c1", 11) });
  conn.send({ type: "message.updated", message: message("c1", 4, "edited") });
  conn.send({ type: "message.created", message: message("c1", 12) });
  conn.send({ type: "typing", conversation_id: "c1", user_id: "u-peer" });
  await waitFor(() => seen.length === 1, "typing passes through");
  assert.deepEqual(seen, ["typing c1"], "conversation frames wait for catch-up");
  release();
  api.gate = null;
  await waitFor(() => caught.length === 1, "caught up");
  assert.deepEqual(seen, [
    "typing c1",
    "c1:4",
    "c1:5",
    "c1:6",
    "c1:7",
    "c1:8",
    "c1:9",
    "c1:10",
    "c1:11",
    "c1:12",
    "updated c1:4",
  ]);
  assert.deepEqual(caught[0], { conversation_id: "c1", count: 9 });
  assert.deepEqual(
    api.messageRequests().map((u) => `${u.searchParams.get("after_seq")}/${u.searchParams.get("limit")}`),
    ["3/3", "6/3", "9/3", "12/3"],
  );
  assert.equal(api.requests[0]?.headers.get("Authorization"), "Bearer hpo_t");
  assert.equal(stream.lastSeq("c1"), 12);

  // Live after catch-up: delivered at once; duplicates dropped; deletions never dropped.
  conn.send({ type: "message.created", message: message("c1", 12) });
  conn.send({ type: "message.created", message: message("c1", 13) });
  conn.send({ type: "message.deleted", conversation_id: "c1", message_id: "c1-m2" });
  api.add("c1", 13);
  await waitFor(() => seen.length === 13, "13 and the deletion");
  assert.deepEqual(seen.slice(11), ["c1:13", "deleted c1-m2"]);

  // The socket drops; 14 and 15 are sent meanwhile; after the reconnect
  // they arrive once (15 also live, before the catch-up answers).
  api.add("c1", 15);
  api.gate = new Promise<void>((r) => (release = r));
  conn.socket.terminate();
  const again = await server.connection(1);
  await again.next();
  again.send(ready);
  await waitFor(() => api.messageRequests().length === 5, "the catch-up after the reconnect");
  again.send({ type: "message.created", message: message("c1", 15) });
  again.send({ type: "message.created", message: message("c1", 16) });
  api.add("c1", 16);
  await sleep(20);
  assert.equal(seen.length, 13, "held during catch-up");
  release();
  api.gate = null;
  await waitFor(() => caught.length === 2, "caught up again");
  assert.deepEqual(seen.slice(13), ["c1:14", "c1:15", "c1:16"]);
  assert.deepEqual(caught[1], { conversation_id: "c1", count: 3 });

  const seqs = seen.filter((s) => /^c1:\d+$/.test(s)).map((s) => Number(s.slice(3)));
  assert.deepEqual(seqs, [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], "every message once, in order");
});

test("a gap in live frames is filled from the REST API before the frame", async () => {
  const api = new FakeApi();
  api.add("c2", 3);
  const client = createHippoClient({ baseUrl: "https://hippo.test", fetch: api.fetch });
  const { server, stream } = await setup({ client });
  const seen: number[] = [];
  stream.on("message.created", (f) => seen.push(f.message.seq));
  stream.noteSeq("c2", 3);
  stream.connect();
  const conn = await server.connection(0);
  conn.send(ready);
  await waitFor(() => api.messageRequests().length === 1, "catch-up at ready");
  await sleep(20);
  api.add("c2", 6);
  conn.send({ type: "message.created", message: message("c2", 6) });
  await waitFor(() => seen.length === 3, "4, 5, 6");
  assert.deepEqual(seen, [4, 5, 6]);
  assert.equal(api.messageRequests()[1]?.searchParams.get("after_seq"), "3");
});

test("a failed catch-up is retried, keeping live frames; a conversation that is gone (404) is dropped", async () => {
  const api = new FakeApi();
  api.add("c3", 2);
  const client = createHippoClient({ baseUrl: "https://hippo.test", fetch: api.fetch });
  const { server, stream } = await setup({ client, backoff: { initialMs: 20, maxMs: 40, stableMs: 10_000 } });
  const seen: string[] = [];
  const failed: StreamLifecycleEvents["catch_up_failed"][] = [];
  stream.on("message.created", (f) => seen.push(`${f.message.conversation_id}:${f.message.seq}`));
  stream.on("catch_up_failed", (e) => failed.push(e));
  stream.noteSeq("c3", 1);
  api.failures.push(500);
  stream.connect();
  const conn = await server.connection(0);
  conn.send(ready);
  await waitFor(() => failed.length === 1, "the failure");
  assert.equal(failed[0]?.problem.status, 500);
  assert.ok((failed[0]?.retryInMs ?? 0) > 0);
  conn.send({ type: "message.created", message: message("c3", 3) });
  api.add("c3", 3);
  await waitFor(() => seen.length === 2, "2 then 3");
  assert.deepEqual(seen, ["c3:2", "c3:3"]);

  // Not a member any more: 404, the stream stops following it.
  stream.noteSeq("gone", 7);
  await waitFor(() => failed.length === 2, "the 404");
  assert.equal(failed[1]?.conversation_id, "gone");
  assert.equal(failed[1]?.retryInMs, null);
  assert.equal(stream.lastSeq("gone"), undefined);
});

test("conversation.updated follows conversations the user joins and forgets those they leave", async () => {
  const api = new FakeApi();
  api.add("c4", 2);
  const client = createHippoClient({ baseUrl: "https://hippo.test", fetch: api.fetch });
  const { server, stream } = await setup({ client });
  const seen: number[] = [];
  stream.on("message.created", (f) => seen.push(f.message.seq));
  stream.connect();
  const conn = await server.connection(0);
  conn.send(ready);
  await waitFor(() => stream.state === "ready", "ready");
  assert.equal(stream.userId, "u-me");
  assert.equal(stream.sessionId, "s-1");
  const conversation = (member_ids: string[], last_seq: number) => ({
    type: "conversation.updated",
    conversation: { id: "c4", kind: "group", title: null, member_ids, members: [], created_at: "2026-01-01T00:00:00Z", last_seq },
  });
  conn.send(conversation(["u-peer", "u-me"], 2));
  await waitFor(() => stream.lastSeq("c4") === 2, "followed from last_seq");
  await sleep(30);
  assert.equal(api.requests.length, 0, "a live frame's last_seq is current: nothing to fetch");
  conn.send({ type: "message.created", message: message("c4", 2) });
  conn.send({ type: "message.created", message: message("c4", 3) });
  await waitFor(() => seen.length === 1, "3");
  assert.deepEqual(seen, [3], "seq 2 was already there when the user joined");
  conn.send(conversation(["u-peer"], 3));
  await waitFor(() => stream.lastSeq("c4") === undefined, "forgotten after leaving");
});

test("a socket that never says ready is dropped and retried", async () => {
  const { server, stream, closes } = await setup({ connectTimeoutMs: 300 });
  server.onConnection = (c) => {
    if (server.conns.length > 1) c.send(ready);
  };
  stream.connect();
  const first = await server.connection(0);
  await server.connection(1);
  await waitFor(() => stream.state === "ready", "ready on the second socket");
  assert.equal(closes.length, 1);
  assert.deepEqual(closes[0], { code: 1006, reason: "no ready within 300 ms", willReconnect: true });
  await first.closed;
});

test("connect() during a pending reconnect reconnects now", async () => {
  const { server, stream, reconnects } = await setup({ backoff: { initialMs: 5000, maxMs: 5000, stableMs: 10_000 } });
  server.onConnection = (c) => c.send(ready);
  stream.connect();
  (await server.connection(0)).socket.terminate();
  await waitFor(() => reconnects.length === 1, "reconnecting");
  assert.equal(stream.state, "reconnecting");
  stream.connect();
  await server.connection(1, 1000);
  await waitFor(() => stream.state === "ready", "ready");
  stream.connect(); // already open: nothing
  await sleep(50);
  assert.equal(server.conns.length, 2);
});

test("a refused upgrade with a cookie session that has ended stops the retries", async () => {
  const api = new FakeApi();
  const client = createHippoClient({ baseUrl: "https://hippo.test", csrfToken: "c", fetch: api.fetch });
  const { server, stream, closes } = await setup({ client, backoff: { initialMs: 50, maxMs: 100, stableMs: 10_000 } });
  server.refuse = 403; // a foreign origin, say: the session is alive, so it keeps trying
  stream.connect();
  await waitFor(() => server.attempts >= 3, "three attempts");
  assert.ok(closes.every((c) => c.willReconnect && c.code === 1006), JSON.stringify(closes));
  const probes = () => api.requests.filter((r) => new URL(r.url).pathname === "/api/v1/auth/session").length;
  assert.ok(probes() >= 2, "the session was checked");
  server.refuse = 401;
  api.sessionAlive = false; // the cookie expired
  await waitFor(() => closes.some((c) => !c.willReconnect), "the stream gives up");
  assert.deepEqual(closes[closes.length - 1], { code: 4401, reason: "the session is no longer signed in", willReconnect: false });
  assert.equal(stream.state, "closed");
  const attempts = server.attempts;
  await sleep(300);
  assert.equal(server.attempts, attempts, "no more attempts");
});

test("the default URL comes from the client's baseUrl", () => {
  const ws = (baseUrl: string) =>
    new HippoStream({ client: createHippoClient({ baseUrl, fetch: new FakeApi().fetch }), WebSocket: NodeWebSocket }).url;
  assert.equal(ws("https://hippo.example.org:8443"), "wss://hippo.example.org:8443/api/v1/stream");
  assert.equal(ws("http://127.0.0.1:8080/"), "ws://127.0.0.1:8080/api/v1/stream");
  assert.throws(() => new HippoStream({ WebSocket: NodeWebSocket }), /url \(or client\) is required/);
});

test("with several conversations, one list request decides which need paging", async () => {
  const api = new FakeApi();
  api.add("ca", 5); // new messages after 3
  api.add("cb", 2); // nothing new
  api.add("cc", 4); // not in the list (break-glass), paged anyway
  api.unlisted.add("cc");
  const client = createHippoClient({ baseUrl: "https://hippo.test", fetch: api.fetch });
  const { server, stream } = await setup({ client });
  const seen: string[] = [];
  stream.on("message.created", (f) => seen.push(`${f.message.conversation_id}:${f.message.seq}`));
  const caught: string[] = [];
  stream.on("caught_up", (e) => caught.push(`${e.conversation_id}:${e.count}`));
  stream.noteSeq("ca", 3);
  stream.noteSeq("cb", 2);
  stream.noteSeq("cc", 4);
  stream.connect();
  (await server.connection(0)).send(ready);
  await waitFor(() => caught.length === 3, "all three caught up");
  assert.deepEqual(caught.sort(), ["ca:2", "cb:0", "cc:0"]);
  assert.deepEqual(seen, ["ca:4", "ca:5"]);
  const paths = api.requests.map((r) => new URL(r.url).pathname).sort();
  assert.deepEqual(paths, ["/api/v1/conversations", "/api/v1/conversations/ca/messages", "/api/v1/conversations/cc/messages"]);
});

test("noting 50 conversations while ready fetches no messages (history fetched while ready: no request at all)", async () => {
  const api = new FakeApi();
  for (let i = 0; i < 50; i++) api.add(`n${String(i).padStart(2, "0")}`, 3);
  const client = createHippoClient({ baseUrl: "https://hippo.test", fetch: api.fetch });
  const { server, stream } = await setup({ client });
  const seen: string[] = [];
  stream.on("message.created", (f) => seen.push(`${f.message.conversation_id}:${f.message.seq}`));
  stream.connect();
  const conn = await server.connection(0);
  conn.send(ready);
  await waitFor(() => stream.state === "ready", "ready");
  await sleep(20);
  assert.equal(api.requests.length, 0, "nothing followed yet: nothing to catch up");

  // The app's list was fetched while this connection was ready.
  const epoch = stream.readyEpoch;
  assert.equal(typeof epoch, "number");
  for (const id of api.store.keys()) stream.noteSeq(id, 3, epoch);
  await sleep(50);
  assert.equal(api.requests.length, 0, "no request: the list's last_seq is current");

  // Live frames still flow, without duplicates.
  conn.send({ type: "message.created", message: message("n07", 3) });
  conn.send({ type: "message.created", message: message("n07", 4) });
  await waitFor(() => seen.length === 1, "n07:4");
  assert.deepEqual(seen, ["n07:4"]);
});

test("history that may predate the socket is checked with one list request, then only what is behind is paged", async () => {
  const api = new FakeApi();
  for (let i = 0; i < 50; i++) api.add(`p${String(i).padStart(2, "0")}`, 3);
  const client = createHippoClient({ baseUrl: "https://hippo.test", fetch: api.fetch });
  const { server, stream } = await setup({ client });
  const seen: string[] = [];
  stream.on("message.created", (f) => seen.push(`${f.message.conversation_id}:${f.message.seq}`));
  const caught: string[] = [];
  stream.on("caught_up", (e) => caught.push(`${e.conversation_id}:${e.count}`));

  // The app read the epoch (null: not ready yet) and fetched its list…
  const epoch = stream.readyEpoch;
  assert.equal(epoch, null);
  stream.connect();
  const conn = await server.connection(0);
  conn.send(ready);
  await waitFor(() => stream.state === "ready", "ready");
  // …a message was sent before the socket was live, and the list arrives after ready.
  api.add("p09", 4);
  for (const id of api.store.keys()) stream.noteSeq(id, 3, epoch);
  await waitFor(() => caught.length === 50, "all checked");
  const paths = api.requests.map((r) => new URL(r.url).pathname);
  assert.deepEqual(paths, ["/api/v1/conversations", "/api/v1/conversations/p09/messages"]);
  assert.deepEqual(seen, ["p09:4"]);
  assert.ok(caught.includes("p09:1"));

  // After a reconnect, one list request again, and only conversations that moved are paged.
  api.requests.length = 0;
  conn.socket.close(1012, "restart");
  const conn2 = await server.connection(1);
  api.add("p20", 5);
  caught.length = 0;
  conn2.send(ready);
  await waitFor(() => caught.length === 50, "all caught up after the reconnect");
  const after = api.requests.map((r) => new URL(r.url).pathname);
  assert.deepEqual(after, ["/api/v1/conversations", "/api/v1/conversations/p20/messages"]);
  assert.deepEqual(seen, ["p09:4", "p20:4", "p20:5"]);
});
