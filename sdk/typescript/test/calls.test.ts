import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { HippoStream, callStanding, isOfferer, peerSessionOf, rtcIceServers, sendCallSignal } from "../src/index.ts";
import type { CallLike } from "../src/index.ts";
import { FakeStreamServer, NodeWebSocket, waitFor } from "./helpers.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

function call(state: string, alice: Partial<CallLike["participants"][number]>, bob: Partial<CallLike["participants"][number]>): CallLike {
  return {
    state,
    participants: [
      { user_id: "alice", state: "joined", session_id: "sa", joined_at: "2026-12-01T10:00:00Z", ...alice },
      { user_id: "bob", state: "ringing", session_id: null, joined_at: null, ...bob },
    ],
  };
}

test("callStanding: ringing on every session, joined here, answered elsewhere, out, ended", () => {
  const ringing = call("ringing", {}, {});
  assert.equal(callStanding(ringing, "bob", "sb1"), "ringing");
  assert.equal(callStanding(ringing, "bob", "sb2"), "ringing");
  assert.equal(callStanding(ringing, "alice", "sa"), "joined");
  assert.equal(callStanding(ringing, "alice", "sa2"), "answered_elsewhere", "the caller's other session is not in it");
  assert.equal(callStanding(ringing, "carol", "sc"), "not_invited");
  const answered = call("active", {}, { state: "joined", session_id: "sb1", joined_at: "2026-12-01T10:00:05Z" });
  assert.equal(callStanding(answered, "bob", "sb1"), "joined");
  assert.equal(callStanding(answered, "bob", "sb2"), "answered_elsewhere");
  assert.equal(callStanding(answered, "bob", null), "answered_elsewhere", "no session yet is not this call's session");
  assert.equal(callStanding(call("ended", {}, { state: "declined" }), "bob", "sb1"), "ended");
  assert.equal(callStanding(call("ringing", {}, { state: "declined" }), "bob", "sb1"), "declined");
  assert.equal(callStanding(call("active", { state: "left" }, {}), "alice", "sa"), "left");
});

test("isOfferer: the session that joined first offers; a tie goes to the smaller session id; null until both joined", () => {
  const ringing = call("ringing", {}, {});
  assert.equal(isOfferer(ringing, "alice", "sa"), null);
  const answered = call("active", {}, { state: "joined", session_id: "sb1", joined_at: "2026-12-01T10:00:05Z" });
  assert.equal(isOfferer(answered, "alice", "sa"), true);
  assert.equal(isOfferer(answered, "bob", "sb1"), false);
  assert.equal(isOfferer(answered, "bob", "sb2"), null, "another session of Bob's is not in it");
  const tie = call("active", { session_id: "s-z" }, { state: "joined", session_id: "s-a", joined_at: "2026-12-01T10:00:00Z" });
  assert.equal(isOfferer(tie, "alice", "s-z"), false);
  assert.equal(isOfferer(tie, "bob", "s-a"), true);
  assert.equal(peerSessionOf(answered, "alice"), "sb1");
  assert.equal(peerSessionOf(answered, "bob"), "sa");
  assert.equal(peerSessionOf(ringing, "alice"), null);
});

test("rtcIceServers drops null fields", () => {
  assert.deepEqual(
    rtcIceServers([
      { urls: ["stun:127.0.0.1:3478"], username: null, credential: null },
      { urls: ["turn:127.0.0.1:3478?transport=udp"], username: "1796150217:ab", credential: "c2VjcmV0" },
    ]),
    [{ urls: ["stun:127.0.0.1:3478"] }, { urls: ["turn:127.0.0.1:3478?transport=udp"], username: "1796150217:ab", credential: "c2VjcmV0" }],
  );
});

test("sendCallSignal sends call.signal frames on the stream (an sdp, or a candidate without its null fields)", async () => {
  const server = await FakeStreamServer.start();
  const stream = new HippoStream({ url: server.url, WebSocket: NodeWebSocket });
  cleanups.push(() => server.stop());
  cleanups.push(() => stream.close());
  assert.equal(sendCallSignal(stream, "call1", "sb1", { sdp: { type: "offer", sdp: "v=0" } }), false, "nothing sent before the socket is open");
  stream.connect();
  const conn = await server.connection(0);
  conn.send({ type: "ready", user_id: "alice", session_id: "sa" });
  await waitFor(() => stream.state === "ready", "ready");
  assert.equal(sendCallSignal(stream, "call1", "sb1", { sdp: { type: "offer", sdp: "v=0" } }), true);
  assert.deepEqual(await conn.next(), { type: "call.signal", call_id: "call1", to_session: "sb1", sdp: { type: "offer", sdp: "v=0" } });
  sendCallSignal(stream, "call1", "sb1", { candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0, usernameFragment: null } });
  assert.deepEqual(await conn.next(), {
    type: "call.signal",
    call_id: "call1",
    to_session: "sb1",
    candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0 },
  });
  // Frames from the server arrive by type.
  const got: unknown[] = [];
  (stream.on as unknown as (t: string, h: (f: unknown) => void) => void)("call.signal", (f) => got.push(f));
  const signal = { type: "call.signal", call_id: "call1", from_session: "sb1", sdp: { type: "answer", sdp: "v=0" } };
  conn.send(signal);
  await waitFor(() => got.length === 1, "the call.signal frame");
  assert.deepEqual(got[0], signal);
});
