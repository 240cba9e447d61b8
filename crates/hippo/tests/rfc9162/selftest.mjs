#!/usr/bin/env node
// Self-test for verify.mjs.
//
// Builds Merkle trees from random leaves with the *recursive definitions* of
// RFC 9162 (§2.1.1 MTH, §2.1.3.1 PATH, §2.1.4.1 PROOF/SUBPROOF) — a second,
// structurally different implementation from the iterative verifier in
// verify.mjs — and checks that the verifier accepts every correct proof for
// every (index, size) and (m, n) pair with sizes 1..70, and rejects tampered
// ones. Also runs the CLI (spawnSync) on Ed25519-signed tree heads.
//
//   node selftest.mjs        exit 0 and a summary line when everything passes

import { createHash, generateKeyPairSync, randomBytes, randomInt, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import {
  leafHash,
  nodeHash,
  verifyInclusion,
  verifyConsistency,
  treeHeadMessage,
} from './verify.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const VERIFY = join(HERE, 'verify.mjs');
const MAX = 70;

let checks = 0;
const failures = [];
function check(cond, what) {
  checks++;
  if (!cond && failures.length < 50) failures.push(what);
}

// ---------------------------------------------------------------------------
// Reference tree: the RFC's recursive definitions, over D[lo:hi] of `leaves`
// ---------------------------------------------------------------------------

/** Largest power of two strictly smaller than n (n > 1). */
function splitPoint(n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

class RefTree {
  constructor(leaves) {
    this.leaves = leaves;
    this.memo = new Map();
  }

  // MTH(D[lo:hi])
  mth(lo, hi) {
    const n = hi - lo;
    if (n === 0) return createHash('sha256').digest();
    const key = `${lo}:${hi}`;
    let h = this.memo.get(key);
    if (h) return h;
    if (n === 1) {
      h = leafHash(this.leaves[lo]);
    } else {
      const k = splitPoint(n);
      h = nodeHash(this.mth(lo, lo + k), this.mth(lo + k, hi));
    }
    this.memo.set(key, h);
    return h;
  }

  root(n) {
    return this.mth(0, n);
  }

  // PATH(m, D[lo:hi]), m relative to lo
  path(m, lo, hi) {
    const n = hi - lo;
    if (n === 1) return [];
    const k = splitPoint(n);
    if (m < k) return [...this.path(m, lo, lo + k), this.mth(lo + k, hi)];
    return [...this.path(m - k, lo + k, hi), this.mth(lo, lo + k)];
  }

  inclusion(m, n) {
    return this.path(m, 0, n);
  }

  // SUBPROOF(m, D[lo:hi], b)
  subproof(m, lo, hi, b) {
    const n = hi - lo;
    if (m === n) return b ? [] : [this.mth(lo, hi)];
    const k = splitPoint(n);
    if (m <= k) return [...this.subproof(m, lo, lo + k, b), this.mth(lo + k, hi)];
    return [...this.subproof(m - k, lo + k, hi, false), this.mth(lo, lo + k)];
  }

  // PROOF(m, D[n]) for 0 < m < n
  consistency(m, n) {
    return this.subproof(m, 0, n, true);
  }
}

// ---------------------------------------------------------------------------
// Tamper helpers
// ---------------------------------------------------------------------------

function flipBit(buf, bit = randomInt(buf.length * 8)) {
  const b = Buffer.from(buf);
  b[bit >> 3] ^= 1 << (bit & 7);
  return b;
}

function withElement(path, i, v) {
  const p = [...path];
  p[i] = v;
  return p;
}

function without(path, i) {
  return path.filter((_, j) => j !== i);
}

function samePath(a, b) {
  return a.length === b.length && a.every((x, i) => x.equals(b[i]));
}

const hex = (b) => b.toString('hex');

// ---------------------------------------------------------------------------
// 1. Known answers: the RFC 6962 / CT reference leaves and roots
// ---------------------------------------------------------------------------

function knownAnswers() {
  const leaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f']
    .map((h) => Buffer.from(h, 'hex'));
  const roots = [
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
    '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
    '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  ];
  const t = new RefTree(leaves);
  for (let n = 0; n <= 8; n++) check(hex(t.root(n)) === roots[n], `known root of size ${n}`);
  const path08 = [
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ].map((h) => Buffer.from(h, 'hex'));
  check(samePath(t.inclusion(0, 8), path08), 'known inclusion path (0, 8)');
  check(verifyInclusion(leafHash(leaves[0]), 0, 8, path08, t.root(8)), 'known inclusion proof (0, 8) verifies');
}

// ---------------------------------------------------------------------------
// 2. Inclusion: every (index, size), 1 <= size <= 70
// ---------------------------------------------------------------------------

function inclusionTests(t) {
  let pairs = 0;
  for (let n = 1; n <= MAX; n++) {
    const root = t.root(n);
    for (let i = 0; i < n; i++) {
      pairs++;
      const lh = leafHash(t.leaves[i]);
      const path = t.inclusion(i, n);
      const at = `inclusion (${i}, ${n})`;
      check(verifyInclusion(lh, i, n, path, root), `${at}: correct proof rejected`);
      // BigInt arguments work the same.
      check(verifyInclusion(lh, BigInt(i), BigInt(n), path, root), `${at}: correct proof rejected with BigInt sizes`);

      // A flipped bit in any path element (two different bits each).
      for (let e = 0; e < path.length; e++) {
        check(!verifyInclusion(lh, i, n, withElement(path, e, flipBit(path[e], 0)), root), `${at}: bit 0 flipped in element ${e} accepted`);
        check(!verifyInclusion(lh, i, n, withElement(path, e, flipBit(path[e])), root), `${at}: random bit flipped in element ${e} accepted`);
      }
      // A dropped element; an extra element at either end.
      for (let e = 0; e < path.length; e++) {
        check(!verifyInclusion(lh, i, n, without(path, e), root), `${at}: element ${e} dropped accepted`);
      }
      check(!verifyInclusion(lh, i, n, [...path, randomBytes(32)], root), `${at}: appended element accepted`);
      check(!verifyInclusion(lh, i, n, [randomBytes(32), ...path], root), `${at}: prepended element accepted`);
      check(!verifyInclusion(lh, i, n, [...path, root], root), `${at}: root appended accepted`);
      // Elements swapped.
      for (let e = 0; e + 1 < path.length; e++) {
        const p = [...path];
        [p[e], p[e + 1]] = [p[e + 1], p[e]];
        check(!verifyInclusion(lh, i, n, p, root), `${at}: elements ${e},${e + 1} swapped accepted`);
      }
      // Wrong leaf, wrong root.
      check(!verifyInclusion(flipBit(lh), i, n, path, root), `${at}: wrong leaf hash accepted`);
      check(!verifyInclusion(leafHash(Buffer.concat([t.leaves[i], Buffer.from([0])])), i, n, path, root), `${at}: other leaf accepted`);
      check(!verifyInclusion(lh.subarray(0, 31), i, n, path, root), `${at}: short leaf hash accepted`);
      check(!verifyInclusion(lh, i, n, path, flipBit(root)), `${at}: wrong root accepted`);
      // Wrong index (in range and out of range), same tree.
      for (const j of new Set([i - 1, i + 1, i ^ 1, i ^ 2, n, n + 1, 2 * n])) {
        if (j === i || j < 0) continue;
        check(!verifyInclusion(lh, j, n, path, root), `${at}: wrong index ${j} accepted`);
      }
      // Wrong size, with the honest root for that size. Only acceptable if the
      // honest path for (i, size') happens to be the very same list.
      for (const m of new Set([n - 1, n + 1, n + 2, 2 * n, n * 2 - 1])) {
        if (m === n || m < 1 || m > t.leaves.length) continue;
        const expected = i < m && samePath(t.inclusion(i, m), path);
        check(verifyInclusion(lh, i, m, path, t.root(m)) === expected, `${at}: wrong size ${m} gave ${!expected}`);
      }
      // Size 0 is never a valid tree for inclusion.
      check(!verifyInclusion(lh, 0, 0, [], root), `${at}: size 0 accepted`);
    }
  }
  return pairs;
}

// ---------------------------------------------------------------------------
// 3. Consistency: every (m, n), 1 <= m <= n <= 70
// ---------------------------------------------------------------------------

function consistencyTests(t) {
  let pairs = 0;
  for (let n = 1; n <= MAX; n++) {
    const r2 = t.root(n);
    for (let m = 1; m <= n; m++) {
      pairs++;
      const r1 = t.root(m);
      const at = `consistency (${m}, ${n})`;
      if (m === n) {
        check(verifyConsistency(m, n, [], r1, r2), `${at}: equal heads rejected`);
        check(!verifyConsistency(m, n, [r1], r1, r2), `${at}: equal sizes with non-empty path accepted`);
        check(!verifyConsistency(m, n, [], r1, flipBit(r2)), `${at}: equal sizes, different roots accepted`);
        continue;
      }
      const path = t.consistency(m, n);
      check(verifyConsistency(m, n, path, r1, r2), `${at}: correct proof rejected`);
      check(verifyConsistency(BigInt(m), BigInt(n), path, r1, r2), `${at}: correct proof rejected with BigInt sizes`);
      check(!verifyConsistency(m, n, [], r1, r2), `${at}: empty path accepted`);

      for (let e = 0; e < path.length; e++) {
        check(!verifyConsistency(m, n, withElement(path, e, flipBit(path[e], 255)), r1, r2), `${at}: bit 255 flipped in element ${e} accepted`);
        check(!verifyConsistency(m, n, withElement(path, e, flipBit(path[e])), r1, r2), `${at}: random bit flipped in element ${e} accepted`);
        check(!verifyConsistency(m, n, without(path, e), r1, r2), `${at}: element ${e} dropped accepted`);
      }
      check(!verifyConsistency(m, n, [...path, randomBytes(32)], r1, r2), `${at}: appended element accepted`);
      check(!verifyConsistency(m, n, [r1, ...path], r1, r2), `${at}: first root prepended accepted`);
      for (let e = 0; e + 1 < path.length; e++) {
        const p = [...path];
        [p[e], p[e + 1]] = [p[e + 1], p[e]];
        if (!p[e].equals(p[e + 1])) check(!verifyConsistency(m, n, p, r1, r2), `${at}: elements ${e},${e + 1} swapped accepted`);
      }
      // Wrong roots.
      check(!verifyConsistency(m, n, path, flipBit(r1), r2), `${at}: wrong first root accepted`);
      check(!verifyConsistency(m, n, path, r1, flipBit(r2)), `${at}: wrong second root accepted`);
      check(!verifyConsistency(m, n, path, r2, r1), `${at}: roots swapped accepted`);
      // Reversed order and size 0.
      check(!verifyConsistency(n, m, path, r2, r1), `${at}: reversed sizes accepted`);
      check(!verifyConsistency(0, n, path, createHash('sha256').digest(), r2), `${at}: first size 0 accepted`);
      check(!verifyConsistency(0, n, [], createHash('sha256').digest(), r2), `${at}: first size 0, empty path accepted`);
      // Wrong first size / second size, with honest roots for the claimed
      // sizes: acceptable only if the honest proof is the very same list.
      for (const m2 of new Set([m - 1, m + 1, m * 2])) {
        if (m2 === m || m2 < 1 || m2 >= n) continue;
        const expected = samePath(t.consistency(m2, n), path);
        check(verifyConsistency(m2, n, path, t.root(m2), r2) === expected, `${at}: wrong first size ${m2} gave ${!expected}`);
      }
      for (const n2 of new Set([n - 1, n + 1, n * 2])) {
        if (n2 === n || n2 <= m || n2 > t.leaves.length) continue;
        const expected = samePath(t.consistency(m, n2), path);
        check(verifyConsistency(m, n2, path, r1, t.root(n2)) === expected, `${at}: wrong second size ${n2} gave ${!expected}`);
      }
    }
  }
  return pairs;
}

// ---------------------------------------------------------------------------
// 3b. Size confusion: a proof about a subtree claimed for the whole tree and
//     the other way round. Hash-wise these chain up to the claimed root; only
//     the RFC's length checks (sn must reach 0 exactly, never early) reject
//     them, so these are what catch a verifier that skips those checks.
// ---------------------------------------------------------------------------

function sizeConfusionTests(t) {
  let cases = 0;
  for (let N = 2; N <= MAX; N++) {
    const k = splitPoint(N);
    const rootN = t.root(N);
    const rightRoot = t.mth(k, N);
    // Inclusion.
    for (let i = 0; i < N; i++) {
      const lh = leafHash(t.leaves[i]);
      const full = t.inclusion(i, N);
      if (i >= k) {
        // Whole-tree path, claimed for the right subtree's index and size, with
        // the whole tree's root: one element too many for that size.
        cases++;
        check(!verifyInclusion(lh, i - k, N - k, full, rootN), `inclusion (${i}, ${N}) path accepted as (${i - k}, ${N - k})`);
        // Right subtree's path and root, claimed as the whole tree's: too short.
        cases++;
        check(!verifyInclusion(lh, i, N, t.path(i - k, k, N), rightRoot), `inclusion subtree path accepted as (${i}, ${N})`);
      } else {
        // Left subtree's path and root, claimed as the whole tree's: too short.
        cases++;
        check(!verifyInclusion(lh, i, N, t.path(i, 0, k), t.mth(0, k)), `inclusion left-subtree path accepted as (${i}, ${N})`);
      }
    }
    // Consistency.
    for (let m = k + 1; m < N; m++) {
      const a = m - k;
      if ((a & (a - 1)) !== 0) {
        // PROOF(m, N) claimed for the right subtree's sizes (a, N - k) with the
        // whole trees' roots: one element too many.
        cases++;
        check(!verifyConsistency(a, N - k, t.consistency(m, N), t.root(m), rootN), `consistency (${m}, ${N}) accepted as (${a}, ${N - k})`);
      }
      // The right subtree's PROOF(a, D[k:N]) and roots claimed for (m, N): too short.
      cases++;
      check(!verifyConsistency(m, N, t.subproof(a, k, N, true), t.mth(k, m), rightRoot), `consistency subtree proof accepted as (${m}, ${N})`);
    }
  }
  return cases;
}

// ---------------------------------------------------------------------------
// 4. CLI with Ed25519-signed tree heads
// ---------------------------------------------------------------------------

function cliTests(t) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const rawPub = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  const pubB64 = rawPub.toString('base64');
  const other = generateKeyPairSync('ed25519');
  const otherB64 = Buffer.from(other.publicKey.export({ format: 'jwk' }).x, 'base64url').toString('base64');

  const signHead = (n, timestamp, key = privateKey) => {
    const rootHex = hex(t.root(n));
    const sig = sign(null, treeHeadMessage(n, rootHex, timestamp), key);
    return {
      tree_size: n,
      root_hash: rootHex,
      timestamp,
      signature: sig.toString('base64'),
      key_id: createHash('sha256').update(rawPub).digest('hex'),
      public_key: pubB64,
    };
  };

  const dir = mkdtempSync(join(tmpdir(), 'rfc9162-selftest-'));
  let fileNo = 0;
  const run = (mode, doc, args, expectCode, what) => {
    const file = join(dir, `f${fileNo++}.json`);
    writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
    const r = spawnSync(process.execPath, [VERIFY, mode, file, ...args], { encoding: 'utf8' });
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    check(r.status === expectCode, `CLI ${what}: exit ${r.status}, expected ${expectCode} (${r.stderr.trim()})`);
    check(expectCode === 0 ? lines.length === 0 : lines.length === 1, `CLI ${what}: stderr should be ${expectCode === 0 ? 'empty' : 'one line'}, got ${JSON.stringify(r.stderr)}`);
  };
  const clone = (x) => JSON.parse(JSON.stringify(x));
  const key = ['--public-key', pubB64];

  try {
    // Inclusion: record seq 5 -> leaf index 4 in a tree of 9.
    const ts = '2026-12-01T12:00:00.000Z';
    const head9 = signHead(9, ts);
    const incl = {
      record: { id: 'r-5', kind: 'audit', seq: 5, leaf: t.leaves[4].toString('base64') },
      inclusion: { leaf_index: 4, tree_size: 9, audit_path: t.inclusion(4, 9).map(hex) },
      tree_head: head9,
    };
    run('inclusion', incl, key, 0, 'valid inclusion');
    run('inclusion', incl, [`--public-key=${pubB64}`], 0, 'valid inclusion (--public-key=)');
    { const d = clone(incl); d.tree_head.timestamp = '2026-12-01T12:00:00.001Z'; run('inclusion', d, key, 1, 'tampered timestamp'); }
    { const d = clone(incl); d.tree_head.timestamp = '2026-12-01T12:00:00.001Z'; run('inclusion', d, ['--no-signature'], 0, 'tampered timestamp, --no-signature'); }
    { const d = clone(incl); d.tree_head.signature = flipBit(Buffer.from(head9.signature, 'base64')).toString('base64'); run('inclusion', d, key, 1, 'tampered signature'); }
    { const d = clone(incl); d.tree_head.signature = 'AAAA'; run('inclusion', d, key, 1, 'short signature'); }
    { const d = clone(incl); delete d.tree_head.signature; run('inclusion', d, key, 1, 'missing signature'); }
    run('inclusion', incl, ['--public-key', otherB64], 1, 'wrong trusted key');
    { const d = clone(incl); d.tree_head.public_key = otherB64; run('inclusion', d, key, 1, "file's public_key differs from the trusted key"); }
    { const d = clone(incl); delete d.tree_head.public_key; run('inclusion', d, key, 0, 'no public_key in file'); }
    {
      // A head signed by another key that also names that key: still invalid.
      const d = clone(incl);
      d.tree_head = signHead(9, ts, other.privateKey);
      d.tree_head.public_key = otherB64;
      run('inclusion', d, key, 1, 'head signed by and naming an untrusted key');
    }
    { const d = clone(incl); d.inclusion.tree_size = 10; run('inclusion', d, key, 1, 'inclusion.tree_size != tree_head.tree_size'); }
    { const d = clone(incl); d.inclusion.leaf_index = 5; run('inclusion', d, key, 1, 'leaf_index != seq - 1'); }
    { const d = clone(incl); d.record.seq = 6; run('inclusion', d, key, 1, 'record.seq changed'); }
    { const d = clone(incl); d.record.leaf = Buffer.concat([t.leaves[4], Buffer.from('x')]).toString('base64'); run('inclusion', d, key, 1, 'record.leaf changed'); }
    { const d = clone(incl); d.inclusion.audit_path[1] = hex(flipBit(Buffer.from(d.inclusion.audit_path[1], 'hex'))); run('inclusion', d, key, 1, 'audit path element flipped'); }
    { const d = clone(incl); d.inclusion.audit_path.pop(); run('inclusion', d, key, 1, 'audit path element dropped'); }
    {
      // An honestly signed head for a different size, the proof for size 9.
      const d = clone(incl);
      d.tree_head = signHead(10, ts);
      d.inclusion.tree_size = 10;
      run('inclusion', d, key, 1, 'proof for size 9 against signed head of size 10');
    }
    // Usage and parse errors.
    run('inclusion', '{not json', key, 2, 'malformed JSON');
    run('inclusion', incl, [], 2, 'missing --public-key');
    run('inclusion', incl, ['--public-key', 'not base64!'], 2, 'malformed --public-key');
    run('inclusion', incl, ['--public-key', Buffer.alloc(31).toString('base64')], 2, '31-byte --public-key');
    run('inclusion', incl, [...key, '--bogus'], 2, 'unknown option');
    { const d = clone(incl); d.inclusion.audit_path[0] = 'zz'; run('inclusion', d, key, 2, 'malformed hex in audit path'); }
    { const d = clone(incl); delete d.record.seq; run('inclusion', d, key, 2, 'record without seq'); }
    {
      const r = spawnSync(process.execPath, [VERIFY, 'inclusion', join(dir, 'does-not-exist.json'), ...key], { encoding: 'utf8' });
      check(r.status === 2, `CLI missing file: exit ${r.status}, expected 2`);
      const r2 = spawnSync(process.execPath, [VERIFY, 'frobnicate'], { encoding: 'utf8' });
      check(r2.status === 2, `CLI unknown mode: exit ${r2.status}, expected 2`);
    }

    // Consistency: 9 -> 23, signed.
    const head23 = signHead(23, '2026-12-01T12:05:00.000Z');
    const cons = { first: head9, second: head23, consistency_path: t.consistency(9, 23).map(hex) };
    run('consistency', cons, key, 0, 'valid consistency');
    run('consistency', { first: head9, second: head9, consistency_path: [] }, key, 0, 'consistency of a head with itself');
    { const d = clone(cons); d.second.timestamp = '2026-12-01T12:05:00.001Z'; run('consistency', d, key, 1, 'tampered second timestamp'); }
    { const d = clone(cons); d.first.timestamp = '2026-12-01T11:05:00.000Z'; run('consistency', d, key, 1, 'tampered first timestamp'); }
    { const d = clone(cons); d.second.timestamp = 'x'; run('consistency', d, ['--no-signature'], 0, 'tampered timestamp, --no-signature'); }
    run('consistency', cons, ['--public-key', otherB64], 1, 'consistency, wrong trusted key');
    { const d = clone(cons); d.consistency_path[0] = hex(flipBit(Buffer.from(d.consistency_path[0], 'hex'))); run('consistency', d, key, 1, 'consistency path element flipped'); }
    { const d = clone(cons); d.consistency_path.pop(); run('consistency', d, key, 1, 'consistency path element dropped'); }
    run('consistency', { first: head23, second: head9, consistency_path: cons.consistency_path }, key, 1, 'consistency, sizes reversed');
    run('consistency', { first: signHead(0, ts), second: head23, consistency_path: [] }, key, 1, 'consistency from size 0');
    run('consistency', { first: head9, second: head9, consistency_path: [hex(t.root(9))] }, key, 1, 'equal heads, non-empty path');
    run('consistency', { first: head9, second: signHead(9, '2026-12-01T12:00:01.000Z'), consistency_path: [] }, key, 0, 'same tree, two signed timestamps');
    {
      // Two validly signed heads for the same size with different roots (a fork).
      const forkRoot = hex(randomBytes(32));
      const fork = { tree_size: 9, root_hash: forkRoot, timestamp: ts, signature: sign(null, treeHeadMessage(9, forkRoot, ts), privateKey).toString('base64') };
      run('consistency', { first: head9, second: fork, consistency_path: [] }, key, 1, 'forked heads of equal size');
    }
    run('consistency', { first: head9, second: head23 }, key, 2, 'consistency without path');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------

const leaves = Array.from({ length: 2 * MAX + 2 }, () => randomBytes(randomInt(0, 48)));
const tree = new RefTree(leaves);

knownAnswers();
const inclusionPairs = inclusionTests(tree);
const consistencyPairs = consistencyTests(tree);
const confusionCases = sizeConfusionTests(tree);
cliTests(tree);

if (failures.length > 0) {
  for (const f of failures) console.error(`FAIL ${f}`);
  console.error(`selftest: ${failures.length}${failures.length >= 50 ? '+' : ''} of ${checks} checks FAILED`);
  process.exit(1);
}
console.log(
  `selftest: all ${checks} checks passed (${inclusionPairs} inclusion (index, size) pairs and ` +
    `${consistencyPairs} consistency (m, n) pairs for sizes 1..${MAX}, with tampering; ` +
    `${confusionCases} size-confusion cases; CLI signature tests)`,
);
