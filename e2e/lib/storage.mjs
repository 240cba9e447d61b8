// Everything the page's origin keeps in the browser: localStorage,
// sessionStorage, every IndexedDB database (names, stores, keys and values)
// and CacheStorage (request URLs and bodies), plus the context's cookies.
// assertNoPhiInStorage fails when any PHI string appears anywhere in it, in
// the page's console output, or when an API response sits in a cache.

import assert from "node:assert/strict";
import { guardOf } from "./browser.mjs";

/** @param {import("playwright-core").Page} page */
export async function dumpStorage(page) {
  const inPage = await page.evaluate(async () => {
    /** @param {any} v @param {number} depth @returns {Promise<any>} */
    const plain = async (v, depth = 0) => {
      if (depth > 20) return "<deep>";
      if (v === null || typeof v !== "object") return v;
      if (v instanceof Blob) return { blob: v.type, text: await v.text() };
      if (v instanceof ArrayBuffer) return { bytes: new TextDecoder("utf-8", { fatal: false }).decode(v) };
      if (ArrayBuffer.isView(v)) return { bytes: new TextDecoder("utf-8", { fatal: false }).decode(v) };
      if (v instanceof Date) return v.toISOString();
      if (v instanceof Map) return { map: await plain([...v.entries()], depth + 1) };
      if (v instanceof Set) return { set: await plain([...v.values()], depth + 1) };
      if (Array.isArray(v)) return Promise.all(v.map((x) => plain(x, depth + 1)));
      /** @type {Record<string, any>} */
      const o = {};
      for (const k of Object.keys(v)) o[k] = await plain(v[k], depth + 1);
      return o;
    };
    /** @param {Storage} s */
    const kv = (s) => {
      /** @type {Record<string, string | null>} */
      const o = {};
      for (let i = 0; i < s.length; i++) {
        const k = s.key(i);
        if (k !== null) o[k] = s.getItem(k);
      }
      return o;
    };
    const out = {
      origin: location.origin,
      localStorage: kv(localStorage),
      sessionStorage: kv(sessionStorage),
      /** @type {any[]} */
      indexedDB: [],
      /** @type {any[]} */
      caches: [],
      documentCookie: document.cookie,
    };
    for (const info of await indexedDB.databases()) {
      const dbName = info.name;
      if (!dbName) continue;
      /** @type {IDBDatabase} */
      const db = await new Promise((res, rej) => {
        const r = indexedDB.open(dbName);
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      /** @type {any} */
      const entry = { name: info.name, version: info.version, stores: {} };
      for (const storeName of Array.from(db.objectStoreNames)) {
        const tx = db.transaction(storeName, "readonly");
        const store = tx.objectStore(storeName);
        const [keys, values] = await Promise.all(
          ["getAllKeys", "getAll"].map(
            (m) =>
              new Promise((res, rej) => {
                const r = m === "getAll" ? store.getAll() : store.getAllKeys();
                r.onsuccess = () => res(r.result);
                r.onerror = () => rej(r.error);
              }),
          ),
        );
        entry.stores[storeName] = { keys: await plain(keys), values: await plain(values) };
      }
      db.close();
      out.indexedDB.push(entry);
    }
    if (globalThis.caches) {
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        const entries = [];
        for (const req of await cache.keys()) {
          const resp = await cache.match(req);
          entries.push({ url: req.url, body: resp ? (await resp.clone().text()).slice(0, 200_000) : null });
        }
        out.caches.push({ name, entries });
      }
    }
    return out;
  });
  const cookies = await page.context().cookies();
  return { ...inPage, cookies: cookies.map((c) => ({ name: c.name, value: c.value, domain: c.domain })) };
}

/**
 * @param {import("playwright-core").Page} page
 * @param {string[]} phiStrings message bodies, display names, file names and contents, ...
 */
export async function assertNoPhiInStorage(page, phiStrings) {
  const dump = await dumpStorage(page);
  const text = JSON.stringify(dump);
  const lower = text.toLowerCase();
  const found = phiStrings.filter((s) => s && lower.includes(s.toLowerCase()));
  assert.deepEqual(found, [], `PHI found in browser storage: ${JSON.stringify(found)}\nstorage: ${text.slice(0, 4000)}`);
  // Nor in anything the page wrote to the console, at any level.
  const consoleText = guardOf(page).consoleAll.join("\n").toLowerCase();
  const inConsole = phiStrings.filter((s) => s && consoleText.includes(s.toLowerCase()));
  assert.deepEqual(inConsole, [], `PHI in the browser console: ${JSON.stringify(inConsole)}`);
  const apiCached = dump.caches.flatMap((c) => c.entries.filter((/** @type {{url: string}} */ e) => /\/api\//.test(new URL(e.url).pathname)));
  assert.deepEqual(apiCached, [], `API responses kept in CacheStorage: ${JSON.stringify(apiCached).slice(0, 2000)}`);
  return dump;
}
