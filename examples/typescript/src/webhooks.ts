// Receiving hippo's outgoing webhooks: a small HTTP receiver that checks
// each delivery's Standard Webhooks signature over the raw body (node:crypto
// only), refuses anything unsigned, forged or stale with 401, answers a
// good delivery 204 at once, and drops repeats by `webhook-id` (hippo sends
// the same id on every retry of one event).

import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";

/** A delivery's body: `{type, timestamp, data}`, ids and states only. */
export interface HippoEvent {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** How old (or how far ahead) a `webhook-timestamp` may be, in seconds. */
const TOLERANCE_SECS = 300;
/** Larger bodies are refused unread: hippo's are a few hundred bytes. */
const MAX_BODY = 64 * 1024;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Whether a delivery is hippo's: `webhook-signature` holds a `v1,<base64>`
 * HMAC-SHA256 of `"{webhook-id}.{webhook-timestamp}.{raw body}"` keyed with
 * the secret (`whsec_` + base64 of the key), and the timestamp is recent.
 */
export function verifySignature(
  secret: string,
  headers: IncomingHttpHeaders,
  rawBody: Buffer,
  nowSecs = Date.now() / 1000,
): boolean {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures || !secret.startsWith("whsec_")) return false;
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSecs - Number(timestamp)) > TOLERANCE_SECS) return false;
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key)
    .update(`${id}.${timestamp}.`)
    .update(rawBody)
    .digest();
  // Several signatures may be sent (while a secret is rotated): any one will do.
  return signatures.split(" ").some((entry) => {
    const [version, value] = entry.split(",", 2);
    const given = Buffer.from(value ?? "", "base64");
    return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** Signs a body as hippo does (for the forged-delivery check and for tests). */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

/** The receiver: verified events in arrival order, each `webhook-id` once. */
export class WebhookReceiver {
  readonly #secret: string;
  readonly #seen = new Set<string>();
  readonly #events: HippoEvent[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #server: Server;

  constructor(secret: string, path: string) {
    this.#secret = secret;
    this.#server = createServer((req, res) => {
      if (req.method !== "POST" || req.url !== path) {
        res.writeHead(404).end();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) {
          res.writeHead(413).end();
          req.destroy();
        } else {
          chunks.push(chunk);
        }
      });
      req.on("end", () => {
        const raw = Buffer.concat(chunks);
        if (!verifySignature(this.#secret, req.headers, raw)) {
          res.writeHead(401).end();
          return;
        }
        // Answer first, work after: hippo waits webhook_timeout (10 s by default), then retries.
        res.writeHead(204).end();
        const id = header(req.headers, "webhook-id") ?? "";
        if (this.#seen.has(id)) return; // a retry of an event already handled
        this.#seen.add(id);
        const event = JSON.parse(raw.toString("utf8")) as HippoEvent;
        console.log(`webhook ${event.type} (${id}, signature verified): ${JSON.stringify(event.data)}`);
        this.#events.push(event);
        for (const wake of this.#waiters) wake();
      });
    });
  }

  /** Starts listening; resolves once the port is open. */
  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, host, () => resolve());
    });
  }

  close(): void {
    this.#server.close();
    this.#server.closeAllConnections();
  }

  /** The first event (received so far or later) that `pick` accepts. */
  waitFor(what: string, pick: (e: HippoEvent) => boolean, timeoutMs = 30_000): Promise<HippoEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.#events.find(pick);
        if (!found) return false;
        this.#waiters.delete(wake);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const wake = (): void => void check();
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(`no webhook ${what} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.#waiters.add(wake);
      check();
    });
  }
}
