// An administrator connects an integration from the admin screen: a
// service account (created in the screen) gets an API key that is shown
// once, works as a Bearer token from another program, and stops working
// the moment it is revoked; a webhook is registered to a small receiver
// on loopback, its secret shown once and checked against the signature of
// a real delivery, the history shows it delivered, a failing receiver's
// attempt with its status, the retry, a redelivery; deleting it stops
// the posts. Neither the key nor the secret is left in the page or in
// browser storage.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createHmac, timingSafeEqual } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { suite } from "../lib/suite.mjs";
import { signIn, eventually, escapeRe } from "../lib/ui.mjs";
import { assertAccessible } from "../lib/axe.mjs";
import { assertNoPhiInStorage } from "../lib/storage.mjs";

/**
 * A webhook receiver on 127.0.0.1: keeps every request; answers `status`.
 */
async function startReceiver() {
  /** @type {{ headers: import("node:http").IncomingHttpHeaders, body: string, at: number }[]} */
  const received = [];
  const state = { status: 200 };
  const server = createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
      res.writeHead(state.status, { "content-type": "text/plain" }).end(state.status < 300 ? "ok" : "down");
    });
  });
  await new Promise((res) => server.listen(0, "127.0.0.1", () => res(undefined)));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hippo-events`,
    received,
    state,
    close: () => new Promise((res) => server.close(() => res(undefined))),
  };
}

/**
 * Standard Webhooks: `v1,` + base64 HMAC-SHA256 over "{id}.{timestamp}.{body}"
 * keyed with the base64 after `whsec_`.
 * @param {string} secret
 * @param {{ headers: import("node:http").IncomingHttpHeaders, body: string }} req
 */
function signatureValid(secret, req) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const signed = `${req.headers["webhook-id"]}.${req.headers["webhook-timestamp"]}.${req.body}`;
  const expected = Buffer.from(createHmac("sha256", key).update(signed).digest("base64"));
  return String(req.headers["webhook-signature"] ?? "")
    .split(" ")
    .map((s) => Buffer.from(s.replace(/^v1,/, "")))
    .some((got) => got.length === expected.length && timingSafeEqual(got, expected));
}

/**
 * Whether `secret` is anywhere in the page: its markup, its text, or the
 * value of any field.
 * @param {import("playwright-core").Page} page
 * @param {string} secret
 */
async function pageHolds(page, secret) {
  return await page.evaluate(
    (s) =>
      document.documentElement.outerHTML.includes(s) ||
      document.body.innerText.includes(s) ||
      Array.from(document.querySelectorAll("input, textarea")).some((f) => /** @type {HTMLInputElement} */ (f).value.includes(s)),
    secret,
  );
}

/**
 * A state the server cannot reach within a test: the receiver failed
 * every retry (27 h). Marks one delivery dead in the SQLite database of
 * the running server, as the worker does after the last retry.
 * @param {string} dataDir
 * @param {string} eventId
 */
function markDead(dataDir, eventId) {
  const db = readdirSync(dataDir).find((f) => /\.(db|sqlite3?)$/.test(f));
  assert.ok(db, `a SQLite database in ${dataDir}: ${readdirSync(dataDir).join(", ")}`);
  const script =
    "import sqlite3, sys\n" +
    "c = sqlite3.connect(sys.argv[1], timeout=10)\n" +
    "n = c.execute(\"UPDATE webhook_deliveries SET state = 'dead', lease_until = NULL WHERE event_id = ?\", (sys.argv[2],)).rowcount\n" +
    "c.commit()\n" +
    "print(n)\n";
  const python = ["/usr/bin/python3", "/usr/local/bin/python3"].find((p) => existsSync(p)) ?? "python3";
  const changed = execFileSync(python, ["-c", script, join(dataDir, db), eventId], { encoding: "utf8" }).trim();
  assert.equal(changed, "1", `one delivery marked dead (${eventId})`);
}

suite("admin-integrations", { "require-mfa": "false", "webhook-allowed-networks": "127.0.0.1/32" }, (s) => {
  const srv = s.server;
  /** @type {Record<string, import("../lib/server.mjs").User>} */
  const users = {};

  s.test("arrange: an administrator, an auditor, two clinicians", async () => {
    users.admin = await srv.createUser({ username: "ines", displayName: "Ines Admin", role: "admin" });
    users.auditor = await srv.createUser({ username: "otto", displayName: "Otto Auditor", role: "auditor" });
    users.alice = await srv.createUser({ username: "alice", displayName: "Alice Adams" });
    users.bob = await srv.createUser({ username: "bob", displayName: "Bob Baker" });
  });

  s.test("an API key is shown once, works from another program, and stops at once when revoked", async (t) => {
    const admin = await t.newContext("admin", { permissions: ["clipboard-read", "clipboard-write"] });
    const page = admin.page;
    await signIn(page, srv.origin, users.admin, { until: "none" });
    await page.getByRole("heading", { name: "Users", exact: true }).waitFor();

    // The service account, made in the admin screen like any account.
    await page.getByRole("button", { name: "Create user", exact: true }).click();
    const create = page.getByRole("dialog", { name: "Create user", exact: true });
    await create.getByRole("textbox", { name: "Username", exact: true }).fill("ehr-bridge");
    await create.getByRole("textbox", { name: "Display name", exact: true }).fill("EHR Bridge");
    await create.getByRole("combobox", { name: "Role", exact: true }).selectOption("service");
    await create.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("dialog", { name: "Created EHR Bridge", exact: true }).getByRole("button", { name: "Done" }).click();

    // Its keys: none yet; the table's button leads to them.
    await page.getByRole("button", { name: "API keys for EHR Bridge", exact: true }).click();
    const picker = page.getByRole("combobox", { name: "Service account", exact: true });
    await eventually(async () => (await picker.evaluate((el) => el === document.activeElement)) === true, "focus on the service account picker");
    const keys = page.getByRole("table", { name: "API keys of EHR Bridge", exact: true });
    await keys.getByText("EHR Bridge has no API keys.").waitFor();

    await page.getByRole("button", { name: "Create API key", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "New API key", exact: true });
    await dialog.waitFor();
    await assertAccessible(page, "new API key form");
    await dialog.getByRole("textbox", { name: "Key name", exact: true }).fill("Billing export");
    await dialog.getByRole("combobox", { name: "Lifetime", exact: true }).selectOption({ label: "30 days" });
    await dialog.getByRole("textbox", { name: /^Allowed networks/ }).fill("127.0.0.1, 10.20.0.0/16");
    await dialog.getByRole("button", { name: "Create key", exact: true }).click();

    const field = dialog.getByRole("textbox", { name: "API key", exact: true });
    await field.waitFor();
    const key = await field.inputValue();
    assert.match(key, /^hpk_[A-Za-z0-9_-]{20,}$/, "the key is shown in the dialog");
    await dialog.getByText(/you will not see it again/i).waitFor();
    await assertAccessible(page, "new API key shown once");
    await dialog.getByRole("button", { name: "Copy API key", exact: true }).click();
    await dialog.getByText("Copied.", { exact: true }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key, "Copy put the key on the clipboard");
    await dialog.getByRole("button", { name: "Done", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });
    assert.equal(await pageHolds(page, key), false, "the key left the page with the dialog");

    // Listed without the key: name, state, expiry in 30 days, networks.
    const row = keys.getByRole("row").filter({ hasText: "Billing export" });
    await row.getByRole("cell", { name: "Active", exact: true }).waitFor();
    await row.getByRole("cell", { name: "127.0.0.1/32, 10.20.0.0/16", exact: true }).waitFor();
    await row.getByRole("cell", { name: "No use recorded", exact: true }).waitFor();
    const expires = new Date(Date.now() + 30 * 86_400_000).toLocaleDateString("en-US", { dateStyle: "medium", timeZone: "UTC" });
    await row.getByRole("cell", { name: expires, exact: true }).waitFor();

    // Another program uses it: it is the service account, no password, no MFA.
    const me = await srv.request("GET", "/api/v1/me", { token: key });
    assert.equal(me.status, 200, `GET /api/v1/me with the new key: ${me.text}`);
    assert.equal(me.json.username, "ehr-bridge");
    assert.equal(me.json.role, "service");

    // The list is the server's: after a reload it is all there again
    // (the key is not).
    await page.reload();
    await page.getByRole("combobox", { name: "Service account", exact: true }).waitFor();
    await row.getByRole("cell", { name: "Active", exact: true }).waitFor();
    assert.equal(await pageHolds(page, key), false, "the key is not shown after a reload");

    // Revoked from the screen, with a confirmation; refused at once.
    await page.getByRole("button", { name: "Revoke Billing export", exact: true }).click();
    const confirm = page.getByRole("alertdialog", { name: "Revoke Billing export?", exact: true });
    await confirm.waitFor();
    await assertAccessible(page, "revoke API key confirmation");
    await confirm.getByRole("button", { name: "Revoke", exact: true }).click();
    await confirm.waitFor({ state: "hidden" });
    await row.getByRole("cell", { name: /^Revoked/ }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Revoke Billing export", exact: true }).count(), 0);
    const after = await srv.request("GET", "/api/v1/me", { token: key });
    assert.equal(after.status, 401, `the revoked key is refused: ${after.text}`);

    // The trail names the administrator, never the key.
    const token = await srv.token(users.auditor);
    const audit = await srv.api("GET", "/api/v1/audit?action=api_key.revoke", { token });
    const ev = audit.events.find((/** @type {any} */ e) => e.action === "api_key.revoke");
    assert.ok(ev, `api_key.revoke recorded: ${JSON.stringify(audit.events)}`);
    assert.equal(ev.actor_id, users.admin.id);
    assert.ok(!JSON.stringify(audit).includes(key), "the audit trail does not hold the key");

    await assertNoPhiInStorage(page, [key, key.slice(4)]);
  });

  s.test("a webhook: secret once, deliveries delivered, a failing receiver's status, redeliver, delete", async (t) => {
    const receiver = await startReceiver();
    try {
      const admin = await t.newContext("admin");
      const page = admin.page;
      await signIn(page, srv.origin, users.admin, { until: "none" });
      await page.getByRole("heading", { name: "Webhooks", exact: true }).waitFor();
      await page.getByText("No webhooks: hippo posts events nowhere.").waitFor();

      await page.getByRole("button", { name: "Register webhook", exact: true }).click();
      const dialog = page.getByRole("dialog", { name: "New webhook", exact: true });
      await dialog.waitFor();
      await dialog.getByRole("textbox", { name: "Webhook URL", exact: true }).fill(receiver.url);
      await dialog.getByRole("checkbox", { name: "message.created", exact: true }).check();
      await dialog.getByRole("checkbox", { name: "message.updated", exact: true }).check();
      // Not scoped to a service account: events of every conversation.
      const scope = dialog.getByRole("combobox", { name: "Service account", exact: true });
      assert.equal(await scope.inputValue(), "", "no scope unless chosen");
      await assertAccessible(page, "register webhook form");
      await dialog.getByRole("button", { name: "Register", exact: true }).click();
      const field = dialog.getByRole("textbox", { name: "Signing secret", exact: true });
      await field.waitFor();
      const secret = await field.inputValue();
      assert.match(secret, /^whsec_[A-Za-z0-9+/=]{32,}$/, "the signing secret is shown");
      await dialog.getByText(/you will not see it again/i).waitFor();
      await assertAccessible(page, "webhook secret shown once");
      await dialog.getByRole("button", { name: "Done", exact: true }).click();
      await dialog.waitFor({ state: "hidden" });
      assert.equal(await pageHolds(page, secret), false, "the secret left the page with the dialog");

      const hooks = page.getByRole("table", { name: "Webhooks", exact: true });
      const hookRow = hooks.getByRole("row").filter({ hasText: receiver.url });
      await hookRow.getByRole("cell", { name: "Every conversation", exact: true }).waitFor();
      await page.getByRole("button", { name: `Deliveries to ${receiver.url}`, exact: true }).click();
      const history = page.getByRole("region", { name: `Deliveries to ${receiver.url}`, exact: true });
      await history.getByText(/^Nothing yet/).waitFor();

      // A clinician writes; the receiver hears of it, signed with that secret.
      const token = await srv.token(users.alice);
      const conv = await srv.api("POST", "/api/v1/conversations", { token, json: { kind: "direct", member_ids: [users.bob.id] } });
      const body1 = "Ward 4 bed 2: potassium 6.1, please review";
      const m1 = await srv.api("POST", `/api/v1/conversations/${conv.id}/messages`, { token, json: { body: body1 } });
      const first = await eventually(() => receiver.received.find((r) => r.body.includes(m1.id)), "the receiver got message.created", 15_000);
      assert.ok(first);
      assert.ok(signatureValid(secret, first), `the delivery is signed with the secret shown: ${JSON.stringify(first.headers)}`);
      assert.equal(JSON.parse(first.body).type, "message.created");
      assert.ok(!first.body.includes("potassium"), "the body carries ids, not the message");

      const table = history.getByRole("table", { name: `Deliveries to ${receiver.url}`, exact: true });
      await history.getByRole("button", { name: "Refresh", exact: true }).click();
      const row1 = table.getByRole("row").filter({ hasText: "message.created" });
      await row1.getByText("Delivered", { exact: true }).waitFor();
      await row1.getByText(/#1 .* · HTTP 200 · \d+ ms/).waitFor();
      await assertAccessible(page, "delivery history");

      // The receiver fails: the attempt shows its status; the retry (5 s
      // later) reaches the receiver working again and delivers.
      receiver.state.status = 503;
      const m2 = await srv.api("PATCH", `/api/v1/messages/${m1.id}`, { token, json: { body: `${body1} (repeat taken)` } });
      assert.equal(m2.id, m1.id);
      await eventually(() => receiver.received.some((r) => r.body.includes("message.updated")), "the failing attempt reached the receiver", 15_000);
      receiver.state.status = 200;
      await history.getByRole("button", { name: "Refresh", exact: true }).click();
      const row2 = table.getByRole("row").filter({ hasText: "message.updated" });
      await row2.getByText("Pending", { exact: true }).waitFor();
      await row2.getByText(/#1 .* · HTTP 503 · \d+ ms/).waitFor();
      await row2.getByText("Delivered", { exact: true }).waitFor({ timeout: 20_000 });
      await row2.getByText(/#2 .* · HTTP 200 · \d+ ms/).waitFor();
      const updates = receiver.received.filter((r) => r.body.includes("message.updated"));
      assert.equal(updates.length, 2, "one failed attempt and one retry");
      assert.equal(updates[0].headers["webhook-id"], updates[1].headers["webhook-id"], "the retry carries the same webhook-id");

      // A delivery whose retries ran out is dead: Redeliver sends it again.
      const eventId = String(first.headers["webhook-id"]);
      markDead(srv.dataDir, eventId);
      await history.getByRole("button", { name: "Refresh", exact: true }).click();
      await row1.getByText("Dead", { exact: true }).waitFor();
      const redeliver = row1.getByRole("button", { name: /^Redeliver message\.created/ });
      await redeliver.click();
      await history.getByText(/is queued again\.$/).waitFor();
      await eventually(() => receiver.received.filter((r) => r.headers["webhook-id"] === eventId).length === 2, "the redelivery", 15_000);
      await row1.getByText("Delivered", { exact: true }).waitFor({ timeout: 10_000 });
      await row1.getByText(/#2 .* · HTTP 200 · \d+ ms/).waitFor();
      assert.equal(await row1.getByRole("button", { name: /^Redeliver/ }).count(), 0, "no Redeliver on a delivered one");

      // Older pages: 20 a page, "Older" follows the cursor.
      for (let i = 0; i < 20; i++) {
        await srv.api("POST", `/api/v1/conversations/${conv.id}/messages`, { token, json: { body: `round ${i}` } });
      }
      await eventually(() => receiver.received.length >= 2 + 1 + 1 + 20, "20 more deliveries", 30_000);
      await history.getByRole("button", { name: "Refresh", exact: true }).click();
      await history.getByRole("button", { name: "Older", exact: true }).click();
      await table.getByRole("row").filter({ hasText: "message.updated" }).waitFor();
      await eventually(async () => (await table.getByRole("row").count()) === 1 + 22, "all 22 deliveries in the table");
      assert.equal(await history.getByRole("button", { name: "Older", exact: true }).count(), 0, "no older page left");

      // Deleted with a confirmation: nothing more is posted.
      await page.getByRole("button", { name: `Delete webhook ${receiver.url}`, exact: true }).click();
      const confirm = page.getByRole("alertdialog", { name: new RegExp(`^Delete the webhook to ${escapeRe(receiver.url)}\\?$`) });
      await confirm.waitFor();
      await assertAccessible(page, "delete webhook confirmation");
      await confirm.getByRole("button", { name: "Delete", exact: true }).click();
      await confirm.waitFor({ state: "hidden" });
      await page.getByText("No webhooks: hippo posts events nowhere.").waitFor();
      assert.equal(await history.count(), 0, "the history closed with its endpoint");
      const before = receiver.received.length;
      await srv.api("POST", `/api/v1/conversations/${conv.id}/messages`, { token, json: { body: "after delete" } });
      await sleep(1_500);
      assert.equal(receiver.received.length, before, "nothing is posted to a deleted webhook");

      await assertNoPhiInStorage(page, [secret, secret.slice(6), body1]);
    } finally {
      await receiver.close();
    }
  }, { timeout: 150_000 });
});
