// MFA in the browser: enrolment by reading the QR code's secret (from the
// pixels on screen) and computing the code, recovery codes shown once and each good for
// one sign-in, the MFA step at sign-in, and a reset by an administrator
// sending the user back to enrolment.

import assert from "node:assert/strict";
import { suite } from "../lib/suite.mjs";
import { ui, signIn, expectSignedOut, eventually, expectMfaStep } from "../lib/ui.mjs";
import { assertAccessible } from "../lib/axe.mjs";
import { assertNoPhiInStorage } from "../lib/storage.mjs";
import { base32Decode, nextTotp } from "../lib/totp.mjs";
import { readQr } from "../lib/qr.mjs";

/**
 * The TOTP secret the enrolment screen shows as text (base32, maybe in
 * groups separated by spaces).
 * @param {import("playwright-core").Page} page
 */
async function secretOnScreen(page) {
  const text = await page.locator("body").innerText();
  const m = /(?<![A-Z2-7])((?:[A-Z2-7]{4}[ -]?){4,}[A-Z2-7]*)(?![A-Z2-7])/.exec(text);
  assert.ok(m, `a base32 secret is shown as text on the enrolment screen:\n${text.slice(0, 1500)}`);
  const secret = m[1].replace(/[ -]/g, "");
  assert.ok(base32Decode(secret).length >= 10, `the secret carries at least 80 bits: ${secret}`);
  return secret;
}

suite("mfa", { "require-mfa": "true" }, (s) => {
  const srv = s.server;
  /** @type {Record<string, import("../lib/server.mjs").User>} */
  const users = {};
  /** @type {string[]} */
  let recovery = [];

  s.test("arrange: users", async () => {
    users.hana = await srv.createUser({ username: "hana", displayName: "Hana Hill" });
  });

  s.test("enrolment: read the secret from the QR code, compute the code, get 10 recovery codes", async (t) => {
    const h = await t.newContext("hana");
    await signIn(h.page, srv.origin, users.hana, { until: "mfa-enrol" });
    await assertAccessible(h.page, "MFA enrolment");
    // Read the QR code as a phone would, from the pixels on screen.
    const uri = new URL(await readQr(ui(h.page).qr));
    assert.equal(uri.protocol, "otpauth:");
    assert.equal(uri.host, "totp");
    assert.equal(uri.searchParams.get("algorithm") ?? "SHA1", "SHA1");
    assert.equal(uri.searchParams.get("digits") ?? "6", "6");
    assert.equal(uri.searchParams.get("period") ?? "30", "30");
    const secret = uri.searchParams.get("secret") ?? "";
    assert.ok(base32Decode(secret).length >= 10, `the secret carries at least 80 bits: ${secret}`);
    // The same key is shown as text, for typing it in by hand.
    assert.equal(await secretOnScreen(h.page), secret.toUpperCase());
    assert.ok(!decodeURIComponent(uri.pathname).includes("Hana Hill"), "the QR label carries no display name");
    users.hana.totpSecret = secret;

    await ui(h.page).authCode.fill(await nextTotp(secret));
    await ui(h.page).authCode.press("Enter");

    // Ten recovery codes, shown once, as text.
    const list = h.page.getByRole("list", { name: "Recovery codes", exact: true });
    await list.waitFor();
    await assertAccessible(h.page, "recovery codes");
    recovery = (await list.getByRole("listitem").allInnerTexts()).map((x) => x.trim());
    assert.equal(recovery.length, 10, `ten recovery codes are listed: ${JSON.stringify(recovery)}`);
    assert.equal(new Set(recovery).size, 10, "the codes differ");

    await h.page.getByRole("button", { name: "I have saved these", exact: true }).click();
    // The enrolment session is over; signing in now takes the authenticator.
    await expectSignedOut(h.page);
    await assertNoPhiInStorage(h.page, [...recovery, secret, "Hana Hill"]);
    await signIn(h.page, srv.origin, users.hana, { goto: false });
    await assertNoPhiInStorage(h.page, [...recovery, secret, "Hana Hill"]);
  });

  s.test("sign-in asks for the authenticator code; a wrong code is refused", async (t) => {
    const h = await t.newContext("hana");
    await h.page.goto(`${srv.origin}/`);
    await ui(h.page).username.fill("hana");
    await ui(h.page).password.fill(users.hana.password);
    expectMfaStep(h.page);
    await ui(h.page).signInButton.click();
    await ui(h.page).authCode.waitFor();
    await assertAccessible(h.page, "sign-in, MFA step");
    // A wrong code is refused: an alert says so, the code box stays.
    const direct = await srv.request("POST", "/api/v1/auth/login", {
      json: { username: "hana", password: users.hana.password, totp_code: "000000" },
    });
    assert.equal(direct.status, 401);
    h.guard.expectHttp({ method: "POST", path: "/api/v1/auth/login", status: 401, code: direct.json.code, times: 1, why: "wrong TOTP code on purpose" });
    await ui(h.page).authCode.fill("000000");
    await ui(h.page).authCode.press("Enter");
    await h.page.getByRole("alert").filter({ hasText: /code/i }).first().waitFor();
    assert.equal(await ui(h.page).nav.count(), 0, "not signed in with a wrong code");
    assert.equal(h.guard.seen("POST", "/api/v1/auth/login", 401).length, 2, "the server was asked twice (password alone, then the wrong code) and refused both");
    await ui(h.page).authCode.waitFor();

    await ui(h.page).authCode.fill(await nextTotp(/** @type {string} */ (users.hana.totpSecret)));
    await ui(h.page).authCode.press("Enter");
    await ui(h.page).nav.waitFor();
    await ui(h.page).signOut.click();
    await expectSignedOut(h.page);
  });

  s.test("a recovery code signs in once", async (t) => {
    const h = await t.newContext("hana");
    const code = recovery[0];
    assert.ok(code, "enrolment gave recovery codes");
    await h.page.goto(`${srv.origin}/`);
    await ui(h.page).username.fill("hana");
    await ui(h.page).password.fill(users.hana.password);
    expectMfaStep(h.page);
    await ui(h.page).signInButton.click();
    await ui(h.page).authCode.fill(code);
    await ui(h.page).authCode.press("Enter");
    await ui(h.page).nav.waitFor();
    // Spent: the same code is refused now.
    const again = await srv.request("POST", "/api/v1/auth/login", {
      json: { username: "hana", password: users.hana.password, totp_code: code },
    });
    assert.equal(again.status, 401, `a spent recovery code is refused: ${again.text}`);
  });

  s.test("after an MFA reset the next sign-in enrols again", async (t) => {
    const r = await srv.cli(["user", "mfa-reset", "hana"]);
    assert.equal(r.code, 0, `hippo user mfa-reset: ${r.stderr}${r.stdout}`);
    const h = await t.newContext("hana");
    const u = { ...users.hana, totpSecret: undefined };
    await signIn(h.page, srv.origin, u, { until: "mfa-enrol" });
    const secret = await secretOnScreen(h.page);
    assert.notEqual(secret, users.hana.totpSecret, "a new secret");
    await eventually(async () => (await ui(h.page).authCode.count()) > 0, "the code box");
  });
});
