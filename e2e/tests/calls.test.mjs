// Two-party calls peer to peer: a video call rings on every session of the
// callee, one session answers (the other stops ringing), both sides see the
// other's moving picture over a direct connection, mute and camera toggle,
// hang up ends it on both sides; a declined audio call ends for the caller;
// a reload during a call hangs up; pressing Start while a call rings joins it. The browsers use Chromium's
// fake camera and microphone; all traffic stays on this machine.

import assert from "node:assert/strict";
import { suite } from "../lib/suite.mjs";
import { MEDIA_ARGS } from "../lib/browser.mjs";
import { ui, signIn, conversationLink, eventually } from "../lib/ui.mjs";
import { callUi, callStatus, expectMovingVideo, expectLink, serverCall } from "../lib/calls.mjs";
import { assertAccessible } from "../lib/axe.mjs";
import { assertNoPhiInStorage } from "../lib/storage.mjs";

suite(
  "calls",
  { "require-mfa": "false" },
  (s) => {
    const srv = s.server;
    /** @type {Record<string, import("../lib/server.mjs").User>} */
    const users = {};
    let conversationId = "";

    /** @param {import("../lib/server.mjs").User} u */
    async function liveCalls(u) {
      const r = await srv.api("GET", "/api/v1/calls", { token: await srv.token(u) });
      return /** @type {any[]} */ (r.calls);
    }

    s.test("arrange: two clinicians and their conversation", async () => {
      users.alice = await srv.createUser({ username: "alice", displayName: "Alice Adams" });
      users.bob = await srv.createUser({ username: "bob", displayName: "Bob Baker" });
      const token = await srv.token(users.alice);
      const c = await srv.api("POST", "/api/v1/conversations", { token, json: { kind: "direct", member_ids: [users.bob.id] } });
      conversationId = c.id;
    });

    s.test(
      "a video call rings on both of Bob's sessions; one answers, the other stops; both see moving video; hang up ends it for both",
      async (t) => {
        const a = await t.newContext("alice");
        const b1 = await t.newContext("bob (first session)");
        const b2 = await t.newContext("bob (second session)");
        await signIn(a.page, srv.origin, users.alice);
        await signIn(b1.page, srv.origin, users.bob);
        await signIn(b2.page, srv.origin, users.bob);
        await conversationLink(a.page, "Bob Baker").click();
        const A = callUi(a.page);
        const B1 = callUi(b1.page);
        const B2 = callUi(b2.page);

        await A.startVideo.click();
        await A.panel("Bob Baker").waitFor();
        await eventually(async () => /^Calling Bob Baker/.test(await callStatus(a.page, "Bob Baker")), "Alice's panel to say Calling Bob Baker…");
        // Rings on every session of Bob's, naming the caller.
        for (const p of [b1.page, b2.page]) {
          const d = callUi(p).incoming;
          await d.waitFor();
          assert.match(await d.innerText(), /Alice Adams is calling you/);
          assert.equal(await d.getAttribute("aria-modal"), "true");
        }
        await assertAccessible(b2.page, "incoming call");
        const ringing = await liveCalls(users.bob);
        assert.equal(ringing.length, 1, "the server has one live call for Bob");
        assert.equal(ringing[0].state, "ringing");
        assert.equal(ringing[0].conversation_id, conversationId);
        const callId = ringing[0].id;

        await B1.accept.click();
        const answered = Date.now();
        await B1.panel("Alice Adams").waitFor();
        // Answered elsewhere: the second session's dialog goes away by itself.
        await B2.incoming.waitFor({ state: "hidden", timeout: 5000 });
        assert.equal(await B2.anyPanel.count(), 0, "the second session is not in the call");

        // Each side sees the other's moving picture, and its own preview.
        await expectMovingVideo(A.remoteVideo("Bob Baker"), "Alice sees Bob");
        await expectMovingVideo(B1.remoteVideo("Alice Adams"), "Bob sees Alice");
        // (expectMovingVideo waits 1 s after the first frame to see the clock advance.)
        const toVideo = Date.now() - answered - 2000;
        await expectMovingVideo(A.localVideo, "Alice's own preview");
        await eventually(async () => (await callStatus(a.page, "Bob Baker")) === "Connected", "Alice's panel to say Connected");
        await eventually(async () => (await callStatus(b1.page, "Alice Adams")) === "Connected", "Bob's panel to say Connected");
        const link = await expectLink(a.page, "Bob Baker", /^Direct · \d+ ms round trip/);
        assert.doesNotMatch(link, /Relayed/);
        console.log(`direct call: video both ways ≤ ${toVideo} ms after Accept; Alice's panel: ${link}`);
        await eventually(async () => /^\d+:\d\d$/.test(await A.duration.innerText()), "a call duration m:ss");
        await assertAccessible(a.page, "in a call");

        const active = await serverCall(srv, await srv.token(users.alice), callId);
        assert.equal(active.state, "active");
        assert.deepEqual(
          active.participants.map((/** @type {any} */ p) => p.state).sort(),
          ["joined", "joined"],
          "both participants joined",
        );

        // The buttons say what they will do next.
        await A.mute.click();
        await A.unmute.waitFor();
        await A.cameraOff.click();
        await A.cameraOn.waitFor();
        await A.unmute.click();
        await A.mute.waitFor();
        await A.cameraOn.click();
        await A.cameraOff.waitFor();
        // While in a call, the Start buttons cannot start another.
        assert.equal(await A.startVideo.isDisabled(), true, "Start video call is disabled during the call");

        await assertNoPhiInStorage(a.page, ["Alice Adams", "Bob Baker"]);
        await assertNoPhiInStorage(b1.page, ["Alice Adams", "Bob Baker"]);

        await B1.hangUp.click();
        await B1.anyPanel.waitFor({ state: "hidden" });
        await A.anyPanel.waitFor({ state: "hidden", timeout: 5000 });
        await a.page.getByRole("status").filter({ hasText: "Bob Baker hung up." }).waitFor();
        const ended = await serverCall(srv, await srv.token(users.alice), callId);
        assert.equal(ended.state, "ended");
        assert.equal(ended.end_reason, "hangup");
        assert.equal((await liveCalls(users.bob)).length, 0, "no live call left");
        // The camera is released when the call ends: no live video track.
        assert.equal(await A.startVideo.isEnabled(), true, "Start video call is enabled again");
      },
      { timeout: 120_000 },
    );

    s.test("Bob declines an audio call: it ends for Alice too, and the server says declined", async (t) => {
      const a = await t.newContext("alice");
      const b = await t.newContext("bob");
      await signIn(a.page, srv.origin, users.alice);
      await signIn(b.page, srv.origin, users.bob);
      await conversationLink(a.page, "Bob Baker").click();
      const A = callUi(a.page);
      const B = callUi(b.page);
      await A.startAudio.click();
      await A.panel("Bob Baker").waitFor();
      assert.equal(await A.cameraOff.count(), 0, "an audio call has no camera button");
      await B.incoming.waitFor();
      assert.match(await B.incoming.innerText(), /Incoming audio call/);
      const [call] = await liveCalls(users.bob);
      await B.decline.click();
      await B.incoming.waitFor({ state: "hidden" });
      await A.anyPanel.waitFor({ state: "hidden", timeout: 5000 });
      await a.page.getByRole("status").filter({ hasText: "Bob Baker declined the call." }).waitFor();
      const ended = await serverCall(srv, await srv.token(users.bob), call.id);
      assert.equal(ended.state, "ended");
      assert.equal(ended.end_reason, "declined");
    });

    s.test("reloading the page during a call hangs up: the other side sees it end", async (t) => {
      const a = await t.newContext("alice");
      const b = await t.newContext("bob");
      await signIn(a.page, srv.origin, users.alice);
      await signIn(b.page, srv.origin, users.bob);
      await conversationLink(a.page, "Bob Baker").click();
      const A = callUi(a.page);
      const B = callUi(b.page);
      await A.startAudio.click();
      await B.accept.click();
      await eventually(async () => (await callStatus(a.page, "Bob Baker")) === "Connected", "the audio call to connect", 15_000);
      const [call] = await liveCalls(users.alice);
      await b.page.reload();
      await A.anyPanel.waitFor({ state: "hidden", timeout: 5000 });
      await a.page.getByRole("status").filter({ hasText: "Bob Baker hung up." }).waitFor();
      const ended = await serverCall(srv, await srv.token(users.alice), call.id);
      assert.equal(ended.state, "ended");
      await ui(b.page).nav.waitFor();
      assert.equal(await B.incoming.count(), 0, "nothing rings after the reload");
      assert.equal(await B.anyPanel.count(), 0);
    });

    s.test("both press Start video call at once: one call, both in it, video both ways", async (t) => {
      const a = await t.newContext("alice");
      const b = await t.newContext("bob");
      await signIn(a.page, srv.origin, users.alice);
      await signIn(b.page, srv.origin, users.bob);
      await conversationLink(a.page, "Bob Baker").click();
      await conversationLink(b.page, "Alice Adams").click();
      const A = callUi(a.page);
      const B = callUi(b.page);
      await A.startVideo.click();
      await A.panel("Bob Baker").waitFor();
      // Bob presses Start too (the ringing dialog is modal: he closes it
      // with Escape, which silences it here without declining).
      await B.incoming.waitFor();
      await b.page.keyboard.press("Escape");
      await B.incoming.waitFor({ state: "hidden" });
      await B.startVideo.click();
      await B.panel("Alice Adams").waitFor();
      await expectMovingVideo(A.remoteVideo("Bob Baker"), "Alice sees Bob");
      await expectMovingVideo(B.remoteVideo("Alice Adams"), "Bob sees Alice");
      const calls = await liveCalls(users.alice);
      assert.equal(calls.length, 1, "one call, not two");
      await A.hangUp.click();
      await B.anyPanel.waitFor({ state: "hidden", timeout: 5000 });
    });
  },
  { browserArgs: MEDIA_ARGS },
);
