// An administrator ends another user's sign-ins from the admin screen:
// `Sessions of <username>` lists the clinician's live sign-in, `Sign out
// everywhere` (confirmed) ends it and her open tab goes back to sign-in
// (her socket got session.ended). Then `Sign everyone out` (confirmed)
// signs a second clinician out while the administrator stays signed in.

import assert from "node:assert/strict";
import { suite } from "../lib/suite.mjs";
import { signIn, expectSignedOut, escapeRe, ui } from "../lib/ui.mjs";
import { assertAccessible } from "../lib/axe.mjs";

suite("admin-sessions", { "require-mfa": "false" }, (s) => {
  const srv = s.server;
  /** @type {Record<string, import("../lib/server.mjs").User>} */
  const users = {};

  s.test("arrange: an administrator and two clinicians", async () => {
    users.admin = await srv.createUser({ username: "ines", displayName: "Ines Admin", role: "admin" });
    users.alice = await srv.createUser({ username: "alice", displayName: "Alice Adams" });
    users.bob = await srv.createUser({ username: "bob", displayName: "Bob Baker" });
  });

  s.test("sign out everywhere, then sign everyone out", async (t) => {
    const admin = await t.newContext("admin");
    const alice = await t.newContext("alice");
    const bob = await t.newContext("bob");
    const page = admin.page;

    await signIn(alice.page, srv.origin, users.alice);
    await signIn(page, srv.origin, users.admin, { until: "none" });
    await page.getByRole("heading", { name: "Users", exact: true }).waitFor();

    // Alice's one live sign-in.
    await page.getByRole("button", { name: `Sessions of ${users.alice.username}`, exact: true }).click();
    const dialog = page.getByRole("dialog", { name: `Sessions of ${users.alice.username}`, exact: true });
    await dialog.waitFor();
    const table = dialog.getByRole("table", { name: `Sign-ins of ${users.alice.username}`, exact: true });
    await table.waitFor();
    assert.equal(await table.locator("tbody tr").count(), 1, "one live sign-in");
    await dialog.getByText("1 live sign-in", { exact: true }).waitFor();
    await dialog.getByText("127.0.0.1").first().waitFor();
    await assertAccessible(page, "sessions dialog");

    alice.guard.expectHttp({ path: /^\/api\/v1\//, status: 401, why: "sessions ended by the administrator" });
    alice.guard.expectSocketRefusal(/^(unauthenticated|session_expired|revoked)$/, "sessions ended by the administrator");
    await dialog.getByRole("button", { name: "Sign out everywhere", exact: true }).click();
    const confirm = page.getByRole("alertdialog", { name: new RegExp(`^Sign ${escapeRe(users.alice.displayName)} out everywhere`) });
    await confirm.waitFor();
    await assertAccessible(page, "sign out everywhere confirmation");
    await confirm.getByRole("button", { name: "Sign out everywhere", exact: true }).click();
    await confirm.waitFor({ state: "hidden" });

    // The dialog says how many ended, and lists none now.
    await dialog.getByRole("status").getByText(/^1 session ended/).waitFor();
    await dialog.getByText(`${users.alice.displayName} is not signed in anywhere.`).waitFor();
    // Alice's tab is on the sign-in screen without her doing anything.
    await expectSignedOut(alice.page, 8_000);
    await dialog.getByRole("button", { name: "Close", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });

    // Every user but the administrator.
    await signIn(bob.page, srv.origin, users.bob);
    bob.guard.expectHttp({ path: /^\/api\/v1\//, status: 401, why: "everyone signed out" });
    bob.guard.expectSocketRefusal(/^(unauthenticated|session_expired|revoked)$/, "everyone signed out");
    await page.getByRole("button", { name: "Sign everyone out", exact: true }).click();
    const all = page.getByRole("alertdialog", { name: "Sign everyone out?", exact: true });
    await all.waitFor();
    await all.getByText(/every user except you must sign in again/i).waitFor();
    await all.getByText(/API keys keep working/i).waitFor();
    await assertAccessible(page, "sign everyone out confirmation");
    await all.getByRole("button", { name: "Sign everyone out", exact: true }).click();
    await all.waitFor({ state: "hidden" });
    await page.getByRole("status").getByText(/^Everyone else is signed out: 1 session ended\.$/).waitFor();

    await expectSignedOut(bob.page, 8_000);
    // The administrator is still signed in: the screen still answers.
    await page.getByRole("button", { name: `Sessions of ${users.bob.username}`, exact: true }).click();
    const bobs = page.getByRole("dialog", { name: `Sessions of ${users.bob.username}`, exact: true });
    await bobs.getByText(`${users.bob.displayName} is not signed in anywhere.`).waitFor();
    // The administrator's own sign-in survived.
    await page.getByRole("button", { name: "Close", exact: true }).click();
    await page.getByRole("button", { name: `Sessions of ${users.admin.username}`, exact: true }).click();
    const mine = page.getByRole("dialog", { name: `Sessions of ${users.admin.username}`, exact: true });
    await mine.getByText("1 live sign-in", { exact: true }).waitFor();
    assert.equal(await mine.getByRole("button", { name: "Sign out everywhere" }).count(), 0, "not offered for one's own account");
    assert.equal(await ui(page).username.count(), 0, "the administrator is not on the sign-in screen");
  });
});
