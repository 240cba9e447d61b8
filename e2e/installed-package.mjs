#!/usr/bin/env node
// The installed package's web client, as its first administrator meets it
// (README "Install on Debian/Ubuntu": open https://<server>:8443/, sign in,
// scan the QR code, keep the recovery codes, sign in again with a code).
// Real Chromium (playwright-core) against an already running hippo — the one
// `.ci/package` installed and started as the unit would — for an
// administrator made with `hippo user create` who has never signed in.
//
// Not part of the browser suite (`npm test` runs tests/ only): it starts no
// server of its own. .ci/package runs it while start 1 serves:
//
//   HIPPO_ORIGIN=https://localhost:8443 HIPPO_CA_FILE=/var/lib/hippo/tls/cert.pem \
//   HIPPO_USERNAME=webadmin HIPPO_PASSWORD=… node e2e/installed-package.mjs
//
// --origin, --ca and --username override the environment; the password is
// read from HIPPO_PASSWORD only (an argument would show in ps). Exits 0 when
// the administrator is signed in on the admin screen, 1 with a FAIL line
// (plus a screenshot, the page's text and the guard's findings) otherwise.
//
// Trust: the generated certificate is self-signed and names localhost. Node
// verifies the origin against it for real (chain and host name); Chromium
// is told to accept exactly that certificate's key
// (--ignore-certificate-errors-spki-list, its SHA-256 SPKI pin), not
// ignoreHTTPSErrors: any other certificate is still refused, which a browser
// started without the pin shows first. (The other clean way, the certificate
// in an NSS database under a throwaway HOME, needs certutil, which a fresh
// machine lacks; the pin needs nothing.)

import assert from "node:assert/strict";
import { X509Certificate, createHash } from "node:crypto";
import { readFileSync, mkdirSync } from "node:fs";
import https from "node:https";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { launchBrowser, Guard } from "./lib/browser.mjs";
import { ui, signIn, expectSignedOut } from "./lib/ui.mjs";
import { readQr } from "./lib/qr.mjs";
import { base32Decode, nextTotp } from "./lib/totp.mjs";
import { assertNoPhiInStorage } from "./lib/storage.mjs";

const SHOTS = process.env.HIPPO_E2E_SHOTS || "/tmp/hippo-e2e";
const TIMEOUT_MS = 120_000;

/** @param {string} msg @returns {never} */
function usage(msg) {
  console.error(`FAIL: ${msg}`);
  console.error("usage: HIPPO_PASSWORD=… node e2e/installed-package.mjs [--origin URL] [--ca PEM] [--username NAME]");
  console.error("       (or HIPPO_ORIGIN, HIPPO_CA_FILE, HIPPO_USERNAME in the environment)");
  process.exit(2);
}

function config() {
  let values;
  try {
    ({ values } = parseArgs({
      options: { origin: { type: "string" }, ca: { type: "string" }, username: { type: "string" } },
      strict: true,
    }));
  } catch (e) {
    usage(/** @type {Error} */ (e).message);
  }
  const origin = values.origin ?? process.env.HIPPO_ORIGIN ?? "https://localhost:8443";
  const caFile = values.ca ?? process.env.HIPPO_CA_FILE ?? "";
  const username = values.username ?? process.env.HIPPO_USERNAME ?? "";
  const password = process.env.HIPPO_PASSWORD ?? "";
  if (!/^https:\/\/[^/]+$/.test(origin)) usage(`the origin must be https://host[:port] with no path, not ${JSON.stringify(origin)}`);
  if (!caFile) usage("no CA certificate (--ca or HIPPO_CA_FILE): the server's certificate to trust");
  if (!username) usage("no username (--username or HIPPO_USERNAME)");
  if (!password) usage("no password (HIPPO_PASSWORD)");
  return { origin, caFile, username, password };
}

/**
 * GET over TLS verified by node against `ca` (chain and host name).
 * @param {string} url @param {Buffer} ca
 * @returns {Promise<{ status: number, body: string, cert: import("node:tls").PeerCertificate }>}
 */
