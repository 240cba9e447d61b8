// Group calls through hippo's own SFU (`--media-listen` on a free 127.0.0.1
// UDP port): three clinicians in a group conversation; a video call rings
// both others, both accept, and each of the three sees the other two's
// moving pictures, each labelled with its sender's name; when one hangs up
// the other two go on; the last to leave ends it.

import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { suite } from "../lib/suite.mjs";
import { MEDIA_ARGS } from "../lib/browser.mjs";
import { signIn, conversationLink, eventually } from "../lib/ui.mjs";
import { callUi, callStatus, expectMovingVideo, serverCall } from "../lib/calls.mjs";

/** A free UDP port on 127.0.0.1. */
async function freeUdpPort() {
  return await new Promise((res, rej) => {
    const s = createSocket("udp4");
    s.on("error", rej);
    s.bind(0, "127.0.0.1", () => {
      const port = s.address().port;
      s.close(() => res(port));
    });
  });
}

suite(
  "group calls through the SFU",
  { "require-mfa": "false" },
  (s) => {
    const srv = s.server;
    /** @type {Record<string, import("../lib/server.mjs").User>} */
    const users = {};
    const TITLE = "Ward 4 huddle";

    s.test("arrange: three clinicians and their group conversation", async () => {
      users.alice = await srv.createUser({ username: "alice", displayName: "Alice Adams" });
      users.bob = await srv.createUser({ username: "bob", displayName: "Bob Baker" });
      users.carol = await srv.createUser({ username: "carol", displayName: "Carol Chen" });
      const token = await srv.token(users.alice);
      await srv.api("POST", "/api/v1/conversations", {
        token,
        json: { kind: "group", title: TITLE, member_ids: [users.bob.id, users.carol.id] },
      });
    });

    s.test(
      "a group video call: everyone sees the other two; one hangs up and the others go on; the last one ends it",
      async (t) => {
        const a = await t.newContext("alice");
        const b = await t.newContext("bob");
        const c = await t.newContext("carol");
        for (const [ctx, u] of /** @type {const} */ ([[a, users.alice], [b, users.bob], [c, users.carol]])) {
          await signIn(ctx.page, srv.origin, u);
        }
        await conversationLink(a.page, TITLE).click();
        const A = callUi(a.page);
        const B = callUi(b.page);
        const C = callUi(c.page);
        await A.startVideo.click();
        await A.panel(TITLE).waitFor();
        for (const x of [B, C]) await x.accept.click();
        const calls = await srv.api("GET", "/api/v1/calls", { token: await srv.token(users.alice) });
        assert.equal(calls.calls.length, 1);
        assert.equal(calls.calls[0].topology, "sfu", "three people: through the SFU");
        const callId = calls.calls[0].id;

        await expectMovingVideo(A.remoteVideo("Bob Baker"), "Alice sees Bob");
        await expectMovingVideo(A.remoteVideo("Carol Chen"), "Alice sees Carol");
        await expectMovingVideo(B.remoteVideo("Alice Adams"), "Bob sees Alice");
        await expectMovingVideo(B.remoteVideo("Carol Chen"), "Bob sees Carol");
        await expectMovingVideo(C.remoteVideo("Alice Adams"), "Carol sees Alice");
        await expectMovingVideo(C.remoteVideo("Bob Baker"), "Carol sees Bob");
        await eventually(async () => (await callStatus(b.page, TITLE)) === "Connected", "Bob's panel to say Connected");

        await A.hangUp.click();
        await A.anyPanel.waitFor({ state: "hidden" });
        // Bob and Carol go on, without Alice's picture.
        await eventually(async () => (await B.remoteVideo("Alice Adams").count()) === 0, "Alice's video to leave Bob's panel");
        await expectMovingVideo(B.remoteVideo("Carol Chen"), "Bob still sees Carol");
        await expectMovingVideo(C.remoteVideo("Bob Baker"), "Carol still sees Bob");
        assert.equal((await serverCall(srv, await srv.token(users.bob), callId)).state, "active");

        await B.hangUp.click();
        await C.hangUp.click();
        await C.anyPanel.waitFor({ state: "hidden" });
        await eventually(async () => (await serverCall(srv, await srv.token(users.carol), callId)).state === "ended", "the call to end");
      },
      { timeout: 120_000 },
    );
  },
  {
    browserArgs: MEDIA_ARGS,
    beforeStart: async (s) => {
      s.server.flags["media-listen"] = `127.0.0.1:${await freeUdpPort()}`;
    },
  },
);
