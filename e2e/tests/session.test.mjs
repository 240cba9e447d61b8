// Session ends the user sees: idle sign-out after the "Still there?"
// warning, two tabs of one user signed out together, and a session that
// expires mid-typing keeping the draft after signing in again.

import assert from "node:assert/strict";
import { suite } from "../lib/suite.mjs";
import { ui, signIn, expectSignedOut, startConversationWith, conversationLink, messageArticle, eventually } from "../lib/ui.mjs";
import { assertAccessible } from "../lib/axe.mjs";
import { assertNoPhiInStorage } from "../lib/storage.mjs";

/**
 * The context's session cookie, replayed from node: does the server still
 * take it?
 * @param {import("../lib/server.mjs").HippoServer} srv
 * @param {import("playwright-core").BrowserContext} context
 */
async function cookieSessionStatus(srv, context) {
  const cookies = await context.cookies(srv.origin);
  const c = cookies.find((x) => x.name === "__Host-hippo_session");
  if (!c) return { status: 0, cookie: false };
  const r = await srv.request("GET", "/api/v1/auth/session", { headers: { cookie: `${c.name}=${c.value}` } });
  return { status: r.status, cookie: true };
}

const IDLE_SECS = 20;

suite("idle sign-out and tabs", { "require-mfa": "false", "session-idle-timeout": `${IDLE_SECS}s` }, (s) => {
  const srv = s.server;
  /** @type {Record<string, import("../lib/server.mjs").User>} */
  const users = {};

  s.test("arrange: users", async () => {
    users.dana = await srv.createUser({ username: "dana", displayName: "Dana Diaz" });
    users.eli = await srv.createUser({ username: "eli", displayName: "Eli Evans" });
  });

  s.test("idle: a Still there? warning, then signed out at the idle timeout", async (t) => {
    const d = await t.newContext("dana");
    const started = Date.now();
    await signIn(d.page, srv.origin, users.dana);
    const signedInAt = Date.now();
    // No input from here on: only the user's input counts as activity.
    await ui(d.page).stillThere.waitFor({ timeout: IDLE_SECS * 1000 });
    const warnedAfter = (Date.now() - signedInAt) / 1000;
    assert.ok(warnedAfter < IDLE_SECS, `warned before the timeout (after ${warnedAfter} s)`);
    await assertAccessible(d.page, "idle warning");
    await expectSignedOut(d.page, (IDLE_SECS + 5) * 1000);
    const outAfter = (Date.now() - signedInAt) / 1000;
    assert.ok(outAfter >= IDLE_SECS - 2, `not signed out early (after ${outAfter} s of ${IDLE_SECS})`);
    const st = await cookieSessionStatus(srv, d.context);
    assert.ok(!st.cookie || st.status === 401, `the server no longer takes the session (${JSON.stringify(st)})`);
    assert.ok(Date.now() - started < 60_000);
  }, { timeout: 80_000 });

  s.test("input during the warning keeps the session", async (t) => {
    const d = await t.newContext("dana");
    await signIn(d.page, srv.origin, users.dana);
    await ui(d.page).stillThere.waitFor({ timeout: IDLE_SECS * 1000 });
    // Answer the dialog with its own button (whatever it is called), by keyboard.
    const stay = ui(d.page).stillThere.getByRole("button").first();
    await stay.press("Enter");
    await ui(d.page).stillThere.waitFor({ state: "hidden" });
    const answeredAt = Date.now();
    // Past the original deadline the user is still signed in, on the server too.
    await d.page.waitForTimeout(IDLE_SECS * 1000 * 0.6);
    assert.ok(await ui(d.page).nav.isVisible(), "still on the main screen");
    const st = await cookieSessionStatus(srv, d.context);
    assert.equal(st.status, 200, "the server still takes the session");
    assert.ok(Date.now() - answeredAt < IDLE_SECS * 1000);
  }, { timeout: 80_000 });

  s.test("two tabs of one user are signed out together, and nothing of the session stays on screen", async (t) => {
    // Dana writes to Eli (arranged through the API).
    const token = await srv.token(users.dana);
    const conv = await srv.api("POST", "/api/v1/conversations", { token, json: { kind: "direct", member_ids: [users.eli.id] } });
    const body = "Lab called: troponin for bed 9 is back";
    await srv.api("POST", `/api/v1/conversations/${conv.id}/messages`, { token, json: { body, client_id: "dana-1" } });

    const e = await t.newContext("eli");
    await signIn(e.page, srv.origin, users.eli);
    const second = await e.context.newPage();
    await second.goto(`${srv.origin}/`);
    // The second tab finds the session by itself (cookie + GET /auth/session).
    await ui(second).nav.waitFor();
    for (const p of [e.page, second]) {
      await conversationLink(p, "Dana Diaz").click();
      await messageArticle(p, body).waitFor();
    }
    await ui(e.page).signOut.click();
    await expectSignedOut(e.page, 5_000);
    await expectSignedOut(second, 5_000);
    const st = await cookieSessionStatus(srv, e.context);
    assert.ok(!st.cookie || st.status === 401, `the session is over on the server (${JSON.stringify(st)})`);
    // Nothing of the session is left in either tab, not even one step back in history.
    for (const p of [e.page, second]) {
      const html = await p.content();
      for (const phi of [body, "troponin", "Dana Diaz", "Eli Evans"]) assert.ok(!html.includes(phi), `"${phi}" still in the page after sign-out`);
    }
    await second.goBack();
    await expectSignedOut(second, 5_000);
    assert.ok(!(await second.content()).includes("troponin"), "going back shows nothing of the session");
    await assertNoPhiInStorage(second, [body, "troponin", "Eli Evans", "Dana Diaz"]);
  });
});

