// The hippo server under test: a free loopback port, `hippo serve` in a temp
// data dir (Server: start/stop, HTTPS requests, API calls with retry on 429,
// user creation), and pool() for running API requests with bounded concurrency.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import https from "node:https";
import { createHash, randomBytes, X509Certificate } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { HIPPO_BIN } from "./options.mjs";

// ---- the server ------------------------------------------------------------

async function freePort() {
  return await new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

class Server {
  constructor() {
    this.dataDir = mkdtempSync(join(tmpdir(), "hippo-bench-web-"));
    this.port = 0;
    this.proc = null;
    this.ca = null;
    this.log = [];
    this.agent = null;
  }
  get origin() {
    return `https://127.0.0.1:${this.port}`;
  }
  env() {
    const env = { ...process.env, HIPPO_DATA_DIR: this.dataDir, HIPPO_REQUIRE_MFA: "false", NO_COLOR: "1" };
    delete env.HIPPO_BIN; // ours, not a hippo setting
    return env;
  }
  async start() {
    if (!existsSync(HIPPO_BIN)) throw new Error(`hippo binary not found at ${HIPPO_BIN} (set HIPPO_BIN)`);
    this.port = await freePort();
    const args = ["serve", "--data-dir", this.dataDir, "--listen", `127.0.0.1:${this.port}`, "--require-mfa", "false"];
    const proc = spawn(HIPPO_BIN, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...this.env(), RUST_LOG: process.env.RUST_LOG ?? "warn" } });
    this.proc = proc;
    let exited = null;
    proc.on("exit", (code, sig) => (exited = `exited with ${code ?? sig}`));
    for (const s of [proc.stdout, proc.stderr]) {
      s.on("data", (c) => {
        for (const l of c.toString("utf8").split("\n")) if (l) this.log.push(l);
        if (this.log.length > 2000) this.log.splice(0, 1000);
      });
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new Error(`hippo serve ${exited}:\n${this.log.slice(-40).join("\n")}`);
      if (Date.now() > deadline) throw new Error(`hippo serve not ready in 30 s:\n${this.log.slice(-40).join("\n")}`);
      const cert = join(this.dataDir, "tls", "cert.pem");
      if (existsSync(cert)) {
        this.ca = readFileSync(cert);
        this.agent = new https.Agent({
          keepAlive: true,
          maxSockets: 32,
          ca: this.ca,
          servername: "localhost",
          checkServerIdentity: () => undefined,
        });
        try {
          if ((await this.request("GET", "/readyz")).status === 200) break;
        } catch {
          /* not listening yet */
        }
      }
      await sleep(100);
    }
  }
  /** base64 SHA-256 of the certificate's SubjectPublicKeyInfo (for Chromium's SPKI allow-list). */
  spki() {
    const cert = new X509Certificate(this.ca);
    const der = cert.publicKey.export({ type: "spki", format: "der" });
    return createHash("sha256").update(der).digest("base64");
  }
  async stop() {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const done = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    const t = setTimeout(() => p.kill("SIGKILL"), 15_000);
    await done;
    clearTimeout(t);
    this.agent?.destroy();
  }
  request(method, path, opts = {}) {
    const headers = { ...(opts.headers ?? {}) };
    let body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers["content-type"] = "application/json";
    }
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (body !== undefined) headers["content-length"] = Buffer.byteLength(body);
    return new Promise((res, rej) => {
      const req = https.request(
        { host: "127.0.0.1", port: this.port, method, path, headers, agent: this.agent, timeout: 30_000 },
        (resp) => {
          const chunks = [];
          resp.on("data", (c) => chunks.push(c));
          resp.on("end", () => {
            const raw = Buffer.concat(chunks);
            let json;
            try {
              json = raw.length && !resp.headers["content-encoding"] ? JSON.parse(raw.toString("utf8")) : undefined;
            } catch {
              json = undefined;
            }
            res({ status: resp.statusCode ?? 0, headers: resp.headers, raw, json });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.on("error", rej);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }
  async api(method, path, opts = {}) {
    for (let attempt = 0; ; attempt++) {
      const r = await this.request(method, path, opts);
      if (r.status === 429 && attempt < 20) {
        await sleep(1000 * Number(r.headers["retry-after"] ?? 1));
        continue;
      }
      if (r.status < 200 || r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${r.raw.toString("utf8").slice(0, 400)}`);
      return r.json;
    }
  }
  async createUser(username, displayName, role = "clinician") {
    const password = `Pw-${randomBytes(10).toString("hex").replace(/[a-f]/g, (c) => "GHJKLP"["abcdef".indexOf(c)])}-staple-horse`;
    const out = await new Promise((res, rej) => {
      const p = spawn(HIPPO_BIN, ["user", "create", "--username", username, "--role", role, "--display-name", displayName, "--password-stdin"], {
        env: this.env(),
        stdio: ["pipe", "pipe", "pipe"],
      });
      let so = "";
      let se = "";
      p.stdout.on("data", (c) => (so += c));
      p.stderr.on("data", (c) => (se += c));
      p.on("error", rej);
      p.on("exit", (code) => (code === 0 ? res(so) : rej(new Error(`user create ${username}: ${code} ${se}${so}`))));
      p.stdin.end(`${password}\n`);
    });
    const id = out.trim().split(/\s+/).pop();
    const user = { id, username, displayName, password, token: "" };
    user.token = (await this.api("POST", "/api/v1/auth/login", { json: { username, password } })).token;
    return user;
  }
}

/** Runs fn over items with at most n in flight. */
async function pool(items, n, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

export { freePort, Server, pool };
