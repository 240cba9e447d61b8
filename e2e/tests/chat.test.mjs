// Two people chat in real time: receipts, unread badge and tab title, text
// only rendering, files up and down, the upload limit's problem detail, no
// PHI in browser storage, accessibility of each main screen, and the socket
// coming back after a server restart.

import assert from "node:assert/strict";
import { suite } from "../lib/suite.mjs";
import { ui, signIn, startConversationWith, sendMessage, messageArticle, conversationLink, deliveryState, eventually, escapeRe, unreadOf } from "../lib/ui.mjs";
import { assertAccessible } from "../lib/axe.mjs";
import { assertNoPhiInStorage } from "../lib/storage.mjs";
import { encodePng } from "../lib/png.mjs";

const MiB = 1024 * 1024;

suite("chat", { "require-mfa": "false", "max-upload": "1MiB" }, (s) => {
  const srv = s.server;
  /** @type {Record<string, import("../lib/server.mjs").User>} */
  const users = {};

  /**
   * Alice and Bob's direct conversation, made through the API when a test
   * runs on its own (a second direct one with the same two returns the first).
   */
  async function aliceAndBob() {
    const token = await srv.token(users.alice);
    await srv.api("POST", "/api/v1/conversations", { token, json: { kind: "direct", member_ids: [users.bob.id] } });
  }

  s.test("arrange: users", async () => {
    users.alice = await srv.createUser({ username: "alice", displayName: "Alice Adams" });
    users.bob = await srv.createUser({ username: "bob", displayName: "Bob Baker" });
    users.carol = await srv.createUser({ username: "carol", displayName: "Carol Chen", role: "staff" });
  });

  s.test("two people chat in real time with receipts; screens pass axe; no PHI in storage", async (t) => {
    const a = await t.newContext("alice");
    const b = await t.newContext("bob");
    await a.page.goto(`${srv.origin}/`);
    await ui(a.page).username.waitFor();
    await assertAccessible(a.page, "sign-in");

    await signIn(a.page, srv.origin, users.alice, { goto: false });
    await signIn(b.page, srv.origin, users.bob);
    await assertAccessible(a.page, "main (conversation list)");

    await startConversationWith(a.page, users.bob, {
      whileOpen: () => assertAccessible(a.page, "new conversation").then(() => undefined),
    });

    const first = "Patient in bed 4 needs a potassium recheck at 14:00";
    await sendMessage(a.page, first);
    await assertAccessible(a.page, "conversation");

    // Bob is online but has not opened it: delivered, not read, and it shows
    // up in his list in real time with an unread badge.
    const bobLink = conversationLink(b.page, "Alice Adams");
    await bobLink.waitFor();
    await eventually(async () => (await unreadOf(bobLink)) === 1, "an unread badge 1 on Bob's link to Alice");
    const mine = messageArticle(a.page, first);
    await eventually(async () => (await deliveryState(mine)) === "Delivered", "alice's message to show Delivered", 10_000);

    await bobLink.click();
    await messageArticle(b.page, first).waitFor();
    await eventually(async () => (await deliveryState(mine)) === "Read", "alice's message to show Read once Bob opened it");

    const reply = "Recheck ordered, results by 15:30";
    await sendMessage(b.page, reply);
    await messageArticle(a.page, reply).waitFor();
    await eventually(async () => (await deliveryState(messageArticle(b.page, reply))) === "Read", "bob's reply to show Read (Alice has it open)");

    // The server agrees: both messages stored, in order.
    const token = await srv.token(users.bob);
    const convs = await srv.api("GET", "/api/v1/conversations", { token });
    const list = Array.isArray(convs) ? convs : convs.conversations;
    const conv = list.find((/** @type {any} */ c) => c.member_ids.includes(users.alice.id));
    assert.ok(conv, "the conversation exists on the server");
    const msgs = await srv.api("GET", `/api/v1/conversations/${conv.id}/messages`, { token });
    assert.deepEqual(msgs.messages.map((/** @type {any} */ m) => m.body), [first, reply]);

    const phi = [first, reply, "Alice Adams", "Bob Baker", "potassium"];
    await assertNoPhiInStorage(a.page, phi);
    await assertNoPhiInStorage(b.page, phi);
  });

  s.test("a message body with HTML and script is shown as text", async (t) => {
    await aliceAndBob();
    const a = await t.newContext("alice");
    const b = await t.newContext("bob");
    await signIn(a.page, srv.origin, users.alice);
    await signIn(b.page, srv.origin, users.bob);
    await conversationLink(a.page, "Bob Baker").click();
    await conversationLink(b.page, "Alice Adams").click();
    const body = `<img src=x onerror="window.__hippoPwned=1"><script>window.__hippoPwned=2</script><b>bold</b> & <i>done</i>`;
    await sendMessage(a.page, body);
    for (const p of [a.page, b.page]) {
      const art = messageArticle(p, body);
      await art.waitFor();
      assert.ok((await art.innerText()).includes(body), "the markup is shown literally");
      assert.equal(await art.locator("img, script, b, i").count(), 0, "no element was created from the body");
      assert.equal(await p.evaluate(() => /** @type {any} */ (globalThis).__hippoPwned), undefined, "no script from the body ran");
    }
    // Loaded again from the server (a reload: the session comes back from
    // the cookie, the open conversation from the address), still text.
    await b.page.reload();
    await ui(b.page).nav.waitFor();
    const again = messageArticle(b.page, body);
    await again.waitFor();
    assert.match(new URL(b.page.url()).pathname, /^\/conversations\//, "the address names the open conversation");
    assert.equal(await again.locator("img, script, b, i").count(), 0, "no element was created from the body after a reload");
    assert.equal(await b.page.evaluate(() => /** @type {any} */ (globalThis).__hippoPwned), undefined);
  });

  s.test("typing is shown to the other person; an urgent message is marked urgent", async (t) => {
    await aliceAndBob();
    const a = await t.newContext("alice");
    const b = await t.newContext("bob");
    await signIn(a.page, srv.origin, users.alice);
    await signIn(b.page, srv.origin, users.bob);
    await conversationLink(a.page, "Bob Baker").click();
    await conversationLink(b.page, "Alice Adams").click();
    await ui(b.page).message.pressSequentially("On my", { delay: 40 });
    await a.page.getByRole("status").filter({ hasText: "Bob Baker is typing" }).waitFor();
    await ui(b.page).message.fill("");

    await ui(a.page).urgent.check();
    const body = "Urgent: bed 7 pressure dropping";
    await sendMessage(a.page, body);
    const theirs = messageArticle(b.page, body);
    await theirs.waitFor();
    await theirs.getByText("Urgent", { exact: true }).waitFor();
    const token = await srv.token(users.bob);
    const convs = await srv.api("GET", "/api/v1/conversations", { token });
    const conv = (Array.isArray(convs) ? convs : convs.conversations).find((/** @type {any} */ c) => c.member_ids.includes(users.alice.id));
    const msgs = await srv.api("GET", `/api/v1/conversations/${conv.id}/messages`, { token });
    const stored = msgs.messages.find((/** @type {any} */ m) => m.body === body);
    assert.equal(stored?.priority, "urgent", "stored as urgent");
    // The box is unchecked again for the next message.
    assert.equal(await ui(a.page).urgent.isChecked(), false);

    // The other main screen of a clinician: finding a patient (emergency access).
    await a.page.getByRole("button", { name: "Find a patient", exact: true }).click();
    await a.page.getByRole("heading", { level: 1 }).filter({ hasText: /emergency access|patient/i }).first().waitFor();
    await assertAccessible(a.page, "find a patient");
  });

  s.test("unread badge, tab title and a notification without PHI when a message arrives in another conversation", async (t) => {
    await aliceAndBob();
    const a = await t.newContext("alice", { permissions: ["notifications"] });
    // Every desktop notification the page makes, as shown to the user.
    /** @type {{ title: string, body: string, tag: string }[]} */
    const notes = [];
    await a.context.exposeBinding("__hippoE2eNotify", (_src, n) => void notes.push(n));
    await a.context.addInitScript(`(() => {
      const Real = globalThis.Notification;
      if (!Real) return;
      globalThis.Notification = class extends Real {
        constructor(title, opts) {
          globalThis.__hippoE2eNotify({ title: String(title), body: String(opts?.body ?? ""), tag: String(opts?.tag ?? "") });
          super(title, opts);
        }
      };
    })();`);
    await signIn(a.page, srv.origin, users.alice);
    await conversationLink(a.page, "Bob Baker").click();
    await ui(a.page).message.waitFor();
    const titleBefore = await a.page.title();
    assert.ok(!/^\(\d+\)/.test(titleBefore), `no unread count in the title yet: ${titleBefore}`);

    // Carol (arranged through the API: her UI is not under test) writes to Alice.
    const carolToken = await srv.token(users.carol);
    const conv = await srv.api("POST", "/api/v1/conversations", {
      token: carolToken,
      json: { kind: "direct", member_ids: [users.alice.id] },
    });
    await srv.api("POST", `/api/v1/conversations/${conv.id}/messages`, {
      token: carolToken,
      json: { body: "Can you cover the 16:00 handover?", client_id: "carol-1" },
    });
    const carolLink = conversationLink(a.page, "Carol Chen");
    await carolLink.waitFor();
    await eventually(async () => (await unreadOf(carolLink)) === 1, "an unread badge 1 on the link to Carol");
    await eventually(async () => /^\(1\) /.test(await a.page.title()), "the tab title to start with (1)");
    await srv.api("POST", `/api/v1/conversations/${conv.id}/messages`, {
      token: carolToken,
      json: { body: "Or the 18:00 one", client_id: "carol-2" },
    });
    await eventually(async () => (await unreadOf(carolLink)) === 2, "the badge to count 2");
    await eventually(async () => /^\(2\) /.test(await a.page.title()), "the tab title to start with (2)");
    // The message is not shown in the open conversation (Bob's).
    assert.equal(await messageArticle(a.page, "16:00 handover").count(), 0);
    // A notification for each, saying only that there is a message.
    await eventually(() => notes.length >= 2, "two desktop notifications");
    const shown = JSON.stringify(notes);
    for (const phi of ["Carol", "handover", "18:00", "Alice"]) assert.ok(!shown.includes(phi), `no PHI in notifications: ${shown}`);
    for (const n of notes) assert.equal(n.title, "New message");

    await carolLink.click();
    await messageArticle(a.page, "Or the 18:00 one").waitFor();
    await eventually(async () => !/^\(\d+\)/.test(await a.page.title()), "the title to lose its count once read");
    await eventually(async () => (await unreadOf(carolLink)) === 0, "the badge to go once read");
  });

  s.test("file upload, download and image preview", async (t) => {
    await aliceAndBob();
    const a = await t.newContext("alice");
    const b = await t.newContext("bob");
    await signIn(a.page, srv.origin, users.alice);
    await signIn(b.page, srv.origin, users.bob);
    await conversationLink(a.page, "Bob Baker").click();
    await conversationLink(b.page, "Alice Adams").click();

    const fileName = "discharge-summary-4711.txt";
    const content = "Discharge summary: stable, follow up in two weeks.\n";
    const chooser = a.page.waitForEvent("filechooser");
    await ui(a.page).attach.click();
    await (await chooser).setFiles({ name: fileName, mimeType: "text/plain", buffer: Buffer.from(content) });
    await ui(a.page).message.fill("Summary attached");
    // The upload finishes before Send is possible (or Send waits for it).
    await eventually(async () => await ui(a.page).send.isEnabled(), "Send to be enabled after the upload");
    await ui(a.page).send.click();

    const art = messageArticle(b.page, "Summary attached");
    await art.waitFor();
    const fileControl = art.getByRole("link", { name: new RegExp(escapeRe(fileName)) }).or(art.getByRole("button", { name: new RegExp(escapeRe(fileName)) }));
    await fileControl.first().waitFor();
    const download = b.page.waitForEvent("download");
    await fileControl.first().click();
    const d = await download;
    assert.equal(d.suggestedFilename(), fileName);
    const path = await d.path();
    const { readFileSync } = await import("node:fs");
    assert.equal(readFileSync(path, "utf8"), content, "the downloaded bytes are the uploaded ones");

    // An image is previewed in place, from an authenticated blob: URL.
    const imgName = "wound-photo-4711.png";
    const png = encodePng(64, 48, (x, y) => [200, (x * 4) & 0xff, (y * 5) & 0xff]);
    const chooser2 = a.page.waitForEvent("filechooser");
    await ui(a.page).attach.click();
    await (await chooser2).setFiles({ name: imgName, mimeType: "image/png", buffer: png });
    await ui(a.page).message.fill("Photo of the wound");
    await eventually(async () => await ui(a.page).send.isEnabled(), "Send to be enabled after the image upload");
    await ui(a.page).send.click();
    const imgArt = messageArticle(b.page, "Photo of the wound");
    const img = imgArt.getByRole("img", { name: imgName, exact: true });
    await img.waitFor();
    const shown = await eventually(
      () => img.evaluate((el) => el instanceof HTMLImageElement && el.complete && el.naturalWidth > 0 && { src: el.src.slice(0, 5), w: el.naturalWidth, h: el.naturalHeight }),
      "the image preview to load",
    );
    assert.deepEqual(shown, { src: "blob:", w: 64, h: 48 });

    const phi = [content.trim(), fileName, imgName, "Discharge summary", "Photo of the wound"];
    await assertNoPhiInStorage(b.page, phi);
    await assertNoPhiInStorage(a.page, phi);
  });

  s.test("a file over the limit is refused before uploading; a refusal only the server can make shows its problem detail", async (t) => {
    await aliceAndBob();
    const a = await t.newContext("alice");
    await signIn(a.page, srv.origin, users.alice);
    await conversationLink(a.page, "Bob Baker").click();
    /** @type {string[]} */
    const uploads = [];
    a.page.on("request", (r) => {
      if (r.method() === "POST" && new URL(r.url()).pathname === "/api/v1/attachments") uploads.push(r.url());
    });

    // Over --max-upload (the client knows the limit from the session): it
    // says so in words and sends nothing.
    const big = Buffer.alloc(2 * MiB, 0x61);
    let chooser = a.page.waitForEvent("filechooser");
    await ui(a.page).attach.click();
    await (await chooser).setFiles({ name: "scan-too-big.txt", mimeType: "text/plain", buffer: big });
    await a.page.getByText("scan-too-big.txt is too large (2.0 MB): files may be at most 1.0 MB").waitFor();
    assert.deepEqual(uploads, [], "nothing was uploaded");

    // A "PDF" that is not one: only the server can tell. What it says to it:
    const token = await srv.token(users.alice);
    const fake = Buffer.from("these are ward notes, not a PDF\n");
    const direct = await srv.request("POST", "/api/v1/attachments?filename=labs.pdf", {
      token,
      body: fake,
      headers: { "content-type": "application/pdf" },
    });
    assert.equal(direct.status, 422, `the server refuses a fake PDF: ${direct.text}`);
    const detail = direct.json?.detail;
    assert.ok(detail, `the 422 carries a detail: ${direct.text}`);
    a.guard.expectHttp({ method: "POST", path: "/api/v1/attachments", status: 422, why: "a file whose bytes are not its type" });
    chooser = a.page.waitForEvent("filechooser");
    await ui(a.page).attach.click();
    await (await chooser).setFiles({ name: "labs.pdf", mimeType: "application/pdf", buffer: fake });
    await a.page.getByText(detail).first().waitFor();
    assert.equal(uploads.length, 1, "this one was sent");
    assert.equal(a.guard.seen("POST", "/api/v1/attachments", 422).length, 1, "the words came with the server's refusal");
  });

  s.test("a patient's conversation: the care team sees it, the screen passes axe, nothing of the patient is kept", async (t) => {
    // Alice registers a patient through the API (the patient screens' own
    // flows are not under test here); the suite runs without WhatsApp.
    const token = await srv.token(users.alice);
    const patient = await srv.api("POST", "/api/v1/patients", {
      token,
      json: { display_name: "Peter Patel", phone: "+14155550123", mrn: "MRN-998877", whatsapp_opt_in: true, opt_in_source: "paper form" },
    });
    const body = "Peter's INR is 3.4 today; holding warfarin";
    await srv.api("POST", `/api/v1/conversations/${patient.conversation_id}/messages`, { token, json: { body, client_id: "pat-1" } });

    const a = await t.newContext("alice");
    // Without WhatsApp settings the server answers its endpoints 503
    // channel_not_configured (the contract); the panel may ask once.
    a.guard.expectHttp({ method: "GET", path: /^\/api\/v1\/whatsapp\//, status: 503, code: "channel_not_configured", why: "WhatsApp not configured in this suite" });
    await signIn(a.page, srv.origin, users.alice);
    await conversationLink(a.page, "Peter Patel").click();
    await messageArticle(a.page, body).waitFor();
    await assertAccessible(a.page, "patient conversation");
    await assertNoPhiInStorage(a.page, ["Peter Patel", "+14155550123", "4155550123", "MRN-998877", body, "warfarin"]);
  });

  s.test("the socket comes back after a server restart", async (t) => {
    await aliceAndBob();
    const a = await t.newContext("alice");
    const b = await t.newContext("bob");
    for (const g of [a.guard, b.guard]) {
      // While the server is down the socket's reconnection attempts fail,
      // and so may a request in flight; nothing else may.
      g.expectConsole(/WebSocket connection to 'wss:\/\/127\.0\.0\.1:\d+\/api\/v1\/stream' failed/, "server restarting");
      g.expectRequestFailure(/ net::ERR_CONNECTION_(REFUSED|RESET|CLOSED)$/, "server restarting");
      g.expectConsole(/^Failed to load resource: net::ERR_CONNECTION_(REFUSED|RESET|CLOSED)$/, "server restarting");
    }
    await signIn(a.page, srv.origin, users.alice);
    await signIn(b.page, srv.origin, users.bob);
    await conversationLink(a.page, "Bob Baker").click();
    await conversationLink(b.page, "Alice Adams").click();
    await sendMessage(a.page, "Before the restart");
    await messageArticle(b.page, "Before the restart").waitFor();

    await srv.restart();

    // Without a reload, Bob's message reaches Alice live again.
    await sendMessage(b.page, "After the restart");
    await messageArticle(a.page, "After the restart").waitFor({ timeout: 20_000 });
    await sendMessage(a.page, "Still here");
    await messageArticle(b.page, "Still here").waitFor({ timeout: 10_000 });
    // Both sockets are back: neither tab still says it is reconnecting, and
    // nothing was delivered twice.
    for (const p of [a.page, b.page]) {
      await eventually(async () => (await p.getByText(/Reconnecting|Offline/).count()) === 0, "no reconnecting status");
      for (const text of ["Before the restart", "After the restart", "Still here"]) {
        assert.equal(await messageArticle(p, text).count(), 1, `"${text}" shown once`);
      }
    }
  }, { timeout: 90_000 });
});
