// Smoke test of the TypeScript client (openapi-typescript types +
// openapi-fetch) generated from hippo's served OpenAPI document: sign in
// (enrolling TOTP on the way), open a conversation, upload a file, send a
// message carrying it, read it back, download the file, sign out. Any
// unexpected answer throws, so the CI step fails.
//
// Environment: HIPPO_URL (https://localhost:PORT; NODE_EXTRA_CA_CERTS names
// the server's certificate), HIPPO_USER, HIPPO_PASSWORD, HIPPO_PEER_ID.

import { createHash, createHmac } from "node:crypto";
import createClient from "openapi-fetch";
import type { paths } from "./generated/hippo.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** RFC 4648 base32 (no padding needed). */
function base32(secret: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of secret.toUpperCase().replace(/=+$/, "")) {
    const index = alphabet.indexOf(c);
    if (index < 0) throw new Error(`bad base32 character ${c}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 code (HMAC-SHA1, 6 digits) for a 30-second step. */
function totp(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const number = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(number % 1_000_000).padStart(6, "0");
}

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`FAIL: ${what}`);
}

function ok<T>(result: { data?: T; error?: unknown; response: Response }, status: number): T {
  if (result.response.status !== status || result.data === undefined) {
    throw new Error(
      `FAIL: expected ${status}, got ${result.response.status} ${JSON.stringify(result.error)}`,
    );
  }
  return result.data;
}

const step = () => Math.floor(Date.now() / 1000 / 30);

async function main(): Promise<void> {
  const baseUrl = env("HIPPO_URL");
  const username = env("HIPPO_USER");
  const password = env("HIPPO_PASSWORD");
  const peer = env("HIPPO_PEER_ID");
  const anonymous = createClient<paths>({ baseUrl });
  const as = (token: string) =>
    createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

  // First sign-in: MFA is required, so the token only reaches enrollment.
  const first = ok(await anonymous.POST("/api/v1/auth/login", { body: { username, password } }), 200);
  check(first.mfa_enrollment_required, "expected an enrollment-only session");
  check(typeof first.token === "string", "a bearer sign-in returns its token");
  const limited = as(first.token!);
  const enrollment = ok(await limited.POST("/api/v1/me/mfa/totp"), 200);
  const confirmed = await limited.POST("/api/v1/me/mfa/totp/confirm", {
    body: { code: totp(enrollment.secret, step()) },
  });
  check(confirmed.response.status === 200, `confirm answered ${confirmed.response.status}`);
  check(confirmed.data?.recovery_codes.length === 10, "expected ten recovery codes");

  // Each code is accepted once; the next step's code is within the window.
  const signedIn = ok(
    await anonymous.POST("/api/v1/auth/login", {
      body: { username, password, totp_code: totp(enrollment.secret, step() + 1) },
    }),
    200,
  );
  check(!signedIn.mfa_enrollment_required, "still enrollment-only");
  check(!Number.isNaN(Date.parse(signedIn.expires_at)), "expires_at is a date-time");
  check(typeof signedIn.token === "string", "a bearer sign-in returns its token");
  const client = as(signedIn.token!);

  const me = ok(await client.GET("/api/v1/me"), 200);
  check(me.username === username && me.mfa_enabled, `me: ${JSON.stringify(me)}`);

  const conversation = ok(
    await client.POST("/api/v1/conversations", { body: { kind: "direct", member_ids: [peer] } }),
    201,
  );

  // The upload's body is the file itself, sent as is, its type in Content-Type.
  const content = "Discharge summary (typescript smoke)\n";
  const attachment = ok(
    await client.POST("/api/v1/attachments", {
      params: { query: { filename: "summary.txt" } },
      body: content,
      bodySerializer: (body: string) => body,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    }),
    201,
  );
  check(attachment.size === Buffer.byteLength(content), `size ${attachment.size}`);
  check(
    attachment.sha256 === createHash("sha256").update(content).digest("hex"),
    "sha256 of the upload",
  );

  const sent = ok(
    await client.POST("/api/v1/conversations/{id}/messages", {
      params: { path: { id: conversation.id } },
      body: {
        body: "Summary attached.",
        client_id: "ts-smoke-1",
        priority: "urgent",
        attachment_ids: [attachment.id],
      },
    }),
    201,
  );
  check(sent.seq === 1 && sent.priority === "urgent", `sent: ${JSON.stringify(sent)}`);

  const page = ok(
    await client.GET("/api/v1/conversations/{id}/messages", {
      params: { path: { id: conversation.id }, query: { after_seq: 0 } },
    }),
    200,
  );
  check(page.messages.length === 1 && page.messages[0]?.id === sent.id, "history");
  check(page.messages[0]?.attachments[0]?.id === attachment.id, "attachment on the message");

  const downloaded = ok(
    await client.GET("/api/v1/attachments/{id}", {
      params: { path: { id: attachment.id } },
      parseAs: "text",
    }),
    200,
  );
  check(downloaded === content, "downloaded bytes");

  const out = await client.POST("/api/v1/auth/logout");
  check(out.response.status === 204, `logout answered ${out.response.status}`);
  const after = await client.GET("/api/v1/me");
  check(after.response.status === 401, `after logout: ${after.response.status}`);
  console.log("typescript client: signed in, uploaded, sent, read back, downloaded, signed out");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
