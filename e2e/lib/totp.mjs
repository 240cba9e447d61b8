// TOTP (RFC 6238: HMAC-SHA-1, 30 s steps, 6 digits) with node:crypto, and a
// per-secret record of the last step used: the server refuses a step that is
// not newer than the last one it accepted, so a second sign-in inside the same
// 30 s window takes the next step (accepted one step early) or waits for it.

import { createHmac } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

const STEP_SECS = 30;

/** @param {string} text RFC 4648 base32, any case, padding and spaces ignored */
export function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const clean = text.toUpperCase().replace(/[\s=-]/g, "");
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const idx = alphabet.indexOf(ch);
    if (idx < 0) throw new Error(`not base32: ${JSON.stringify(ch)}`);
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/**
 * @param {Buffer} key
 * @param {number} step
 */
export function codeAtStep(key, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", key).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const bin = (mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000;
  return String(bin).padStart(6, "0");
}

export function currentStep(nowMs = Date.now()) {
  return Math.floor(nowMs / 1000 / STEP_SECS);
}

/** @type {Map<string, number>} */
const lastUsed = new Map();

/**
 * A code the server will accept now for this secret, never reusing a step
 * handed out before (the server accepts now-1..now+1 but only steps newer
 * than the last accepted one). Waits when the next free step is too far ahead.
 * @param {string} secretBase32
 */
export async function nextTotp(secretBase32) {
  const key = base32Decode(secretBase32);
  const norm = secretBase32.toUpperCase().replace(/[\s=-]/g, "");
  for (;;) {
    const now = currentStep();
    const last = lastUsed.get(norm);
    const step = last === undefined ? now : Math.max(last + 1, now);
    if (step <= now + 1) {
      // A step one ahead is only accepted while it is within the window; keep
      // clear of the boundary where `now` could move past it.
      lastUsed.set(norm, step);
      return codeAtStep(key, step);
    }
    const nextBoundaryMs = (now + 1) * STEP_SECS * 1000;
    await sleep(Math.max(50, nextBoundaryMs - Date.now() + 200));
  }
}

/**
 * Records that a step was used (e.g. by the UI under test, which the harness
 * fed with a code from nextTotp) — nextTotp already does this; exported for
 * codes computed by other means.
 * @param {string} secretBase32
 * @param {number} step
 */
export function markUsed(secretBase32, step) {
  const norm = secretBase32.toUpperCase().replace(/[\s=-]/g, "");
  lastUsed.set(norm, Math.max(step, lastUsed.get(norm) ?? -1));
}
