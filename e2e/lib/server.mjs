// A real `hippo serve` per suite: its own temp data dir and free port, the
// generated TLS certificate trusted for API calls from node, its log kept and
// printed when a test fails, restart() on the same data dir and port.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync, createWriteStream, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:net";
import https from "node:https";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { nextTotp } from "./totp.mjs";

const here = dirname(fileURLToPath(import.meta.url));
export const HIPPO_BIN = resolve(process.env.HIPPO_BIN || join(here, "..", "..", "target", "debug", "hippo"));

/** Letters no test username is made of only (hex digits could spell "ada"
 * or "bea", which the server refuses inside a password). */
const PASSWORD_LETTERS = "ghjkmnpqrstvwxyz";

/** A long password (15+ characters without MFA) that does not contain the username. */
export function newPassword() {
  const random = Array.from(randomBytes(12), (b) => PASSWORD_LETTERS[b % 16]).join("");
  return `staple-${random}-battery-horse`;
}

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

/**
 * @typedef {{ id: string, username: string, displayName: string, role: string,
 *   password: string, totpSecret?: string, recoveryCodes?: string[] }} User
 */

export class HippoServer {
  /**
   * @param {{ name: string, flags?: Record<string, string> }} opts
   *   flags: settings as `--flag value` pairs, e.g. {"require-mfa": "false"}
   */
  constructor(opts) {
    this.name = opts.name;
    this.flags = opts.flags ?? {};
    this.dataDir = mkdtempSync(join(tmpdir(), `hippo-e2e-${opts.name}-`));
    this.port = 0;
    /** @type {string[]} */
    this.logLines = [];
    this.logPath = join(this.dataDir, "..", `hippo-e2e-${opts.name}-${process.pid}.log`);
    /** @type {import("node:child_process").ChildProcess | null} */
    this.proc = null;
    /** @type {Buffer | null} */
    this.ca = null;
    this.starts = 0;
  }

