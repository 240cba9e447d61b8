// The compliance console: an auditor signs in and lands on it; the
// findings, safeguards and 30-day charts come from the server's evidence
// report; an open security alert is marked reviewed from the page and
// leaves it (and the report), so does a break-glass access once reviewed
// with a note; a breach incident is recorded from a scope, charted per
// state, its notices recorded and closed; the trail is searched with names
// and a record's proof checked in the page; nothing of it is kept in the
// browser.

import assert from "node:assert/strict";
import { suite } from "../lib/suite.mjs";
import { signIn } from "../lib/ui.mjs";
import { assertAccessible } from "../lib/axe.mjs";
import { assertNoPhiInStorage } from "../lib/storage.mjs";

suite("compliance", { "require-mfa": "true", "login-max-failures": "3" }, (s) => {
  const srv = s.server;
  /** @type {Record<string, import("../lib/server.mjs").User>} */
  const users = {};

  s.test("arrange: an auditor, clinicians, an account without MFA, a lockout alert, a break-glass", async () => {
    users.olga = await srv.createUser({ username: "olga", displayName: "Olga Officer", role: "auditor" });
    users.bob = await srv.createUser({ username: "bob", displayName: "Bob Baker" });
    users.cara = await srv.createUser({ username: "cara", displayName: "Cara Cruz", role: "staff" });
    users.dan = await srv.createUser({ username: "dan", displayName: "Dan Doyle" });
    users.ada = await srv.createUser({ username: "ada", displayName: "Ada Admin", role: "admin" });
    for (const u of [users.olga, users.bob, users.dan, users.ada]) await srv.enrolMfa(u);
    // Dan breaks the glass on a conversation of Bob's he is not in.
    const bobToken = await srv.token(users.bob, { recovery: true });
    const conv = await srv.api("POST", "/api/v1/conversations", {
      token: bobToken,
      json: { kind: "group", title: "Bed 12", member_ids: [users.cara.id] },
    });
    const danToken = await srv.token(users.dan, { recovery: true });
    await srv.api("POST", `/api/v1/conversations/${conv.id}/break-glass`, {
      token: danToken,
      json: { reason: "Covering bed 12 overnight; need the handover" },
    });
    // Cara's password guessed three times: her account locks, an alert.
    for (let i = 0; i < 3; i++) {
      const r = await srv.request("POST", "/api/v1/auth/login", { json: { username: "cara", password: "not-her-password-1" } });
      assert.ok(r.status === 401 || r.status === 423, `a wrong password: ${r.status} ${r.text}`);
    }
  });

  s.test("the auditor reads the findings and charts and reviews an alert and a break-glass", async (t) => {
    const olga = await t.newContext("olga");
    const page = olga.page;
    await signIn(page, srv.origin, users.olga, { until: "none" });
    await page.getByRole("heading", { name: "Compliance", level: 1 }).waitFor();

    // What the server's report says is what the page shows.
    const token = await srv.token(users.olga, { recovery: true });
    const report = await srv.api("GET", "/api/v1/compliance/report", { token });
    const noMfa = report.findings.find((/** @type {any} */ f) => f.id === "accounts_without_mfa");
    assert.ok(noMfa, `the report finds cara without MFA: ${JSON.stringify(report.findings)}`);
    assert.match(noMfa.detail, /cara/);
    await page.getByRole("listitem", { name: `High: ${noMfa.title}` }).waitFor();
    await page.getByRole("heading", { name: `Findings (${report.findings.length})` }).waitFor();

    // Three charts of 30 days, labelled with the API's totals.
    const total = (/** @type {string} */ key) =>
      report.evidence.daily.reduce((/** @type {number} */ n, /** @type {any} */ d) => n + d[key], 0);
    assert.equal(report.evidence.daily.length, 30);
    assert.ok(total("sign_ins") >= 2, "olga's sign-ins are counted");
    for (const [title, key] of [
      ["Sign-ins", "sign_ins"],
      ["Denied accesses", "denied"],
      ["Break-glass openings", "break_glass"],
    ]) {
      const chart = page.getByRole("img", { name: new RegExp(`^${title}, last 30 days: \\d+$`) });
      await chart.waitFor();
      const label = (await chart.getAttribute("aria-label")) ?? "";
      const shown = Number(label.split(": ").pop());
      // The page loaded its report a moment before ours: sign-ins may have grown by ours.
      assert.ok(shown <= total(key) && shown >= total(key) - 1, `${title}: page ${shown}, API ${total(key)}`);
      assert.equal(await chart.locator("rect").count(), 30, `${title} has a bar per day`);
    }
    const safeguards = page.getByRole("table").filter({ has: page.getByRole("columnheader", { name: "Safeguard" }) });
    await safeguards.getByRole("cell", { name: "Multi-factor authentication" }).waitFor();
    // The printable page, saved from the server.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download printable report" }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^hippo-compliance-report-\d{4}-\d{2}-\d{2}\.html$/);
    const saved = await download.path();
    const html = (await import("node:fs")).readFileSync(saved, "utf8");
    assert.ok(html.startsWith("<!doctype html>"), html.slice(0, 80));
    assert.ok(html.includes('data-finding="accounts_without_mfa"'), "the page lists the finding");
    assert.equal((html.match(/class="bar"/g) ?? []).length, 90, "three charts of 30 bars");
    await assertAccessible(page, "compliance console");

    // The lockout alert is open; marking it reviewed closes it.
    await page.getByRole("heading", { name: /^Open security alerts \([1-9]\d*\)$/ }).waitFor();
    // (The break-glass raised one too.)
    await page.getByRole("button", { name: /^Mark reviewed: account locked alert of / }).waitFor();
    await page.getByRole("button", { name: /^Mark reviewed: break glass alert of / }).waitFor();
    const reviews = page.getByRole("button", { name: /^Mark reviewed: / });
    for (let open = await reviews.count(); open > 0; open--) {
      await reviews.first().click();
      await page.getByRole("heading", { name: `Open security alerts (${open - 1})` }).waitFor();
    }
    await page.getByText("No alert is waiting for review.").waitFor();
    const alerts = await srv.api("GET", "/api/v1/alerts", { token });
    const locked = alerts.alerts.filter((/** @type {any} */ a) => a.kind === "account_locked");
    assert.ok(locked.length >= 1 && locked.every((/** @type {any} */ a) => a.reviewed_by === users.olga.id), JSON.stringify(locked));
    const after = await srv.api("GET", "/api/v1/compliance/report", { token });
    assert.ok(!after.findings.some((/** @type {any} */ f) => f.id === "security_alerts"), "the finding is gone");

    // The emergency access, with its reason and who opened it, by name;
    // a note closes it.
    await page.getByRole("heading", { name: "Break-glass awaiting review (1)" }).waitFor();
    const grant = page.getByRole("article", { name: "Emergency access by Dan Doyle" });
    await grant.getByText("Covering bed 12 overnight; need the handover").waitFor();
    const save = grant.getByRole("button", { name: "Save review" });
    assert.equal(await save.isDisabled(), true, "no review without a note");
    await grant.getByRole("textbox", { name: "Review note for the access by Dan Doyle" }).fill("Confirmed with the night charge nurse.");
    await save.click();
    await page.getByRole("heading", { name: "Break-glass awaiting review (0)" }).waitFor();
    const queue = await srv.api("GET", "/api/v1/break-glass?status=all", { token });
    assert.equal(queue.grants.length, 1);
    assert.equal(queue.grants[0].review_note, "Confirmed with the night charge nurse.");
    assert.equal(queue.grants[0].reviewed_by, users.olga.id);
    const last = await srv.api("GET", "/api/v1/compliance/report", { token });
    assert.ok(!last.findings.some((/** @type {any} */ f) => f.id === "break_glass_unreviewed"), "the finding is gone");

    await assertNoPhiInStorage(page, ["Cara Cruz", "cara", "Bob Baker", "bed 12", "night charge nurse"]);
  });

  s.test("the auditor records a breach incident, sees whom it touched per state, records its notices and closes it", async (t) => {
    // Bob registers three patients: two in California, one in New York.
    const bobToken = await srv.token(users.bob, { recovery: true });
    for (const [n, state] of [
      [1, "CA"],
      [2, "CA"],
      [3, "NY"],
    ]) {
      await srv.api("POST", "/api/v1/patients", {
        token: bobToken,
        json: { display_name: `Incident Patient ${n}`, phone: `+1650555020${n}`, whatsapp_opt_in: false, residence_state: state },
      });
    }
    const olga = await t.newContext("olga-incident");
    const page = olga.page;
    await signIn(page, srv.origin, users.olga, { until: "none" });
    await page.getByRole("heading", { name: "Breach incidents (0)" }).waitFor();

    // Bob's laptop went missing yesterday.
    const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");
    const y = new Date(Date.now() - 86_400_000);
    const yesterday = `${y.getFullYear()}-${pad(y.getMonth() + 1)}-${pad(y.getDate())}T08:00`;
    const form = page.getByRole("form", { name: "Record an incident" });
    await form.getByRole("textbox", { name: "What happened" }).fill("Bob's laptop was left unlocked on a bus");
    await form.getByLabel("Discovered").fill(yesterday);
    await form.getByRole("combobox", { name: "Account involved" }).selectOption({ label: "Bob Baker (bob)" });
    await form.getByLabel("Window from").fill("2020-01-01T00:00");
    await form.getByLabel("Window to").fill("2099-12-31T00:00");
    await form.getByRole("button", { name: "Record incident" }).click();
    await page.getByRole("heading", { name: "Breach incidents (1)" }).waitFor();

    // The chart and the deadlines are the server's.
    const token = await srv.token(users.olga, { recovery: true });
    const [listed] = (await srv.api("GET", "/api/v1/incidents", { token })).incidents;
    assert.deepEqual(listed.by_state, { CA: 2, NY: 1 });
    assert.equal(listed.affected_count, 3);
    const card = page.getByRole("article", { name: /^Incident discovered / });
    await card.getByRole("img", { name: "Affected patients by state: CA 2, NY 1" }).waitFor();
    assert.equal(await card.locator("rect.cmp-bar").count(), 2, "a bar per state");
    const individuals = listed.notices.find((/** @type {any} */ n) => n.audience === "individuals");
    const due = new Date(Date.parse(individuals.due_at) - 1).toLocaleDateString(undefined, { dateStyle: "medium" });
    await card.getByRole("row", { name: new RegExp(`^Individuals §164\\.404 due ${due}`) }).waitFor();
    assert.equal(await card.getByRole("button", { name: "Record Media notice sent" }).count(), 0, "no state over 500");
    // The report's finding, on the page once it reloads.
    await page.getByRole("listitem", { name: "High: 2 breach notices to send" }).waitFor();
    await assertAccessible(page, "compliance console with an incident");

    // Closing as notified waits for the notices.
    olga.guard.expectHttp({
      method: "POST",
      path: /^\/api\/v1\/incidents\/[^/]+\/close$/,
      status: 409,
      code: "conflict",
      times: 1,
      why: "closing as notified before the notices are recorded",
    });
    await card.getByRole("textbox", { name: "Closing note" }).fill("Letters mailed; logged for HHS.");
    await card.getByRole("button", { name: "Close incident" }).click();
    await card.getByRole("alert").getByText(/notices still to record before closing as notified: individuals, hhs/i).waitFor();
    await card.getByRole("button", { name: "Record Individuals notice sent" }).click();
    await card.getByRole("button", { name: "Record Individuals notice sent" }).waitFor({ state: "detached" });
    await card.getByRole("button", { name: "Record HHS notice sent" }).click();
    await card.getByRole("button", { name: "Record HHS notice sent" }).waitFor({ state: "detached" });
    await card.getByRole("textbox", { name: "Closing note" }).fill("Letters mailed; logged for HHS.");
    await card.getByRole("button", { name: "Close incident" }).click();
    await card.getByText(/Closed as notified\./).waitFor();
    const closed = await srv.api("GET", `/api/v1/incidents/${listed.id}`, { token });
    assert.equal(closed.status, "closed");
    assert.ok(closed.notices.every((/** @type {any} */ n) => n.notified_at), JSON.stringify(closed.notices));
    await page.getByRole("listitem", { name: "High: 2 breach notices to send" }).waitFor({ state: "detached" });
    await assertNoPhiInStorage(page, ["Incident Patient", "laptop", "Letters mailed"]);
  });

  s.test("the auditor searches the trail by name and checks a record's proof in the browser", async (t) => {
    const bobToken = await srv.token(users.bob, { recovery: true });
    const patient = await srv.api("POST", "/api/v1/patients", {
      token: bobToken,
      json: { display_name: "Audit Patient", phone: "+16505550301", mrn: "MRN-555", whatsapp_opt_in: false },
    });
    const token = await srv.token(users.olga, { recovery: true });
    // Wait until the record is under a signed tree head (one is signed every few seconds).
    const [created] = (
      await srv.api("GET", `/api/v1/audit?action=patient.create&patient_id=${patient.id}`, { token })
    ).events;
    for (let i = 0; i < 100; i++) {
      const head = await srv.api("GET", "/api/v1/audit/tree-head", { token });
      if (head.tree_size >= created.seq) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    const olga = await t.newContext("olga-audit");
    const page = olga.page;
    await signIn(page, srv.origin, users.olga, { until: "none" });
    const form = page.getByRole("form", { name: "Search the audit trail" });
    await form.getByRole("combobox", { name: "Account" }).selectOption({ label: "Bob Baker (bob)" });
    await form.getByRole("textbox", { name: "Action (such as patient.read)" }).fill("patient.create");
    await form.getByRole("button", { name: "Search" }).click();
    const records = page.getByRole("table", { name: "Audit records" });
    const row = records.getByRole("row").filter({ has: page.getByRole("cell", { name: "Audit Patient, MRN MRN-555" }) });
    await row.getByRole("cell", { name: "Bob Baker (bob)" }).waitFor();
    await row.getByRole("cell", { name: String(created.seq), exact: true }).waitFor();

    // The proof, checked by the page against the signed head.
    await row.getByRole("button", { name: `Check proof of record ${created.seq}` }).click();
    await row.getByRole("status").getByText(/^Verified: in the signed tree of \d+ records \(key [0-9a-f]{16}…\)$/).waitFor();
    await assertAccessible(page, "audit search");

    // A proof altered on the way is refused: the check can fail.
    await page.route("**/api/v1/audit/proof/inclusion*", async (route) => {
      const response = await route.fetch();
      const proof = await response.json();
      proof.audit_path[0] = (proof.audit_path[0][0] === "0" ? "1" : "0") + proof.audit_path[0].slice(1);
      await route.fulfill({ response, json: proof });
    });
    const other = records.getByRole("row").nth(1);
    const otherSeq = await other.getByRole("cell").first().innerText();
    await other.getByRole("button", { name: `Check proof of record ${otherSeq}` }).click();
    await other.getByRole("status").getByText("Not verified: the inclusion path does not lead to the signed root").waitFor();

    // Her access report as a page: the API's counts, by name, charted.
    const api = await srv.api("GET", `/api/v1/reports/patient-access/${patient.id}`, { token });
    const reports = page.getByRole("form", { name: "Make a report" });
    await reports.getByRole("combobox", { name: "Report" }).selectOption({ label: "Patient access" });
    await reports.getByRole("textbox", { name: "Patient id" }).fill(patient.id);
    await reports.getByRole("button", { name: "Make report" }).click();
    const shown = page.getByRole("article", { name: "Patient access report" });
    const heading = await shown.getByRole("heading", { name: /^Patient access: \d+ records$/ }).innerText();
    assert.ok(Number(heading.match(/(\d+) records/)?.[1]) >= api.total, `${heading} vs API ${api.total}`);
    const bob = api.by_actor.find((/** @type {any} */ t) => t.key === users.bob.id);
    await shown.getByRole("img", { name: new RegExp(`^Records by account: .*Bob Baker \\(bob\\) ${bob.count}`) }).waitFor();
    await shown.getByRole("img", { name: /^Records by action: .*patient\.create 1/ }).waitFor();
    await shown.getByRole("table", { name: "Records by patient" }).getByRole("cell", { name: "Audit Patient, MRN MRN-555" }).waitFor();
    // The breach scope of Bob's account names every patient he touched.
    await reports.getByRole("combobox", { name: "Report" }).selectOption({ label: "Breach scope" });
    await reports.getByRole("combobox", { name: "Account" }).selectOption({ label: "Bob Baker (bob)" });
    await reports.getByLabel("From").fill("2020-01-01T00:00");
    await reports.getByLabel("To").fill("2099-12-31T00:00");
    await reports.getByRole("button", { name: "Make report" }).click();
    const scope = page.getByRole("article", { name: "Breach scope report" }).getByRole("table", { name: "Records by patient" });
    for (const name of ["Audit Patient, MRN MRN-555", "Incident Patient 1", "Incident Patient 3"]) {
      await scope.getByRole("cell", { name }).waitFor();
    }
    await assertAccessible(page, "reports");

    // Looking her up is in her access report.
    const access = await srv.api("GET", `/api/v1/reports/patient-access/${patient.id}`, { token });
    assert.ok(
      access.events.some((/** @type {any} */ e) => e.action === "audit.resolve" && e.actor_id === users.olga.id && e.detail.resolved_for === "audit"),
      JSON.stringify(access.events.map((/** @type {any} */ e) => [e.action, e.actor_id])),
    );
    await assertNoPhiInStorage(page, ["Audit Patient", "MRN-555", "Bob Baker", "Incident Patient"]);
  });

  s.test("an administrator reads the report beside the accounts, without the auditors' reviews", async (t) => {
    const ada = await t.newContext("ada");
    const page = ada.page;
    await signIn(page, srv.origin, users.ada, { until: "none" });
    await page.getByRole("heading", { name: /^(Users|Accounts)$/ }).first().waitFor();
    await page.getByRole("navigation", { name: "Administration" }).getByRole("button", { name: "Compliance" }).click();
    await page.getByRole("heading", { name: "Compliance", level: 1 }).waitFor();
    await page.getByRole("heading", { name: /^Findings \(\d+\)$/ }).waitFor();
    await page.getByRole("img", { name: /^Sign-ins, last 30 days: \d+$/ }).waitFor();
    assert.equal(await page.getByRole("button", { name: /^Mark reviewed/ }).count(), 0, "alerts are reviewed by auditors");
    assert.equal(await page.getByRole("heading", { name: /^Break-glass awaiting review/ }).count(), 0);
    assert.equal(await page.getByRole("heading", { name: /^Breach incidents/ }).count(), 0, "incidents are the auditors'");
    await assertAccessible(page, "compliance for an administrator");
    await page.getByRole("button", { name: "Accounts" }).click();
    await page.getByRole("heading", { name: /^(Users|Accounts)$/ }).first().waitFor();
  });
});
