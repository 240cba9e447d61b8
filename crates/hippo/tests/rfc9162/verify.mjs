#!/usr/bin/env node
// Independent verifier for RFC 9162 (Certificate Transparency 2.0) Merkle tree
// proofs and Ed25519-signed tree heads, as written by hippo.
//
// Written from the RFC text alone (§2.1.3.2 "Verifying an Inclusion Proof",
// §2.1.4.2 "Verifying Consistency between Two Tree Heads"); it shares no code
// with hippo. Node.js 20, no dependencies beyond node:crypto and node:fs.
//
//   node verify.mjs inclusion   PROOF_FILE (--public-key BASE64 | --no-signature)
//   node verify.mjs consistency FILE       (--public-key BASE64 | --no-signature)
//
// Exit status: 0 valid, 1 invalid (one line on stderr saying what failed),
// 2 usage or parse error (one line on stderr).
//
// All tree sizes and indices are handled as BigInt, so the bit arithmetic of
// the RFC algorithms is exact for every size JSON can carry as a safe integer.

import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

// ---------------------------------------------------------------------------
// Hashing (RFC 9162 §2.1.1: SHA-256, 0x00 prefix for leaves, 0x01 for nodes)
// ---------------------------------------------------------------------------

const HASH_LEN = 32;

function sha256(...parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** MTH({d}) = SHA-256(0x00 || d) */
export function leafHash(leafBytes) {
  return sha256(Buffer.from([0x00]), Buffer.from(leafBytes));
}

/** SHA-256(0x01 || left || right) */
export function nodeHash(left, right) {
  return sha256(Buffer.from([0x01]), left, right);
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/** Thrown for malformed input (exit 2), as opposed to a failed check (exit 1). */
export class ParseError extends Error {}

function toBig(x, what) {
  if (typeof x === 'bigint') {
    if (x < 0n) throw new ParseError(`${what} must be a non-negative integer`);
    return x;
  }
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) {
    throw new ParseError(`${what} must be a non-negative integer`);
  }
  return BigInt(x);
}

const lsb = (x) => (x & 1n) === 1n;

function isHash(b) {
  return Buffer.isBuffer(b) && b.length === HASH_LEN;
}

function hashesEqual(a, b) {
  return isHash(a) && isHash(b) && a.equals(b);
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Lowercase 64-character hex string -> 32-byte Buffer (ParseError otherwise). */
export function parseHashHex(s, what) {
  if (typeof s !== 'string' || !HEX64.test(s)) {
    throw new ParseError(`${what} is not a lowercase hex SHA-256 hash`);
  }
  return Buffer.from(s, 'hex');
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 -> Buffer, or null if it is not canonical base64. */
export function decodeBase64(s) {
  if (typeof s !== 'string' || !B64.test(s)) return null;
  const b = Buffer.from(s, 'base64');
  if (b.toString('base64') !== s) return null;
  return b;
}

function parsePath(arr, what) {
  if (!Array.isArray(arr)) throw new ParseError(`${what} must be an array`);
  return arr.map((h, i) => parseHashHex(h, `${what}[${i}]`));
}

// ---------------------------------------------------------------------------
// RFC 9162 §2.1.3.2 — Verifying an Inclusion Proof
// ---------------------------------------------------------------------------

/**
 * Returns null when `inclusionPath` proves that the leaf with hash `hash` is at
 * `leafIndex` in the tree of `treeSize` leaves whose root is `rootHash`;
 * otherwise a string saying which step failed. Hashes are 32-byte Buffers.
 */
export function inclusionFailure(hash, leafIndex, treeSize, inclusionPath, rootHash) {
  const index = toBig(leafIndex, 'leaf_index');
  const size = toBig(treeSize, 'tree_size');
  if (!isHash(hash) || !isHash(rootHash) || !Array.isArray(inclusionPath) || !inclusionPath.every(isHash)) {
    throw new ParseError('hashes must be 32-byte buffers');
  }
  // 1. Compare leaf_index against tree_size. If leaf_index is greater than or
  //    equal to tree_size, then fail the proof verification.
  if (index >= size) return `leaf_index ${index} is not below tree_size ${size}`;
  // 2. Set fn to leaf_index and sn to tree_size - 1.
  let fn = index;
  let sn = size - 1n;
  // 3. Set r to hash.
  let r = hash;
  // 4. For each value p in the inclusion_path array:
  for (const p of inclusionPath) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0n) return 'inclusion path is longer than the tree allows';
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (lsb(fn) || fn === sn) {
      //  i. Set r to HASH(0x01 || p || r).
      r = nodeHash(p, r);
      // ii. If LSB(fn) is not set, then right-shift both fn and sn equally
      //     until either LSB(fn) is set or fn is 0.
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      // Otherwise: Set r to HASH(0x01 || r || p).
      r = nodeHash(r, p);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn >>= 1n;
    sn >>= 1n;
  }
  // 5. Compare sn to 0. Compare r against the root_hash. If sn is equal to 0
  //    and r and the root_hash are equal, then the log has proven the
  //    inclusion of hash. Otherwise, fail the proof verification.
  if (sn !== 0n) return 'inclusion path is shorter than the tree requires';
  if (!r.equals(rootHash)) return 'inclusion path does not lead to root_hash';
  return null;
}

export function verifyInclusion(hash, leafIndex, treeSize, inclusionPath, rootHash) {
  try {
    return inclusionFailure(hash, leafIndex, treeSize, inclusionPath, rootHash) === null;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// RFC 9162 §2.1.4.2 — Verifying Consistency between Two Tree Heads
// ---------------------------------------------------------------------------

/**
 * Returns null when `consistencyPath` proves that the tree of `first` leaves
 * with root `firstHash` is a prefix of the tree of `second` leaves with root
 * `secondHash`; otherwise a string saying what failed.
 *
 * Outside the RFC algorithm proper (which requires 0 < first < second):
 * first == second is consistent exactly when the path is empty and the roots
 * are equal; first == 0 and first > second are rejected.
 */
export function consistencyFailure(first, second, consistencyPath, firstHash, secondHash) {
  const m = toBig(first, 'first tree_size');
  const n = toBig(second, 'second tree_size');
  if (!isHash(firstHash) || !isHash(secondHash) || !Array.isArray(consistencyPath) || !consistencyPath.every(isHash)) {
    throw new ParseError('hashes must be 32-byte buffers');
  }
  if (m === 0n) return 'first tree_size is 0 (nothing to prove consistency of)';
  if (m > n) return `first tree_size ${m} is greater than second tree_size ${n}`;
  if (m === n) {
    if (consistencyPath.length !== 0) return 'equal tree sizes need an empty consistency path';
    if (!firstHash.equals(secondHash)) return 'equal tree sizes with different root hashes';
    return null;
  }
  // 1. If consistency_path is an empty array, then stop and fail.
  if (consistencyPath.length === 0) return 'consistency path is empty';
  // 2. If first is an exact power of 2, then prepend first_hash to the
  //    consistency_path array.
  const path = (m & (m - 1n)) === 0n ? [firstHash, ...consistencyPath] : [...consistencyPath];
  // 3. Set fn to first - 1 and sn to second - 1.
  let fn = m - 1n;
  let sn = n - 1n;
  // 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn)
  //    is not set.
  while (lsb(fn)) {
    fn >>= 1n;
    sn >>= 1n;
  }
  // 5. Set both fr and sr to the first value in the consistency_path array.
  let fr = path[0];
  let sr = path[0];
  // 6. For each subsequent value c in the consistency_path array:
  for (const c of path.slice(1)) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0n) return 'consistency path is longer than the trees allow';
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (lsb(fn) || fn === sn) {
      //   i. Set fr to HASH(0x01 || c || fr).
      fr = nodeHash(c, fr);
      //  ii. Set sr to HASH(0x01 || c || sr).
      sr = nodeHash(c, sr);
      // iii. If LSB(fn) is not set, then right-shift both fn and sn equally
      //      until either LSB(fn) is set or fn is 0.
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      // Otherwise: Set sr to HASH(0x01 || sr || c).
      sr = nodeHash(sr, c);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn >>= 1n;
    sn >>= 1n;
  }
  // 7. After completing iterating through the consistency_path array as
  //    described above, verify that the fr calculated is equal to the
  //    first_hash supplied, that the sr calculated is equal to the second_hash
  //    supplied, and that sn is 0.
  if (sn !== 0n) return 'consistency path is shorter than the trees require';
  if (!fr.equals(firstHash)) return 'consistency path does not lead to the first root_hash';
  if (!sr.equals(secondHash)) return 'consistency path does not lead to the second root_hash';
  return null;
}

export function verifyConsistency(first, second, consistencyPath, firstHash, secondHash) {
  try {
    return consistencyFailure(first, second, consistencyPath, firstHash, secondHash) === null;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Signed tree heads (Ed25519 over a fixed JSON text)
// ---------------------------------------------------------------------------

/**
 * The exact bytes hippo signs for a tree head:
 *   {"tree_size":N,"root_hash":"<hex>","timestamp":"<timestamp>"}
 * built by string concatenation, not by serialising an object.
 */
export function treeHeadMessage(treeSize, rootHashHex, timestamp) {
  const n = toBig(treeSize, 'tree_size');
  if (typeof rootHashHex !== 'string') throw new ParseError('root_hash must be a string');
  if (typeof timestamp !== 'string') throw new ParseError('timestamp must be a string');
  const text =
    '{"tree_size":' + n.toString(10) +
    ',"root_hash":' + JSON.stringify(rootHashHex) +
    ',"timestamp":' + JSON.stringify(timestamp) + '}';
  return Buffer.from(text, 'utf8');
}

/** Raw 32-byte Ed25519 public key (Buffer) -> KeyObject. */
export function ed25519PublicKey(raw) {
  if (!Buffer.isBuffer(raw) || raw.length !== 32) {
    throw new ParseError('an Ed25519 public key is 32 bytes');
  }
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/** Parse the public key given on the command line (base64 of 32 raw bytes). */
export function parsePublicKeyArg(b64) {
  const raw = decodeBase64(b64);
  if (raw === null || raw.length !== 32) {
    throw new ParseError('--public-key must be base64 of a 32-byte Ed25519 public key');
  }
  return raw;
}

/** Parse and shape-check a tree head object; returns its fields decoded. */
export function parseTreeHead(obj, what) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new ParseError(`${what} must be an object`);
  }
  const treeSize = toBig(obj.tree_size, `${what}.tree_size`);
  const rootHash = parseHashHex(obj.root_hash, `${what}.root_hash`);
  if (typeof obj.timestamp !== 'string') throw new ParseError(`${what}.timestamp must be a string`);
  if (obj.signature !== undefined && obj.signature !== null && typeof obj.signature !== 'string') {
    throw new ParseError(`${what}.signature must be a string`);
  }
  if (obj.public_key !== undefined && obj.public_key !== null && typeof obj.public_key !== 'string') {
    throw new ParseError(`${what}.public_key must be a string`);
  }
  return { treeSize, rootHash, rootHashHex: obj.root_hash, timestamp: obj.timestamp, signature: obj.signature, publicKey: obj.public_key };
}

/**
 * Null when `head` (as returned by parseTreeHead) carries a valid Ed25519
 * signature by the trusted raw key `trustedRaw`; otherwise what failed.
 * The head's own public_key is never trusted: if present it must equal the
 * trusted key.
 */
export function treeHeadSignatureFailure(head, trustedRaw, what = 'tree_head') {
  const key = ed25519PublicKey(trustedRaw);
  if (head.publicKey !== undefined && head.publicKey !== null) {
    const own = decodeBase64(head.publicKey);
    if (own === null || !own.equals(trustedRaw)) {
      return `${what}.public_key is not the trusted public key`;
    }
  }
  if (typeof head.signature !== 'string') return `${what} has no signature`;
  const sig = decodeBase64(head.signature);
  if (sig === null || sig.length !== 64) return `${what}.signature is not base64 of 64 bytes`;
  const msg = treeHeadMessage(head.treeSize, head.rootHashHex, head.timestamp);
  let ok = false;
  try {
    ok = cryptoVerify(null, msg, key, sig);
  } catch {
    ok = false;
  }
  return ok ? null : `${what} signature does not verify under the trusted public key`;
}

// ---------------------------------------------------------------------------
// File-level checks (what the CLI runs)
// ---------------------------------------------------------------------------

/**
 * Verify a parsed inclusion proof file. `trustedKey` is the raw 32-byte key,
 * or null to skip the signature check. Returns null or a failure string;
 * throws ParseError on malformed input.
 */
export function checkInclusionFile(doc, trustedKey) {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ParseError('proof file must be a JSON object');
  const { record, inclusion } = doc;
  if (record === null || typeof record !== 'object' || Array.isArray(record)) throw new ParseError('record must be an object');
  if (inclusion === null || typeof inclusion !== 'object' || Array.isArray(inclusion)) throw new ParseError('inclusion must be an object');
  const head = parseTreeHead(doc.tree_head, 'tree_head');
  const seq = toBig(record.seq, 'record.seq');
  const leaf = decodeBase64(record.leaf);
  if (leaf === null) throw new ParseError('record.leaf must be base64');
  const leafIndex = toBig(inclusion.leaf_index, 'inclusion.leaf_index');
  const treeSize = toBig(inclusion.tree_size, 'inclusion.tree_size');
  const auditPath = parsePath(inclusion.audit_path, 'inclusion.audit_path');

  if (trustedKey !== null) {
    const f = treeHeadSignatureFailure(head, trustedKey, 'tree_head');
    if (f !== null) return f;
  }
  if (treeSize !== head.treeSize) {
    return `inclusion.tree_size ${treeSize} differs from tree_head.tree_size ${head.treeSize}`;
  }
  if (seq < 1n || leafIndex !== seq - 1n) {
    return `inclusion.leaf_index ${leafIndex} is not record.seq - 1 (record.seq ${seq})`;
  }
  const f = inclusionFailure(leafHash(leaf), leafIndex, treeSize, auditPath, head.rootHash);
  return f === null ? null : `inclusion proof: ${f}`;
}

/** Verify a parsed consistency file; same conventions as checkInclusionFile. */
export function checkConsistencyFile(doc, trustedKey) {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ParseError('consistency file must be a JSON object');
  const first = parseTreeHead(doc.first, 'first');
  const second = parseTreeHead(doc.second, 'second');
  const path = parsePath(doc.consistency_path, 'consistency_path');
  if (trustedKey !== null) {
    let f = treeHeadSignatureFailure(first, trustedKey, 'first');
    if (f !== null) return f;
    f = treeHeadSignatureFailure(second, trustedKey, 'second');
    if (f !== null) return f;
  }
  const f = consistencyFailure(first.treeSize, second.treeSize, path, first.rootHash, second.rootHash);
  return f === null ? null : `consistency proof: ${f}`;
}

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------

const USAGE =
  'usage: node verify.mjs (inclusion|consistency) FILE (--public-key BASE64 | --no-signature)';

function parseArgs(argv) {
  let mode = null;
  let file = null;
  let keyB64 = null;
  let noSig = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--public-key') {
      if (i + 1 >= argv.length) throw new ParseError('--public-key needs a value');
      if (keyB64 !== null) throw new ParseError('--public-key given twice');
      keyB64 = argv[++i];
    } else if (a.startsWith('--public-key=')) {
      if (keyB64 !== null) throw new ParseError('--public-key given twice');
      keyB64 = a.slice('--public-key='.length);
    } else if (a === '--no-signature') {
      noSig = true;
    } else if (a === '-h' || a === '--help') {
      throw new ParseError(USAGE);
    } else if (a.startsWith('--')) {
      throw new ParseError(`unknown option ${a}`);
    } else if (mode === null) {
      mode = a;
    } else if (file === null) {
      file = a;
    } else {
      throw new ParseError(`unexpected argument ${a}`);
    }
  }
  if (mode !== 'inclusion' && mode !== 'consistency') throw new ParseError(USAGE);
  if (file === null) throw new ParseError(USAGE);
  if (!noSig && keyB64 === null) throw new ParseError('--public-key BASE64 is required (or --no-signature)');
  // A key given together with --no-signature must still be well-formed, but
  // is not used: --no-signature skips every signature and key check.
  const key = keyB64 === null ? null : parsePublicKeyArg(keyB64);
  return { mode, file, key: noSig ? null : key };
}

/** Runs the CLI; returns the exit code and writes at most one line to stderr. */
export function main(argv) {
  let failure;
  try {
    const { mode, file, key } = parseArgs(argv);
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ParseError(`cannot read ${file}: ${e.code ?? e.message}`);
    }
    let doc;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new ParseError(`${file} is not JSON: ${e.message}`);
    }
    failure = mode === 'inclusion' ? checkInclusionFile(doc, key) : checkConsistencyFile(doc, key);
  } catch (e) {
    if (e instanceof ParseError) {
      process.stderr.write(`error: ${e.message.split('\n')[0]}\n`);
      return 2;
    }
    process.stderr.write(`error: ${String(e && e.message ? e.message : e).split('\n')[0]}\n`);
    return 2;
  }
  if (failure !== null) {
    process.stderr.write(`invalid: ${failure}\n`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