  get origin() {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Settings as command-line flags (serve and the CLI read the same ones). */
  settingArgs() {
    const args = ["--data-dir", this.dataDir];
    for (const [k, v] of Object.entries(this.flags)) args.push(`--${k}`, v);
    return args;
  }

  async start() {
    if (!existsSync(HIPPO_BIN)) {
      throw new Error(`hippo binary not found at ${HIPPO_BIN} (build it first: cargo build -p hippo; or set HIPPO_BIN)`);
    }
    if (!this.port) this.port = await freePort();
    this.starts += 1;
    const args = ["serve", ...this.settingArgs(), "--listen", `127.0.0.1:${this.port}`];
    const log = createWriteStream(this.logPath, { flags: "a" });
    this.log(`--- start #${this.starts}: ${HIPPO_BIN} ${args.join(" ")}`);
    const proc = spawn(HIPPO_BIN, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "info", NO_COLOR: "1" },
    });
    this.proc = proc;
    // Never outlive the test process.
    const reap = () => proc.kill("SIGKILL");
    process.once("exit", reap);
    proc.once("exit", () => process.removeListener("exit", reap));
    /** @type {string | null} */
    let exited = null;
    proc.on("exit", (code, sig) => {
      exited = `exited with ${code ?? sig}`;
      this.log(`--- ${exited}`);
    });
    for (const stream of [proc.stdout, proc.stderr]) {
      let partial = "";
      stream?.on("data", (chunk) => {
        log.write(chunk);
        partial += chunk.toString("utf8");
        const lines = partial.split("\n");
        partial = lines.pop() ?? "";
        for (const l of lines) this.log(l);
      });
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new Error(`hippo serve ${exited} before it was ready:\n${this.tail(60)}`);
      if (Date.now() > deadline) throw new Error(`hippo serve not ready within 30 s:\n${this.tail(60)}`);
      const certPath = join(this.dataDir, "tls", "cert.pem");
      if (existsSync(certPath)) {
        this.ca = readFileSync(certPath);
        try {
          const r = await this.request("GET", "/readyz");
          if (r.status === 200) break;
        } catch {
          // not listening yet
        }
      }
      await sleep(100);
    }
  }

  /** SIGTERM, then wait for exit 0 (the contract: drains and exits 0). */
  async stop() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const done = new Promise((res) => proc.once("exit", (code, sig) => res({ code, sig })));
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
    /** @type {any} */
    const { code, sig } = await done;
    clearTimeout(timer);
    this.proc = null;
    if (code !== 0) throw new Error(`hippo serve did not exit 0 on SIGTERM (${code ?? sig}):\n${this.tail(40)}`);
  }

  /**
   * The web client is served whole: GET / is HTML with the CSP, and every
   * script and stylesheet it names answers 200. Fails with one clear line
   * otherwise (e.g. a web/dist rebuilt after the binary was compiled).
   */
  async checkWebClient() {
    const r = await this.request("GET", "/", { headers: { accept: "text/html" } });
    if (r.status !== 200 || !/<div id="app">/.test(r.text)) {
      throw new Error(`GET / did not serve the web client (${r.status}): ${r.text.slice(0, 300)}`);
    }
    if (!r.headers["content-security-policy"]) throw new Error("GET / carries no Content-Security-Policy");
    const assets = [...r.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    if (assets.length === 0) throw new Error(`GET / names no /assets/ script or stylesheet:\n${r.text}`);
    for (const a of assets) {
      const ar = await this.request("GET", a);
      if (ar.status !== 200) {
        throw new Error(
          `the web client's ${a} answers ${ar.status}: web/dist and the binary disagree (rebuild the binary after npm run build in web/)`,
        );
      }
    }
  }

  /** Stop and start again on the same data dir and port. */
  async restart() {
    await this.stop();
    await this.start();
  }

  /** Remove the data dir (called after a passing suite; kept on failure). */
  cleanup() {
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** @param {string} line */
  log(line) {
    this.logLines.push(line);
    if (this.logLines.length > 5000) this.logLines.splice(0, 1000);
  }

  tail(n = 150) {
    return this.logLines.slice(-n).join("\n");
  }

  /**
   * An HTTPS request from node, trusting only the server's own certificate.
   * @param {string} method
   * @param {string} path
   * @param {{ token?: string, json?: any, body?: Buffer | string, headers?: Record<string, string> }} [opts]
   * @returns {Promise<{ status: number, headers: import("node:http").IncomingHttpHeaders, text: string, json: any }>}
   */
  request(method, path, opts = {}) {
    /** @type {Record<string, string | number>} */
    const headers = { ...(opts.headers ?? {}) };
    let body = opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers["content-type"] = "application/json";
    }
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (body !== undefined) headers["content-length"] = Buffer.byteLength(body);
    return new Promise((res, rej) => {
      const req = https.request(
        {
          host: "127.0.0.1",
          port: this.port,
          method,
          path,
          headers,
          ca: this.ca ?? undefined,
          servername: "localhost",
          checkServerIdentity: () => undefined,
          timeout: 15_000,
        },
        (resp) => {
          /** @type {Buffer[]} */
          const chunks = [];
          resp.on("data", (c) => chunks.push(c));
          resp.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let json;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            res({ status: resp.statusCode ?? 0, headers: resp.headers, text, json });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.on("error", rej);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /**
   * An API call that must answer `expect` (default 2xx); returns the JSON body.
   * @param {string} method
   * @param {string} path
   * @param {{ token?: string, json?: any, body?: Buffer | string, headers?: Record<string, string>, expect?: number }} [opts]
   */
  async api(method, path, opts = {}) {
    const r = await this.request(method, path, opts);
    const ok = opts.expect !== undefined ? r.status === opts.expect : r.status >= 200 && r.status < 300;
    if (!ok) {
      throw new Error(`${method} ${path} answered ${r.status}${opts.expect ? ` (expected ${opts.expect})` : ""}: ${r.text.slice(0, 500)}`);
    }
    return r.json;
  }

  /**
   * Runs the hippo CLI with this server's settings.
   * @param {string[]} args
   * @param {{ input?: string }} [opts]
   * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
   */
  cli(args, opts = {}) {
    // Every command reads the same settings as serve; hand them over as
    // environment variables (HIPPO_<FLAG>), which every subcommand accepts.
    /** @type {Record<string, string | undefined>} */
    const env = { ...process.env, HIPPO_DATA_DIR: this.dataDir, NO_COLOR: "1" };
    for (const [k, v] of Object.entries(this.flags)) env[`HIPPO_${k.toUpperCase().replace(/-/g, "_")}`] = v;
    return new Promise((res, rej) => {
      const p = spawn(HIPPO_BIN, args, { env, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (c) => (stdout += c));
      p.stderr.on("data", (c) => (stderr += c));
      p.on("error", rej);
      p.on("exit", (code) => res({ code, stdout, stderr }));
      p.stdin.end(opts.input ?? "");
    });
  }

  /**
   * `hippo user create ... --password-stdin`; returns the user with its id.
   * @param {{ username: string, displayName: string, role?: string, password?: string }} u
   * @returns {Promise<User>}
   */
  async createUser(u) {
    const role = u.role ?? "clinician";
    const password = u.password ?? newPassword();
    const r = await this.cli(
      ["user", "create", "--username", u.username, "--role", role, "--display-name", u.displayName, "--password-stdin"],
      { input: `${password}\n` },
    );
    if (r.code !== 0) throw new Error(`hippo user create ${u.username} failed (${r.code}): ${r.stderr}${r.stdout}`);
    const id = r.stdout.trim().split(/\s+/).pop() ?? "";
    if (!id) throw new Error(`hippo user create printed no id: ${r.stdout}`);
    return { id, username: u.username, displayName: u.displayName, role, password };
  }

  /**
   * Bearer sign-in from node (arranging state only). With MFA: the next TOTP
   * step, or one of the user's recovery codes when `recovery` (no waiting
   * for a fresh step).
   * @param {User} user
   * @param {{ recovery?: boolean }} [opts]
   */
  async bearerLogin(user, opts = {}) {
    /** @type {any} */
    const body = { username: user.username, password: user.password };
    if (user.totpSecret) {
      const spare = opts.recovery ? user.recoveryCodes?.pop() : undefined;
      if (opts.recovery && !spare) throw new Error(`${user.username} has no recovery code left`);
      body.totp_code = spare ?? (await nextTotp(user.totpSecret));
    }
    return await this.api("POST", "/api/v1/auth/login", { json: body });
  }

  /**
   * Enrols TOTP for a user through the API (for users whose MFA is not under
   * test); records the secret and recovery codes on the user.
   * @param {User} user
   */
  async enrolMfa(user) {
    const login = await this.api("POST", "/api/v1/auth/login", {
      json: { username: user.username, password: user.password },
    });
    if (!login.mfa_enrollment_required) throw new Error(`${user.username}: enrolment not required at sign-in`);
    const token = login.token;
    const setup = await this.api("POST", "/api/v1/me/mfa/totp", { token });
    user.totpSecret = setup.secret;
    const confirm = await this.request("POST", "/api/v1/me/mfa/totp/confirm", {
      token,
      json: { code: await nextTotp(setup.secret) },
    });
    if (confirm.status !== 200 && confirm.status !== 204) {
      throw new Error(`confirm TOTP answered ${confirm.status}: ${confirm.text}`);
    }
    user.recoveryCodes = confirm.json?.recovery_codes;
    await this.request("POST", "/api/v1/auth/logout", { token });
    return user;
  }

  /**
   * A bearer token for arranging state as this user.
   * @param {User} user
   * @param {{ recovery?: boolean }} [opts]
   */
  async token(user, opts = {}) {
    return (await this.bearerLogin(user, opts)).token;
  }
}
