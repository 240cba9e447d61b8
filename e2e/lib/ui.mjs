// Driving the web client the way a screen-reader user would: by role and
// accessible name (the names are part of the contract), plus expect-style
// polling. No CSS selectors, no test ids.

import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { nextTotp } from "./totp.mjs";
import { guardOf } from "./browser.mjs";

/**
 * The client learns that an account has MFA from the server's first answer,
 * 401 mfa_required (then it asks for the code): declares that one response.
 * @param {import("playwright-core").Page} page
 */
export function expectMfaStep(page) {
  guardOf(page).expectHttp({
    method: "POST",
    path: "/api/v1/auth/login",
    status: 401,
    code: "mfa_required",
    times: 1,
    why: "the MFA step: the password alone is answered mfa_required",
  });
}

/**
 * Polls `probe` until it returns a truthy value (or stops throwing); fails
 * with `what` and the last value or error after `timeout` ms.
 * @template T
 * @param {() => Promise<T> | T} probe
 * @param {string} what
 * @param {number} [timeout]
 * @returns {Promise<T>}
 */
export async function eventually(probe, what, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let last;
  for (let delay = 50; ; delay = Math.min(delay * 2, 250)) {
    try {
      const v = await probe();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e instanceof Error ? e.message.split("\n")[0] : e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(delay);
  }
}

/** @param {import("playwright-core").Page} page */
export const ui = (page) => ({
  username: page.getByRole("textbox", { name: "Username", exact: true }),
  // A password input has no ARIA role; its accessible name is its label.
  password: page.getByLabel("Password", { exact: true }),
  authCode: page.getByRole("textbox", { name: "Authentication code", exact: true }),
  signInButton: page.getByRole("button", { name: "Sign in", exact: true }),
  signOut: page.getByRole("button", { name: "Sign out", exact: true }),
  nav: page.getByRole("navigation", { name: "Conversations", exact: true }),
  newConversation: page.getByRole("button", { name: "New conversation", exact: true }),
  findColleague: page.getByRole("searchbox", { name: "Find a colleague", exact: true }),
  log: page.getByRole("log", { name: "Messages", exact: true }),
  message: page.getByRole("textbox", { name: "Message", exact: true }),
  send: page.getByRole("button", { name: "Send", exact: true }),
  attach: page.getByRole("button", { name: "Attach file", exact: true }),
  urgent: page.getByRole("checkbox", { name: "Urgent", exact: true }),
  qr: page.getByRole("img", { name: "Authenticator QR code", exact: true }),
  stillThere: page.getByRole("alertdialog", { name: "Still there?", exact: true }),
});

/**
 * The link for a conversation in the list (named by its title or the other
 * members' names; its unread badge is inside it, so the name may carry more).
 * @param {import("playwright-core").Page} page
 * @param {string} name
 */
export function conversationLink(page, name) {
  return ui(page).nav.getByRole("link", { name: new RegExp(escapeRe(name)) });
}

/**
 * The message articles in the open conversation that contain `text`.
 * @param {import("playwright-core").Page} page
 * @param {string} text
 */
export function messageArticle(page, text) {
  return ui(page).log.getByRole("article").filter({ hasText: text });
}

/** @param {string} s */
export function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Fills the sign-in form and submits it; answers the MFA step with the next
 * TOTP code when the user has an authenticator (or with `code` if given).
 * Resolves when the main screen (the Conversations navigation) is up, unless
 * `until` says otherwise.
 * @param {import("playwright-core").Page} page
 * @param {string} origin
 * @param {import("./server.mjs").User} user
 * @param {{ code?: string, until?: "main" | "mfa-enrol" | "none", goto?: boolean }} [opts]
 */
export async function signIn(page, origin, user, opts = {}) {
  const u = ui(page);
  if (opts.goto !== false) await page.goto(`${origin}/`);
  await u.username.fill(user.username);
  await u.password.fill(user.password);
  if (user.totpSecret || opts.code) expectMfaStep(page);
  await u.signInButton.click();
  if (user.totpSecret || opts.code) {
    await u.authCode.waitFor({ state: "visible" });
    await u.authCode.fill(opts.code ?? (await nextTotp(/** @type {string} */ (user.totpSecret))));
    await u.authCode.press("Enter");
  }
  const until = opts.until ?? "main";
  if (until === "main") await u.nav.waitFor({ state: "visible" });
  if (until === "mfa-enrol") await u.qr.waitFor({ state: "visible" });
}

/**
 * Waits for the sign-in screen.
 * @param {import("playwright-core").Page} page
 * @param {number} [timeout]
 */
export async function expectSignedOut(page, timeout = 10_000) {
  const u = ui(page);
  await u.username.waitFor({ state: "visible", timeout });
  await u.signInButton.waitFor({ state: "visible", timeout });
  assert.equal(await u.nav.count(), 0, "the conversation list is still shown on the sign-in screen");
}

/**
 * Starts (or opens) a direct conversation with a colleague through "New
 * conversation" and "Find a colleague": the person is picked by name, then
 * the dialog's start button.
 * @param {import("playwright-core").Page} page
 * @param {import("./server.mjs").User} other
 * @param {{ whileOpen?: () => Promise<void> }} [opts] runs with the dialog open (e.g. axe)
 */
export async function startConversationWith(page, other, opts = {}) {
  const u = ui(page);
  await u.newConversation.click();
  await u.findColleague.fill(other.displayName.split(" ")[0]);
  const person = page.getByRole("checkbox", { name: new RegExp(escapeRe(other.displayName)) });
  await person.check();
  if (opts.whileOpen) await opts.whileOpen();
  await page.getByRole("button", { name: /^Start conversation$/ }).click();
  await u.message.waitFor();
}

/**
 * The unread count a conversation link shows (its badge reads "N unread"),
 * or 0 without a badge.
 * @param {import("playwright-core").Locator} link
 */
export async function unreadOf(link) {
  const m = /(\d+)\s+unread/i.exec(await link.innerText());
  return m ? Number(m[1]) : 0;
}

/**
 * Types a message into the open conversation and sends it with the Send
 * button.
 * @param {import("playwright-core").Page} page
 * @param {string} body
 */
export async function sendMessage(page, body) {
  const u = ui(page);
  await u.message.fill(body);
  await u.send.click();
  await messageArticle(page, body).first().waitFor({ state: "visible" });
}

/**
 * The delivery state shown in a message article: "Sent", "Delivered" or
 * "Read" (as text), or null.
 * @param {import("playwright-core").Locator} article
 */
export async function deliveryState(article) {
  for (const s of ["Read", "Delivered", "Sent"]) {
    if ((await article.getByText(s, { exact: true }).count()) > 0) return s;
  }
  return null;
}
