#!/usr/bin/env node
// Regenerates src/generated/ from the documents a running hippo serves:
//   HIPPO_OPENAPI=openapi.json HIPPO_ASYNCAPI=asyncapi.json npm run generate
//
// - src/generated/openapi.ts: openapi-typescript's output for the OpenAPI
//   document (paths, components, operations).
// - src/generated/frames.ts: the socket frames. The AsyncAPI 3 document's
//   component schemas and each message's payload are wrapped into a minimal
//   OpenAPI 3.1 document (components.schemas) and run through
//   openapi-typescript; then one named alias per frame and the unions
//   `ServerFrame` and `ClientFrame` (discriminated by `type`) are appended.
//
// The output depends on the documents only (no dates, hosts or versions),
// so CI can regenerate and diff it.
import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, "..", "src", "generated");

function fail(message) {
  console.error(`generate: ${message}`);
  process.exit(1);
}

function readJson(envName) {
  const path = process.env[envName];
  if (!path) fail(`${envName} must name a file (the document served by hippo)`);
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    fail(`${envName}=${path}: ${e.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(`${envName}=${path} is not JSON: ${e.message}`);
  }
}

/** `message.created` → `MessageCreated`. */
function pascal(s) {
  return s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("");
}

/** Resolves a local `$ref` (`#/a/b`) inside the document. */
function deref(doc, value) {
  let v = value;
  for (let i = 0; v && typeof v === "object" && typeof v.$ref === "string" && i < 10; i++) {
    const ref = v.$ref;
    if (!ref.startsWith("#/")) fail(`only local references are supported, found ${ref}`);
    v = ref
      .slice(2)
      .split("/")
      .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
      .reduce((o, k) => (o == null ? undefined : o[k]), doc);
    if (v === undefined) fail(`unresolved reference ${ref}`);
  }
  return v;
}

/** The frame `type` a payload schema fixes (`enum: ["x"]` or `const: "x"`). */
function frameTypeOf(payload, fallback) {
  const t = payload?.properties?.type;
  if (t && Array.isArray(t.enum) && t.enum.length === 1) return t.enum[0];
  if (t && typeof t.const === "string") return t.const;
  return fallback;
}

function framesFromAsyncApi(doc) {
  if (typeof doc.asyncapi !== "string" || !doc.asyncapi.startsWith("3.")) {
    fail(`HIPPO_ASYNCAPI is not an AsyncAPI 3 document (asyncapi: ${JSON.stringify(doc.asyncapi)})`);
  }
  const operations = doc.operations ?? {};
  // Which messages the server sends and which it receives, from the
  // operations (action "send" = server frames, "receive" = client frames).
  const sides = new Map();
  for (const [opName, op] of Object.entries(operations)) {
    const side = op.action === "send" ? "server" : op.action === "receive" ? "client" : null;
    if (!side) fail(`operation ${opName} has action ${JSON.stringify(op.action)}`);
    for (const ref of op.messages ?? []) {
      const key = String(ref.$ref ?? "").split("/").pop();
      if (!key) fail(`operation ${opName} lists a message without $ref`);
      sides.set(key, side);
    }
  }
  const messages = doc.components?.messages ?? {};
  const frames = [];
  for (const [key, raw] of Object.entries(messages)) {
    const message = deref(doc, raw);
    const side = sides.get(key);
    if (!side) fail(`message ${key} is in no send or receive operation`);
    const payload = deref(doc, message.payload);
    if (!payload || typeof payload !== "object") fail(`message ${key} has no payload schema`);
    const type = frameTypeOf(payload, message.name);
    if (typeof type !== "string") fail(`message ${key}: its payload fixes no "type"`);
    const name = `${side === "server" ? "Server" : "Client"}${pascal(type)}Frame`;
    frames.push({ key, side, type, name, payload });
  }
  frames.sort((a, b) => (a.side === b.side ? a.name.localeCompare(b.name) : a.side === "server" ? -1 : 1));
  const seen = new Set();
  for (const f of frames) {
    if (seen.has(f.name)) fail(`two frames map to the name ${f.name}`);
    seen.add(f.name);
  }
  return frames;
}

async function render(doc) {
  const ast = await openapiTS(doc, { alphabetize: true });
  return astToString(ast);
}

const openapi = readJson("HIPPO_OPENAPI");
const asyncapi = readJson("HIPPO_ASYNCAPI");
if (typeof openapi.openapi !== "string" || !openapi.openapi.startsWith("3.")) {
  fail(`HIPPO_OPENAPI is not an OpenAPI 3 document (openapi: ${JSON.stringify(openapi.openapi)})`);
}

const frames = framesFromAsyncApi(asyncapi);
const schemas = { ...(asyncapi.components?.schemas ?? {}) };
for (const f of frames) {
  if (schemas[f.name]) fail(`the AsyncAPI document already has a schema named ${f.name}`);
  schemas[f.name] = f.payload;
}
const wrapped = {
  openapi: "3.1.0",
  info: { title: "hippo stream frames", version: "0" },
  paths: {},
  components: { schemas },
};

const framesHeader = `/**
 * The frames of hippo's WebSocket stream (GET /api/v1/stream), generated
 * from the AsyncAPI 3 document it serves at /api/v1/asyncapi.json.
 * Do not edit: run \`npm run generate\` (see README.md).
 */

`;

const aliasLines = frames.map(
  (f) => `/** \`${f.type}\` (${f.side === "server" ? "server → client" : "client → server"}) */\nexport type ${f.name} = components["schemas"]["${f.name}"];`,
);
const union = (side) => {
  const names = frames.filter((f) => f.side === side).map((f) => f.name);
  return names.length ? names.map((n) => `\n  | ${n}`).join("") : " never";
};
const typeList = (side) =>
  JSON.stringify(frames.filter((f) => f.side === side).map((f) => f.type).sort());

const framesTail = `
// ---- named frames and unions (added by scripts/generate.mjs) ----

${aliasLines.join("\n")}

/** Every frame the server sends, discriminated by \`type\`. */
export type ServerFrame =${union("server")};

/** Every frame a client may send, discriminated by \`type\`. */
export type ClientFrame =${union("client")};

export type ServerFrameType = ServerFrame["type"];
export type ClientFrameType = ClientFrame["type"];

/** The server frame with this \`type\`. */
export type ServerFrameOf<T extends ServerFrameType> = Extract<ServerFrame, { type: T }>;
/** The client frame with this \`type\`. */
export type ClientFrameOf<T extends ClientFrameType> = Extract<ClientFrame, { type: T }>;

/** The \`type\`s of server frames, as published. */
export const SERVER_FRAME_TYPES: readonly ServerFrameType[] = ${typeList("server")};
/** The \`type\`s of client frames, as published. */
export const CLIENT_FRAME_TYPES: readonly ClientFrameType[] = ${typeList("client")};
`;

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "openapi.ts"), COMMENT_HEADER + (await render(openapi)));
writeFileSync(join(outDir, "frames.ts"), framesHeader + (await render(wrapped)) + framesTail);
console.log(
  `generate: wrote src/generated/openapi.ts and src/generated/frames.ts (${frames.filter((f) => f.side === "server").length} server frames, ${frames.filter((f) => f.side === "client").length} client frames)`,
);