function verifiedGet(url, ca) {
  return new Promise((res, rej) => {
    const req = https.get(url, { ca, timeout: 10_000 }, (r) => {
      const cert = /** @type {import("node:tls").TLSSocket} */ (r.socket).getPeerCertificate();
      let body = "";
      r.setEncoding("utf8");
      r.on("data", (d) => (body += d));
      r.on("end", () => res({ status: r.statusCode ?? 0, body, cert }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (e) => rej(new Error(`GET ${url} over TLS verified with the given certificate: ${e.message}`)));
  });
}

async function main() {
  const cfg = config();
  const began = Date.now();
  const say = (/** @type {string} */ m) => console.log(`  ${m} (${((Date.now() - began) / 1000).toFixed(1)} s)`);

  let pem;
  try {
    pem = readFileSync(cfg.caFile);
  } catch (e) {
    throw new Error(`cannot read the certificate ${cfg.caFile}: ${/** @type {Error} */ (e).message}`);
  }
  const cert = new X509Certificate(pem);
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  const pin = createHash("sha256").update(spki).digest("base64");

  // The origin serves that very certificate, valid for its host name.
  const health = await verifiedGet(`${cfg.origin}/healthz`, pem);
  assert.equal(health.status, 200, `GET /healthz: HTTP ${health.status}`);
  assert.equal(health.cert.fingerprint256, cert.fingerprint256, "the origin serves another certificate than the one given");
  say(`${cfg.origin} verified against ${cfg.caFile} (SHA-256 ${cert.fingerprint256})`);

  // Without the pin Chromium refuses the page: the certificate is not
  // trusted by default, so the trust below comes from the pin alone.
  const plain = await launchBrowser();
  try {
    const page = await (await plain.newContext()).newPage();
    const err = await page.goto(`${cfg.origin}/`).then(
      () => null,
      (/** @type {Error} */ e) => e.message,
    );
    assert.ok(err && /ERR_CERT_/.test(err), `Chromium without the pin opened ${cfg.origin}/ (expected a certificate error): ${err}`);
    say(`without the pin: ${/net::ERR_CERT_[A-Z_]+/.exec(err)?.[0]}`);
  } finally {
    await plain.close();
  }

  const browser = await launchBrowser([`--ignore-certificate-errors-spki-list=${pin}`]);
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    locale: "en-US",
    timezoneId: "UTC",
  });
  context.setDefaultTimeout(15_000);
  const guard = new Guard(cfg.username);
  await guard.attach(context);
  const page = await context.newPage();
  const u = ui(page);
  /** @type {string[]} secrets that must stay out of browser storage and the console */
  const secrets = [cfg.password];
  try {
    // The sign-in screen, served by the installed binary under its CSP.
    const resp = await page.goto(`${cfg.origin}/`);
    assert.ok(resp && resp.ok(), `GET ${cfg.origin}/ in Chromium: HTTP ${resp?.status()}`);
    await u.username.waitFor();
    await u.signInButton.waitFor();
    say("sign-in screen");

    // First sign-in: the password alone leads to MFA enrolment.
    /** @type {import("./lib/server.mjs").User} */
    const user = { id: "", username: cfg.username, displayName: "", role: "admin", password: cfg.password };
    await signIn(page, cfg.origin, user, { until: "mfa-enrol", goto: false });
    await page.getByRole("heading", { name: "Set up two-step sign-in", exact: true }).waitFor();
    // Scan the QR code as a phone would, from the pixels on screen.
    const uri = new URL(await readQr(u.qr));
    assert.equal(`${uri.protocol}//${uri.host}`, "otpauth://totp", `the QR code is not a TOTP URI: ${uri.protocol}//${uri.host}`);
    assert.equal(uri.searchParams.get("algorithm") ?? "SHA1", "SHA1");
    assert.equal(uri.searchParams.get("digits") ?? "6", "6");
    assert.equal(uri.searchParams.get("period") ?? "30", "30");
    const secret = (uri.searchParams.get("secret") ?? "").toUpperCase();
    assert.ok(base32Decode(secret).length >= 10, `the QR code's secret carries at least 80 bits: ${secret}`);
    secrets.push(secret);
    // The same key, shown as text for typing it in by hand.
    const shown = (await page.getByText(/^Key:/).innerText()).replace(/^Key:|[\s-]/g, "").toUpperCase();
    assert.equal(shown, secret, "the key shown as text is the QR code's secret");
    say("enrolment screen: QR code read, its key shown as text");

    const code = await nextTotp(secret);
    secrets.push(code);
    await u.authCode.fill(code);
    await page.getByRole("button", { name: "Confirm", exact: true }).click();

    // Ten recovery codes, shown once.
    await page.getByRole("heading", { name: "Recovery codes", exact: true }).waitFor();
    const list = page.getByRole("list", { name: "Recovery codes", exact: true });
    const recovery = (await list.getByRole("listitem").allInnerTexts()).map((x) => x.trim());
    assert.equal(recovery.length, 10, `ten recovery codes are listed: ${JSON.stringify(recovery)}`);
    assert.equal(new Set(recovery).size, 10, "the recovery codes differ");
    secrets.push(...recovery);
    say("ten recovery codes shown");
    await page.getByRole("button", { name: "I have saved these", exact: true }).click();

    // The enrolment session ends; signing in now takes the authenticator.
    await expectSignedOut(page);
    await signIn(page, cfg.origin, { ...user, totpSecret: secret }, { until: "none", goto: false });

    // The administrator's screen: the Users heading and table, herself in it.
    const heading = page.getByRole("heading", { level: 1, name: "Users", exact: true });
    await heading.waitFor();
    const table = page.getByRole("table", { name: "Users", exact: true });
    await table.getByRole("row").filter({ hasText: cfg.username }).first().waitFor();
    await page.getByRole("button", { name: "Create user", exact: true }).waitFor();
    await u.signOut.waitFor();
    assert.equal(await u.nav.count(), 0, "an administrator's screen shows no conversation list");
    assert.equal(await u.username.count(), 0, "the sign-in form is still shown");
    say("signed in with the authenticator: the admin screen (Users) lists her");

    // Nothing secret kept in the browser or written to its console.
    await assertNoPhiInStorage(page, secrets);
    say("no password, key, code or recovery code in browser storage or the console");

    await new Promise((r) => setTimeout(r, 150));
    const findings = guard.findings();
    assert.deepEqual(findings, [], `the page reported problems:\n${findings.map((f) => `  ${f.kind}: ${f.text}${f.page ? ` (at ${f.page})` : ""}`).join("\n")}`);
  } catch (e) {
    const dir = join(SHOTS, "installed-package");
    let shot = "";
    try {
      mkdirSync(dir, { recursive: true });
      shot = join(dir, `failure-${Date.now()}.png`);
      await page.screenshot({ path: shot, fullPage: true, timeout: 5000 });
    } catch (se) {
      shot = `(not taken: ${/** @type {Error} */ (se).message.split("\n")[0]})`;
    }
    const text = await page
      .locator("body")
      .innerText({ timeout: 2000 })
      .catch(() => "(unreadable)");
    const findings = guard.findings();
    const err = e instanceof Error ? e : new Error(String(e));
    let report = `${err.message}\n--- at ${page.url()}, screenshot ${shot}\n--- page text:\n${text.slice(0, 1500)}`;
    if (findings.length) report += `\n--- page findings:\n${findings.map((f) => `  ${f.kind}: ${f.text}`).join("\n")}`;
    // The report must not leak what the storage check protects.
    for (const s of secrets) if (s) report = report.split(s).join("<secret>");
    throw new Error(report);
  } finally {
    await browser.close().catch(() => {});
  }
  console.log(`ok: ${cfg.username} signed in through the web client with MFA, on the admin screen (${((Date.now() - began) / 1000).toFixed(1)} s)`);
}

const deadline = setTimeout(() => {
  console.error(`FAIL: the web client sign-in did not finish within ${TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, TIMEOUT_MS);
deadline.unref();

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`FAIL: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  },
);
