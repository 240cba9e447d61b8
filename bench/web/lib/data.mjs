// Test data: the message texts (LOREM) and seedConversation(), which fills a
// direct conversation with N messages through the API.

import { performance } from "node:perf_hooks";
import { pool } from "./server.mjs";

// ---- data ------------------------------------------------------------------

const LOREM = [
  "Patient in bay 4 asking about discharge timing, can you review before rounds?",
  "Bloods back, potassium 3.2, repeat in the morning.",
  "Thanks, seen. Plan unchanged; family updated by phone at 14:00 and happy with the plan so far.",
  "Can someone cover the 3pm handover? I am stuck in theatre.",
  "Observations stable overnight. Pain controlled with regular paracetamol. Mobilising with physio, aim for discharge tomorrow if the repeat bloods are fine and the wound review is satisfactory.",
  "OK",
];

async function seedConversation(server, a, b, n, concurrency = 16) {
  const conv = await server.api("POST", "/api/v1/conversations", { token: a.token, json: { kind: "direct", member_ids: [b.id] } });
  const t0 = performance.now();
  await pool(
    Array.from({ length: n }, (_, i) => i),
    concurrency,
    async (i) => {
      const sender = i % 2 ? b : a;
      await server.api("POST", `/api/v1/conversations/${conv.id}/messages`, {
        token: sender.token,
        json: { body: `#m${String(i + 1).padStart(5, "0")}# ${LOREM[i % LOREM.length]}`, client_id: `seed-${i}` },
      });
    },
  );
  const secs = (performance.now() - t0) / 1000;
  const first = (await server.api("GET", `/api/v1/conversations/${conv.id}/messages?after_seq=0&limit=1`, { token: a.token })).messages[0];
  const last = (await server.api("GET", `/api/v1/conversations/${conv.id}/messages?after_seq=${n - 1}&limit=1`, { token: a.token })).messages[0];
  if (!first || !last || last.seq !== n) throw new Error(`seeded conversation has no message ${n} (last: ${last?.seq})`);
  const marker = (m) => /#m\d{5}#/.exec(m.body)[0];
  return { conv, secs, firstMarker: marker(first), lastMarker: marker(last) };
}

export { LOREM, seedConversation };
