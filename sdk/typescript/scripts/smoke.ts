// Live check against a running hippo (MFA not required for the user):
//   NODE_EXTRA_CA_CERTS=<data-dir>/tls/cert.pem HIPPO_URL=https://localhost:8443 \
//   HIPPO_USER=alice HIPPO_PASSWORD=… HIPPO_PEER_ID=<another user's id> npm run smoke
// Signs in with a bearer token, opens a HippoStream, sends a message with
// `api` and waits for its `message.created`; then closes the stream, sends
// three more while disconnected and checks that catch-up (two per page)
// delivers them once each, in order.
// Prints ids and seqs only (never bodies or names).
import { WebSocket } from "ws";
import { createHippoClient, downloadAttachment, HippoStream, problemOf, uploadAttachment } from "../src/index.ts";
import type { Message } from "../src/index.ts";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}

function fail(what: string, error: unknown, response?: Response): never {
  const p = problemOf(error, response);
  throw new Error(`${what}: ${p.status ?? "-"} ${p.code ?? "-"} ${p.detail}`);
}

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)),
  ]);
}

const hippo = createHippoClient({ baseUrl: env("HIPPO_URL") });
const login = await hippo.api.POST("/api/v1/auth/login", {
  body: { username: env("HIPPO_USER"), password: env("HIPPO_PASSWORD") },
});
if (!login.data) fail("sign-in", login.error, login.response);
const token = login.data.token;
if (!token) throw new Error("sign-in answered without a token");
if (login.data.mfa_enrollment_required) throw new Error("this user must enrol MFA first (run the server with --require-mfa false)");
hippo.setToken(token);

const conv = await hippo.api.POST("/api/v1/conversations", {
  body: { kind: "direct", member_ids: [env("HIPPO_PEER_ID")] },
});
if (!conv.data) fail("create conversation", conv.error, conv.response);
const conversationId = conv.data.id;
console.log(`conversation ${conversationId} (HTTP ${conv.response.status}), last_seq ${conv.data.last_seq}`);

const stream = new HippoStream({
  client: hippo,
  token,
  WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  backoff: { initialMs: 100, maxMs: 500 },
  catchUpPageSize: 2,
});
const created: Message[] = [];
const waiters: Array<() => void> = [];
stream.on("message.created", ({ message }) => {
  if (message.conversation_id !== conversationId) return;
  created.push(message);
  console.log(`message.created seq ${message.seq}`);
  for (const w of waiters.splice(0)) w();
});
stream.on("closed", (e) => console.log(`closed ${e.code} ${e.reason} willReconnect=${e.willReconnect}`));
stream.on("reconnecting", (e) => console.log(`reconnecting attempt ${e.attempt} in ${e.delayMs} ms`));
stream.on("caught_up", (e) => console.log(`caught_up ${e.conversation_id} count ${e.count}`));
stream.on("error", (f) => console.log(`error frame ${f.code}`));
const untilSeen = (n: number) =>
  new Promise<void>((resolve) => {
    const check = () => (created.length >= n ? resolve() : waiters.push(check));
    check();
  });
const ready = () =>
  new Promise<string>((resolve) => {
    const off = stream.on("ready", (f) => {
      off();
      resolve(f.session_id);
    });
  });

stream.noteSeq(conversationId, conv.data.last_seq);
let r = ready();
stream.connect();
console.log(`ready, session ${await within(5000, "ready", r)}`);

async function send(text: string): Promise<Message> {
  const sent = await hippo.api.POST("/api/v1/conversations/{id}/messages", {
    params: { path: { id: conversationId } },
    body: { body: text, client_id: crypto.randomUUID() },
  });
  if (!sent.data) fail("send", sent.error, sent.response);
  return sent.data;
}

const first = await send("SDK smoke: live");
await within(5000, "message.created for the live message", untilSeen(1));
if (created[0]?.id !== first.id) throw new Error(`expected message ${first.id}, saw ${created[0]?.id}`);

// Drop the socket from our side as a network failure would, send while
// disconnected, and expect catch-up to deliver that message exactly once.
r = ready();
stream.close();
const away = [await send("SDK smoke: away 1"), await send("SDK smoke: away 2"), await send("SDK smoke: away 3")];
stream.connect();
await within(5000, "ready after reconnecting", r);
await within(5000, "the messages sent while away", untilSeen(4));
await new Promise((res) => setTimeout(res, 500));
const seqs = created.map((m) => m.seq);
const expected = [first, ...away].map((m) => m.seq);
if (JSON.stringify(created.map((m) => m.id)) !== JSON.stringify([first, ...away].map((m) => m.id))) {
  throw new Error(`expected seqs ${expected.join(",")} once each, saw ${seqs.join(",")}`);
}
console.log(`ok: saw seqs ${seqs.join(", ")} exactly once`);

// An attachment: raw upload, a message carrying it, an authenticated download.
const bytes = `smoke ${crypto.randomUUID()}\n`;
const up = await uploadAttachment(hippo, new Blob([bytes], { type: "text/plain" }), "smoke.txt");
if (!up.data) fail("upload", up.error, up.response);
const withFile = await hippo.api.POST("/api/v1/conversations/{id}/messages", {
  params: { path: { id: conversationId } },
  body: { body: "SDK smoke: file", attachment_ids: [up.data.id] },
});
if (!withFile.data) fail("send with attachment", withFile.error, withFile.response);
await within(5000, "message.created for the attachment", untilSeen(5));
if (created[4]?.attachments[0]?.id !== up.data.id) throw new Error("the pushed message does not carry the attachment");
const down = await downloadAttachment(hippo, up.data.id);
if (!down.data) fail("download", down.error, down.response);
if ((await down.data.text()) !== bytes) throw new Error("the downloaded bytes differ");
console.log(`ok: attachment ${up.data.id} (${up.data.size} bytes) uploaded, pushed and downloaded`);
stream.close();
await hippo.api.POST("/api/v1/auth/logout");