const LIFETIME_SECS = 25;

suite("session lifetime", { "require-mfa": "false", "session-max-lifetime": `${LIFETIME_SECS}s` }, (s) => {
  const srv = s.server;
  /** @type {Record<string, import("../lib/server.mjs").User>} */
  const users = {};

  s.test("arrange: users", async () => {
    users.fay = await srv.createUser({ username: "fay", displayName: "Fay Foster" });
    users.gus = await srv.createUser({ username: "gus", displayName: "Gus Grant" });
  });

  s.test("a session that expires mid-typing keeps the draft after signing in again", async (t) => {
    const f = await t.newContext("fay");
    await signIn(f.page, srv.origin, users.fay);
    const signedInAt = Date.now();
    await startConversationWith(f.page, users.gus);
    await ui(f.page).message.waitFor();
    const draft = "Gus, the MRI for room 12 is moved to";
    // From here the session runs out: the client's calls may answer 401
    // session_expired until it shows the sign-in screen.
    f.guard.expectHttp({ path: /^\/api\/v1\//, status: 401, why: "session past --session-max-lifetime" });
    f.guard.expectSocketRefusal(/^(unauthenticated|session_expired)$/, "session past --session-max-lifetime");
    // Type slowly, the way a person does; the session ends with the draft unsent.
    let typed = "";
    for (const word of draft.split(" ")) {
      if (await ui(f.page).username.isVisible()) break;
      await ui(f.page).message.pressSequentially(`${typed ? " " : ""}${word}`, { delay: 30 });
      typed += `${typed ? " " : ""}${word}`;
      await f.page.waitForTimeout(400);
      if (Date.now() - signedInAt > (LIFETIME_SECS - 8) * 1000) break;
    }
    assert.equal(typed, draft, "the whole draft was typed before the session ended");
    await expectSignedOut(f.page, (LIFETIME_SECS + 10) * 1000);
    await assertNoPhiInStorage(f.page, [draft, "MRI for room 12", "Gus Grant", "Fay Foster"]);

    await signIn(f.page, srv.origin, users.fay, { goto: false });
    // Back in the same conversation, or one click away from it.
    if (!(await ui(f.page).message.isVisible())) await conversationLink(f.page, "Gus Grant").click();
    await eventually(async () => (await ui(f.page).message.inputValue()) === draft, "the draft to be back in the Message box");
  }, { timeout: 90_000 });
});
