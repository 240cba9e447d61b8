// Calls through a real TURN relay (coturn on 127.0.0.1, shared-secret
// credentials) with the server set to relay every call: the ICE servers the
// server hands out are valid for coturn and name no user, a call connects
// and its panel says "Relayed"; an expired credential gathers no relay
// candidate (coturn answers 401); and a call holds off the idle sign-out.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { suite } from "../lib/suite.mjs";
import { MEDIA_ARGS } from "../lib/browser.mjs";
import { Coturn } from "../lib/turn.mjs";
import { ui, signIn, conversationLink, eventually } from "../lib/ui.mjs";
import { callUi, callStatus, expectMovingVideo, expectPlayingAudio, expectLink, gatherRelay } from "../lib/calls.mjs";

const turn = new Coturn();

suite(
  "calls through TURN",
  {
    "require-mfa": "false",
    "calls-relay-only": "true",
    "turn-secret-file": turn.secretFile,
    "session-idle-timeout": "20s",
    // --turn-urls is set once coturn has its port (beforeStart).
  },
  (s) => {
    const srv = s.server;
    /** @type {Record<string, import("../lib/server.mjs").User>} */
    const users = {};

    s.test("arrange: two clinicians and their conversation", async () => {
      users.alice = await srv.createUser({ username: "alice", displayName: "Alice Adams" });
      users.bob = await srv.createUser({ username: "bob", displayName: "Bob Baker" });
      const token = await srv.token(users.alice);
      await srv.api("POST", "/api/v1/conversations", { token, json: { kind: "direct", member_ids: [users.bob.id] } });
    });

    s.test("the ICE servers are coturn's, with a shared-secret credential that names no user", async () => {
      const r = await srv.api("GET", "/api/v1/calls/ice-servers", { token: await srv.token(users.alice) });
      const turnEntries = r.ice_servers.filter((/** @type {any} */ e) => [e.urls].flat().some((u) => /^turns?:/.test(u)));
      assert.ok(turnEntries.length > 0, `a TURN entry: ${JSON.stringify(r.ice_servers)}`);
      const urls = r.ice_servers.flatMap((/** @type {any} */ e) => [e.urls].flat());
      assert.ok(urls.includes(`turn:127.0.0.1:${turn.port}?transport=udp`), `coturn's UDP URL in ${urls}`);
      for (const e of turnEntries) {
        const m = /^(\d+):([^:]+)$/.exec(e.username);
        assert.ok(m, `username is <expiry>:<opaque id>: ${e.username}`);
        assert.doesNotMatch(e.username, /alice|Alice/, "the username names no user");
        const left = Number(m[1]) - Date.now() / 1000;
        assert.ok(left > 0 && left <= 600 + 5, `valid at most 10 minutes (${left} s left)`);
        assert.equal(e.credential, createHmac("sha1", turn.secret).update(e.username).digest("base64"), "credential = base64(HMAC-SHA1(secret, username))");
      }
      assert.ok(Date.parse(r.expires_at) > Date.now(), "expires_at is in the future");
    });

    s.test(
      "a relay-only video call connects through coturn and the panel says Relayed",
      async (t) => {
        const a = await t.newContext("alice");
        const b = await t.newContext("bob");
        await signIn(a.page, srv.origin, users.alice);
        await signIn(b.page, srv.origin, users.bob);
        await conversationLink(a.page, "Bob Baker").click();
        const A = callUi(a.page);
        const B = callUi(b.page);
        const mark = turn.mark();
        await A.startVideo.click();
        await B.accept.click();
        const answered = Date.now();
        await expectMovingVideo(A.remoteVideo("Bob Baker"), "Alice sees Bob through the relay");
        await expectMovingVideo(B.remoteVideo("Alice Adams"), "Bob sees Alice through the relay");
        const toVideo = Date.now() - answered - 2000;
        const linkA = await expectLink(a.page, "Bob Baker", /^Relayed · \d+ ms round trip/);
        const linkB = await expectLink(b.page, "Alice Adams", /^Relayed · \d+ ms round trip/);
        console.log(`relayed call: video both ways ≤ ${toVideo} ms after Accept; panels: ${linkA} | ${linkB}`);
        // coturn allocated for both sides, under the server's usernames.
        const allocations = turn.since(mark).filter((l) => /ALLOCATE processed, success/.test(l));
        const names = new Set(allocations.map((l) => /user <([^>]*)>/.exec(l)?.[1]));
        assert.ok(names.size >= 2, `coturn allocated relays for both sides: ${[...names].join(", ")}\n${turn.tail(20)}`);
        for (const n of names) assert.match(String(n), /^\d+:[^:]+$/);
        await A.hangUp.click();
        await B.anyPanel.waitFor({ state: "hidden", timeout: 5000 });
      },
      { timeout: 120_000 },
    );

    s.test("an expired TURN credential gathers no relay candidate (coturn answers 401); a fresh one does", async (t) => {
      const a = await t.newContext("alice");
      await signIn(a.page, srv.origin, users.alice);
      const token = await srv.token(users.alice);
      const short = await srv.api("GET", "/api/v1/calls/ice-servers?ttl_seconds=1", { token });
      const user = short.ice_servers.find((/** @type {any} */ e) => e.username)?.username ?? "";
      assert.ok(Number(user.split(":")[0]) - Date.now() / 1000 <= 2, `ttl_seconds=1 gives a credential that expires at once: ${user}`);
      await sleep(2100);
      const expired = await gatherRelay(a.page, short.ice_servers);
      assert.equal(expired.candidates.filter((c) => / typ relay /.test(c)).length, 0, `no relay candidate: ${expired.candidates}`);
      assert.ok(expired.errors.some((e) => e.code === 401), `coturn refused with 401: ${JSON.stringify(expired.errors)}`);

      const fresh = await srv.api("GET", "/api/v1/calls/ice-servers", { token });
      const ok = await gatherRelay(a.page, fresh.ice_servers);
      assert.ok(ok.candidates.some((c) => / typ relay /.test(c)), `a fresh credential gathers a relay candidate: ${JSON.stringify(ok)}`);
    });

    s.test(
      "no idle warning during a call (20 s idle timeout, 25 s without input); it comes back after hang up",
      async (t) => {
        const a = await t.newContext("alice");
        const b = await t.newContext("bob");
        await signIn(a.page, srv.origin, users.alice);
        await signIn(b.page, srv.origin, users.bob);
        await conversationLink(a.page, "Bob Baker").click();
        const A = callUi(a.page);
        const B = callUi(b.page);
        await A.startAudio.click();
        await B.accept.click();
        await eventually(async () => (await callStatus(a.page, "Bob Baker")) === "Connected", "the audio call to connect", 20_000);
        await expectPlayingAudio(B.remoteAudio("Alice Adams"), "Bob hears Alice");
        await expectPlayingAudio(A.remoteAudio("Bob Baker"), "Alice hears Bob");
        // No input for longer than the idle timeout.
        const until = Date.now() + 25_000;
        while (Date.now() < until) {
          assert.equal(await ui(a.page).stillThere.count(), 0, "no Still there? for Alice during the call");
          assert.equal(await ui(b.page).stillThere.count(), 0, "no Still there? for Bob during the call");
          await sleep(1000);
        }
        assert.equal(await callStatus(a.page, "Bob Baker"), "Connected");
        assert.equal(await B.hangUp.isVisible(), true, "Bob is still in the call");
        await B.hangUp.click();
        await A.anyPanel.waitFor({ state: "hidden", timeout: 5000 });
        // The idle clock runs again: the warning shows within the timeout.
        await ui(a.page).stillThere.waitFor({ timeout: 20_000 });
        await a.page.getByRole("button", { name: "Stay signed in", exact: true }).click();
      },
      { timeout: 150_000 },
    );
  },
  {
    browserArgs: MEDIA_ARGS,
    beforeStart: async (s) => {
      await turn.start();
      s.server.flags["turn-urls"] = turn.urls;
    },
    report: () => `--- coturn log, last lines:\n${turn.tail(40)}`,
    afterStop: async (s) => {
      await turn.stop();
      if (!s.failed) turn.cleanup();
    },
  },
);
