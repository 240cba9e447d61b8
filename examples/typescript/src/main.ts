// An integration with hippo, end to end: sign in with a service account's
// API key, create a patient who opted in to WhatsApp, send them a template
// through hippo, learn by signed webhook that it was delivered, and read the
// patient's reply. Run against the sandbox (`hippo dev fake-whatsapp`,
// docs/SANDBOX.md), which also plays the patient's phone; see
// docs/INTEGRATORS.md and this folder's README.md.
//
// Settings (environment):
//   HIPPO_URL             hippo's origin, e.g. https://localhost:8443
//   HIPPO_API_KEY         the service account's key, hpk_…
//   HIPPO_WEBHOOK_SECRET  the webhook's secret, whsec_… (from POST /api/v1/webhooks)
//   WEBHOOK_LISTEN        where this program receives webhooks (default 127.0.0.1:8787;
//                         the webhook's url is http://<it>/hippo-webhooks)
//   SANDBOX_URL           the fake WhatsApp Cloud API (default http://127.0.0.1:8450)
//   SANDBOX_TOKEN         its access token (default fake-access-token)
//   PATIENT_PHONE         the test patient's number (default +15551230001)
// With hippo's self-signed certificate: NODE_EXTRA_CA_CERTS=<data-dir>/tls/cert.pem.

import { randomUUID } from "node:crypto";
import { createHippoClient, problemOf } from "@hippo/sdk";
import { sign, WebhookReceiver } from "./webhooks.js";

function setting(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const WEBHOOK_PATH = "/hippo-webhooks";
const REPLY = "Thanks, see you then";

async function main(): Promise<void> {
  const secret = setting("HIPPO_WEBHOOK_SECRET");
  const [host = "127.0.0.1", port = "8787"] = setting("WEBHOOK_LISTEN", "127.0.0.1:8787").split(":");
  const sandbox = setting("SANDBOX_URL", "http://127.0.0.1:8450");
  const phone = setting("PATIENT_PHONE", "+15551230001");

  // 1. Sign in: the API key is the bearer token. No password, no MFA, no idle timeout.
  const hippo = createHippoClient({ baseUrl: setting("HIPPO_URL"), token: setting("HIPPO_API_KEY") });
  const me = await hippo.api.GET("/api/v1/me");
  if (!me.data) throw new Error(`GET /api/v1/me: ${problemOf(me.error, me.response).detail}`);
  console.log(`signed in as ${me.data.username} (role ${me.data.role}) with an API key`);

  // 2. Receive webhooks, and check that a forged delivery is refused.
  const receiver = new WebhookReceiver(secret, WEBHOOK_PATH);
  await receiver.listen(host, Number(port));
  try {
    const body = JSON.stringify({ type: "patient.inbound", timestamp: new Date().toISOString(), data: {} });
    const now = Math.floor(Date.now() / 1000);
    const forged = await fetch(`http://${host}:${port}${WEBHOOK_PATH}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": "msg_forged",
        "webhook-timestamp": String(now),
        // Signed with some other secret: the receiver must say 401.
        "webhook-signature": sign("whsec_" + Buffer.alloc(32, 7).toString("base64"), "msg_forged", now, body),
      },
      body,
    });
    if (forged.status !== 401) throw new Error(`a forged delivery was answered ${forged.status}, not 401`);
    console.log(`forged delivery refused: ${forged.status}`);

    // 3. A patient who opted in to WhatsApp. The service account is on the care team.
    const created = await hippo.api.POST("/api/v1/patients", {
      body: { display_name: "Test Patient", phone, whatsapp_opt_in: true, opt_in_source: "integration example" },
    });
    if (!created.data) throw new Error(`POST /api/v1/patients: ${problemOf(created.error, created.response).detail}`);
    const patient = created.data;
    console.log(`patient created: ${patient.id} (conversation ${patient.conversation_id})`);

    // 4. A template message through hippo (approved by Meta, marked PHI-free in hippo).
    const sent = await hippo.api.POST("/api/v1/patients/{id}/whatsapp", {
      params: { path: { id: patient.id } },
      body: {
        template: { name: "appointment_reminder", language: "en_US", parameters: ["May 3", "10:30"] },
        client_id: randomUUID(), // a retried request with the same client_id sends nothing twice
      },
    });
    if (!sent.data) throw new Error(`POST …/whatsapp: ${problemOf(sent.error, sent.response).detail}`);
    const message = sent.data;
    console.log(`template sent: message ${message.id}, state ${message.channel_status?.state}`);

    // 5. The delivery state arrives as a signed `whatsapp.status` webhook.
    await receiver.waitFor(
      "whatsapp.status delivered",
      (e) => e.type === "whatsapp.status" && e.data.message_id === message.id && e.data.state === "delivered",
    );
    console.log(`delivered: message ${message.id}`);

    // 6. The patient writes back (sandbox only: the fake plays their phone)…
    const inbound = await fetch(`${sandbox}/_fake/inbound`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${setting("SANDBOX_TOKEN", "fake-access-token")}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ from: phone, text: REPLY }),
    });
    if (!inbound.ok) throw new Error(`sandbox /_fake/inbound: ${inbound.status} ${await inbound.text()}`);

    // …hippo announces it by webhook (ids only), and the key fetches the text.
    const event = await receiver.waitFor(
      "patient.inbound",
      (e) => e.type === "patient.inbound" && e.data.patient_id === patient.id,
    );
    const conversationId = String(event.data.conversation_id);
    const seq = Number(event.data.seq);
    const page = await hippo.api.GET("/api/v1/conversations/{id}/messages", {
      params: { path: { id: conversationId }, query: { after_seq: seq - 1, limit: 1 } },
    });
    if (!page.data) throw new Error(`GET …/messages: ${problemOf(page.error, page.response).detail}`);
    const reply = page.data.messages.find((m) => m.id === event.data.message_id);
    if (!reply) throw new Error(`message ${String(event.data.message_id)} is not at seq ${seq}`);
    console.log(`patient replied: ${JSON.stringify(reply.body)} (message ${reply.id}, seq ${reply.seq})`);
    if (reply.body !== REPLY) throw new Error(`expected the reply ${JSON.stringify(REPLY)}`);
    console.log("ok: the TypeScript integration example finished");
  } finally {
    receiver.close();
  }
}

main().catch((e: unknown) => {
  console.error(`FAIL: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
