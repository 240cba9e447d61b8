// Checks, in the browser, that an audit record is in the trail the server
// signed: the record's leaf bytes say what the record shows, its RFC 9162
// inclusion proof leads from SHA-256(0x00 ‖ leaf) to the root of the newest
// signed tree head, and the head's Ed25519 signature verifies with the
// audit signing key. WebCrypto does the hashing and the signature (Ed25519
// is native in Chromium, Firefox and Safari); the proof walk is the RFC's
// §2.1.3.2 algorithm, a dozen lines, so no library is needed for it.

import type { components } from "../../../sdk/typescript/src/generated/openapi.ts";

type AuditEvent = components["schemas"]["AuditEvent"];
type TreeHead = components["schemas"]["TreeHeadResponse"];
type Inclusion = components["schemas"]["InclusionResponse"];

/** What a check found: `ok`, or the first step that failed. */
export type ProofResult = { ok: true; treeSize: number; keyId: string } | { ok: false; reason: string };

function base64Bytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function hexBytes(hex: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not a SHA-256 hash: ${hex}`);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", all));
}

const leafHash = (leaf: Uint8Array) => sha256(Uint8Array.of(0), leaf);
const nodeHash = (l: Uint8Array, r: Uint8Array) => sha256(Uint8Array.of(1), l, r);

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** RFC 9162 §2.1.3.2: the root the path leads to from `hash` at `index`,
 * or null when the path does not fit a tree of `size` leaves. */
export async function rootFromInclusion(
  hash: Uint8Array,
  index: number,
  size: number,
  path: Uint8Array[],
): Promise<Uint8Array | null> {
  if (index >= size) return null;
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = hash;
  for (const p of path) {
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

/** Whether the leaf's 13 fields (docs/audit-leaf.md) are the record's. */
function leafMatches(leaf: Uint8Array, e: AuditEvent): string | null {
  let fields: unknown[];
  try {
    fields = JSON.parse(new TextDecoder().decode(leaf)) as unknown[];
  } catch {
    return "the leaf bytes are not the documented JSON array";
  }
  if (!Array.isArray(fields) || fields.length !== 13) return "the leaf does not have 13 fields";
  const shown: [number, unknown][] = [
    [0, e.seq],
    [1, Date.parse(e.at)],
    [2, e.actor_id ?? null],
    [3, e.session_id ?? null],
    [4, e.ip ?? null],
    [7, e.action],
    [8, e.resource_type ?? null],
    [9, e.resource_id ?? null],
    [10, e.patient_id ?? null],
    [11, e.outcome],
  ];
  for (const [i, v] of shown) {
    if (fields[i] !== v) return `the leaf's field ${i + 1} (${String(fields[i])}) differs from the record (${String(v)})`;
  }
  return null;
}

/** Checks record `e` against an inclusion proof and the signed head it
 * was made for. */
export async function checkInclusion(e: AuditEvent, head: TreeHead, proof: Inclusion): Promise<ProofResult> {
  try {
    const leaf = base64Bytes(e.leaf);
    const mismatch = leafMatches(leaf, e);
    if (mismatch) return { ok: false, reason: mismatch };
    if (proof.leaf_index !== e.seq - 1) return { ok: false, reason: "the proof is for another record" };
    if (proof.tree_size !== head.tree_size) return { ok: false, reason: "the proof is for another tree size" };
    const root = await rootFromInclusion(
      await leafHash(leaf),
      proof.leaf_index,
      proof.tree_size,
      proof.audit_path.map(hexBytes),
    );
    if (!root) return { ok: false, reason: "the inclusion path does not fit the tree" };
    if (!equal(root, hexBytes(head.root_hash))) {
      return { ok: false, reason: "the inclusion path does not lead to the signed root" };
    }
    const message = new TextEncoder().encode(
      JSON.stringify({ tree_size: head.tree_size, root_hash: head.root_hash, timestamp: head.timestamp }),
    );
    const key = await crypto.subtle.importKey("raw", base64Bytes(head.public_key), { name: "Ed25519" }, false, [
      "verify",
    ]);
    const signed = await crypto.subtle.verify({ name: "Ed25519" }, key, base64Bytes(head.signature), message);
    if (!signed) return { ok: false, reason: "the tree head's signature does not verify" };
    const keyId = Array.from(await sha256(base64Bytes(head.public_key)), (b) => b.toString(16).padStart(2, "0")).join(
      "",
    );
    if (keyId !== head.key_id) return { ok: false, reason: "the key id is not the key's hash" };
    return { ok: true, treeSize: head.tree_size, keyId };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}
