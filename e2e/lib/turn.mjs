// A real coturn (`turnserver`, Debian's package coturn) for the call tests:
// one process per suite on a free 127.0.0.1 port, a test-only config in a
// temp dir (TURN REST shared secret, UDP/TCP only, no TLS/DTLS, no CLI, and
// loopback peers allowed because both browsers and the relay live on
// 127.0.0.1). Its log is kept and shown when a test fails.

import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSocket } from "node:dgram";
import { randomBytes, createHmac } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

export const TURNSERVER = process.env.TURNSERVER || "/usr/bin/turnserver";

/** A free UDP port on 127.0.0.1 (coturn listens on UDP and TCP on it). */
async function freeUdpPort() {
  return await new Promise((res, rej) => {
    const s = createSocket("udp4");
    s.on("error", rej);
    s.bind(0, "127.0.0.1", () => {
      const port = s.address().port;
      s.close(() => res(port));
    });
  });
}

/**
 * A STUN binding request (RFC 5389), to learn that coturn is listening.
 * @param {number} port
 */
async function stunAnswers(port) {
  return await new Promise((res) => {
    const s = createSocket("udp4");
    const msg = Buffer.alloc(20);
    msg.writeUInt16BE(0x0001, 0); // Binding request
    msg.writeUInt16BE(0, 2);
    msg.writeUInt32BE(0x2112a442, 4); // magic cookie
    randomBytes(12).copy(msg, 8);
    const timer = setTimeout(() => {
      s.close();
      res(false);
    }, 300);
    s.on("message", (m) => {
      clearTimeout(timer);
      s.close();
      res(m.length >= 20 && m.readUInt16BE(0) === 0x0101);
    });
    s.on("error", () => {
      clearTimeout(timer);
      s.close();
      res(false);
    });
    s.send(msg, port, "127.0.0.1");
  });
}

export class Coturn {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "hippo-e2e-coturn-"));
    this.secret = randomBytes(24).toString("hex");
    this.secretFile = join(this.dir, "turn-secret");
    this.port = 0;
    /** @type {import("node:child_process").ChildProcess | null} */
    this.proc = null;
    /** @type {string[]} */
    this.logLines = [];
  }

  /** The value of hippo's --turn-urls for this relay. */
  get urls() {
    return `turn:127.0.0.1:${this.port}?transport=udp,turn:127.0.0.1:${this.port}?transport=tcp,stun:127.0.0.1:${this.port}`;
  }

  async start() {
    if (!existsSync(TURNSERVER)) {
      throw new Error(`${TURNSERVER} is missing: install Debian's coturn (apt-get install coturn; .ci/browser does)`);
    }
    this.port = await freeUdpPort();
    // Relay ports: a small random window above the listening port's range.
    const min = 40000 + Math.floor(Math.random() * 200) * 100;
    writeFileSync(this.secretFile, `${this.secret}\n`, { mode: 0o600 });
    const conf = join(this.dir, "turnserver.conf");
    writeFileSync(
      conf,
      [
        "# hippo e2e only: loopback peers allowed, no TLS, no CLI",
        `listening-ip=127.0.0.1`,
        `relay-ip=127.0.0.1`,
        `listening-port=${this.port}`,
        `min-port=${min}`,
        `max-port=${min + 99}`,
        "use-auth-secret",
        `static-auth-secret=${this.secret}`,
        "realm=hippo.e2e",
        "fingerprint",
        "no-tls",
        "no-dtls",
        "no-cli",
        "allow-loopback-peers",
        "no-multicast-peers",
        "no-software-attribute",
        `userdb=${join(this.dir, "turndb")}`,
        `pidfile=${join(this.dir, "turnserver.pid")}`,
        "log-file=stdout",
        "simple-log",
        "verbose",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    const proc = spawn(TURNSERVER, ["-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
    this.proc = proc;
    const reap = () => proc.kill("SIGKILL");
    process.once("exit", reap);
    proc.once("exit", () => process.removeListener("exit", reap));
    /** @type {string | null} */
    let exited = null;
    proc.on("exit", (code, sig) => {
      exited = `exited with ${code ?? sig}`;
      this.log(`--- turnserver ${exited}`);
    });
    for (const s of [proc.stdout, proc.stderr]) {
      let partial = "";
      s?.on("data", (chunk) => {
        partial += chunk.toString("utf8");
        const lines = partial.split("\n");
        partial = lines.pop() ?? "";
        for (const l of lines) this.log(l);
      });
    }
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (exited) throw new Error(`turnserver ${exited} before it answered:\n${this.tail(40)}`);
      if (Date.now() > deadline) throw new Error(`turnserver did not answer STUN on 127.0.0.1:${this.port} within 15 s:\n${this.tail(40)}`);
      if (await stunAnswers(this.port)) break;
      await sleep(100);
    }
  }

  /**
   * TURN REST credentials made here (for checks that must not depend on
   * hippo): username `<expiry>:<id>`, credential base64(HMAC-SHA1).
   * @param {number} ttlSeconds may be negative (already expired)
   */
  credential(ttlSeconds) {
    const username = `${Math.floor(Date.now() / 1000) + ttlSeconds}:${randomBytes(8).toString("hex")}`;
    const credential = createHmac("sha1", this.secret).update(username).digest("base64");
    return { username, credential };
  }

  /** @param {string} line */
  log(line) {
    this.logLines.push(line);
    if (this.logLines.length > 50_000) this.logLines.splice(0, 10_000);
  }

  tail(n = 60) {
    return this.logLines.slice(-n).join("\n");
  }

  /** Log lines since `from` (an index from `mark()`). @param {number} from */
  since(from) {
    return this.logLines.slice(from);
  }

  mark() {
    return this.logLines.length;
  }

  async stop() {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const done = new Promise((res) => proc.once("exit", res));
    proc.kill("SIGTERM");
    const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await done;
    clearTimeout(t);
  }

  cleanup() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
