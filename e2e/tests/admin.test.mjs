// An administrator deactivates a clinician from the admin screen; the
// clinician's open tab ends at once, a new sign-in is refused with the
// server's words, and the audit trail records who did it.

import assert from "node:assert/strict";
import { suite } from "../lib/suite.mjs";
import { ui, signIn, expectSignedOut, escapeRe } from "../lib/ui.mjs";
import { assertAccessible } from "../lib/axe.mjs";
import { assertNoPhiInStorage } from "../lib/storage.mjs";

/**
 * Gets an administrator from wherever the client lands them to the account
 * management screen (its heading is "Users" or "Accounts": not a contract
 * name, so either).
 * @param {import("playwright-core").Page} page
 */
async function openAccounts(page) {
  const name = /^(Users|Accounts)$/;
  const heading = page.getByRole("heading", { name });
  const way = page
    .getByRole("link", { name })
    .or(page.getByRole("button", { name }))
    .or(page.getByRole("tab", { name }));
  await heading.or(way).first().waitFor();
  if (!(await heading.first().isVisible())) await way.first().click();
  await heading.first().waitFor();
}

suite("admin", { "require-mfa": "true" }, (s) => {
  const srv = s.server;
  /** @type {Record<string, import("../lib/server.mjs").User>} */
  const users = {};

  s.test("arrange: users with authenticators", async () => {
    users.root = await srv.createUser({ username: "ada", displayName: "Ada Admin", role: "admin" });
    users.bob = await srv.createUser({ username: "bob", displayName: "Bob Baker" });
    users.audrey = await srv.createUser({ username: "audrey", displayName: "Audrey Auditor", role: "auditor" });
    users.cara = await srv.createUser({ username: "cara", displayName: "Cara Cruz", role: "staff" });
    for (const u of Object.values(users)) await srv.enrolMfa(u);
  });

  s.test("deactivation from the admin screen ends the other user's tab", async (t) => {
    const admin = await t.newContext("admin");
    const bob = await t.newContext("bob");

    await signIn(bob.page, srv.origin, users.bob);
    await signIn(admin.page, srv.origin, users.root, { until: "none" });
    await openAccounts(admin.page);
    await assertAccessible(admin.page, "accounts");

    const deactivate = admin.page.getByRole("button", { name: `Deactivate ${users.bob.displayName}`, exact: true });
    await deactivate.click();
    const dialog = admin.page.getByRole("alertdialog", { name: new RegExp(`^Deactivate ${escapeRe(users.bob.displayName)}`) });
    await dialog.waitFor();
    await assertAccessible(admin.page, "deactivate confirmation");
    // From now on Bob's client may have a call in flight when his session
    // ends, and his sign-in afterwards is refused on purpose.
    bob.guard.expectHttp({ path: /^\/api\/v1\//, status: 401, why: "session ended by deactivation" });
    bob.guard.expectHttp({ method: "POST", path: "/api/v1/auth/login", status: 403, why: "deactivated account signing in" });
    bob.guard.expectSocketRefusal(/^(unauthenticated|session_expired|account_deactivated)$/, "session ended by deactivation");
    const clicked = Date.now();
    await dialog.getByRole("button", { name: "Deactivate", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });

    // Bob's tab is signed out without him doing anything.
    await expectSignedOut(bob.page, 8_000);
    const ended = (Date.now() - clicked) / 1000;
    assert.ok(ended < 8, `bob's tab ended ${ended} s after the click`);
    // It tells him why.
    await bob.page.getByText(/deactivated/i).first().waitFor();
    // The admin's table shows it.
    await admin.page.getByRole("button", { name: `Reactivate ${users.bob.displayName}`, exact: true }).waitFor();

    // Signing in again is refused with the server's words.
    const direct = await srv.request("POST", "/api/v1/auth/login", {
      json: { username: "bob", password: users.bob.password },
    });
    assert.equal(direct.status, 403, `a deactivated account is refused: ${direct.text}`);
    await ui(bob.page).username.fill("bob");
    await ui(bob.page).password.fill(users.bob.password);
    await ui(bob.page).signInButton.click();
    await bob.page.getByText(new RegExp(escapeRe(direct.json.detail.replace(/\.$/, "")), "i")).first().waitFor();
    assert.equal(bob.guard.seen("POST", "/api/v1/auth/login", 403).length, 1, "the words came from the server's 403");
    assert.equal(await ui(bob.page).nav.count(), 0);

    // The trail says the administrator did it.
    const token = await srv.token(users.audrey);
    const audit = await srv.api("GET", `/api/v1/audit?action=user.deactivate&resource_id=${users.bob.id}`, { token });
    const ev = audit.events.find((/** @type {any} */ e) => e.action === "user.deactivate" && e.resource_id === users.bob.id);
    assert.ok(ev, `user.deactivate recorded: ${JSON.stringify(audit.events)}`);
    assert.equal(ev.actor_id, users.root.id);
    assert.equal(ev.outcome, "success");

    await assertNoPhiInStorage(admin.page, ["Bob Baker", "Ada Admin", "Audrey Auditor"]);
    await assertNoPhiInStorage(bob.page, ["Bob Baker"]);
  });

  s.test("an MFA reset from the admin screen ends the user's tab; the next sign-in enrols again", async (t) => {
    const admin = await t.newContext("admin");
    const cara = await t.newContext("cara");
    await signIn(cara.page, srv.origin, users.cara);
    // The administrator's second sign-in within one 30 s step: a recovery code.
    const code = users.root.recoveryCodes?.pop();
    assert.ok(code, "the administrator has recovery codes");
    await signIn(admin.page, srv.origin, users.root, { until: "none", code });
    await openAccounts(admin.page);
    await admin.page.getByRole("button", { name: `Reset MFA for ${users.cara.displayName}`, exact: true }).click();
    const dialog = admin.page.getByRole("alertdialog", { name: new RegExp(`^Reset MFA for ${escapeRe(users.cara.displayName)}`) });
    await dialog.waitFor();
    cara.guard.expectHttp({ path: /^\/api\/v1\//, status: 401, why: "session ended by the MFA reset" });
    cara.guard.expectSocketRefusal(/^(unauthenticated|session_expired|revoked)$/, "session ended by the MFA reset");
    await dialog.getByRole("button", { name: "Reset MFA", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });
    await expectSignedOut(cara.page, 8_000);
    // The password alone now leads to enrolment, with a new secret.
    await signIn(cara.page, srv.origin, { ...users.cara, totpSecret: undefined }, { goto: false, until: "mfa-enrol" });
    const token = await srv.token(users.audrey, { recovery: true });
    const audit = await srv.api("GET", `/api/v1/audit?action=user.mfa_reset&resource_id=${users.cara.id}`, { token });
    const ev = audit.events.find((/** @type {any} */ e) => e.action === "user.mfa_reset" && e.resource_id === users.cara.id);
    assert.ok(ev, `user.mfa_reset recorded: ${JSON.stringify(audit.events)}`);
    assert.equal(ev.actor_id, users.root.id);
  });
});
