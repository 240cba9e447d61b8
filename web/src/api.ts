// Thin, typed wrappers over the SDK's client: one function per server call
// the web client makes, each returning the body or throwing an ApiError
// that carries the server's problem (its `detail` is shown to the user).
import * as sdk from "./sdk.ts";
import { createHippoClient, problemOf, type HippoClient, type ProblemSummary } from "./sdk.ts";
import type {
  Attachment,
  Conversation,
  Member,
  Message,
  Receipt,
  SessionInfo,
  User,
} from "./types.ts";

export const client: HippoClient = createHippoClient({});

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly retryAfter: string | null;
  constructor(status: number, problem: ProblemSummary, retryAfter: string | null) {
    const detail = sentence(problem.detail);
    super(detail);
    this.status = status;
    this.code = problem.code ?? "";
    this.detail = detail;
    this.retryAfter = retryAfter;
  }
}

/** The server's details are lower-case phrases ("username or password is incorrect"): shown as sentences. */
function sentence(text: string): string {
  const t = text.trim();
  if (!t) return "Something went wrong.";
  const s = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(s) ? s : `${s}.`;
}

/** Called on every 401 of a signed-in call (the session is gone). */
let onUnauthorized: ((e: ApiError) => void) | null = null;
export function setUnauthorizedHandler(f: ((e: ApiError) => void) | null) {
  onUnauthorized = f;
}

type Result = { data?: unknown; error?: unknown; response: Response };

export async function unwrap<T>(p: Promise<Result>, opts: { auth?: boolean } = {}): Promise<T> {
  let r: Result;
  try {
    r = await p;
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(0, problemOf(e), null);
  }
  if (r.response.ok) return r.data as T;
  const err = new ApiError(r.response.status, problemOf(r.error, r.response), r.response.headers.get("Retry-After"));
  if (err.status === 401 && opts.auth !== false && onUnauthorized) onUnauthorized(err);
  throw err;
}

// ---- sessions -----------------------------------------------------------

export function login(username: string, password: string, totpCode?: string): Promise<SessionInfo> {
  return unwrap(
    client.api.POST("/api/v1/auth/login", {
      body: { session: "cookie", username, password, ...(totpCode ? { totp_code: totpCode } : {}) },
    }),
    { auth: false },
  );
}

/** The live cookie session, or null when there is none (401). */
export async function resumeSession(): Promise<SessionInfo | null> {
  try {
    return await unwrap<SessionInfo>(client.api.GET("/api/v1/auth/session"), { auth: false });
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export function logout(): Promise<void> {
  return unwrap(client.api.POST("/api/v1/auth/logout"), { auth: false });
}

export function getMe(): Promise<User> {
  return unwrap(client.api.GET("/api/v1/me"));
}

export function beginTotp(): Promise<{ secret: string; otpauth_uri: string }> {
  return unwrap(client.api.POST("/api/v1/me/mfa/totp"));
}

export function confirmTotp(code: string): Promise<{ recovery_codes?: string[] } | undefined> {
  return unwrap(client.api.POST("/api/v1/me/mfa/totp/confirm", { body: { code } }));
}

export function changePassword(current_password: string, new_password: string): Promise<void> {
  return unwrap(client.api.POST("/api/v1/me/password", { body: { current_password, new_password } }));
}

// ---- directory and conversations -----------------------------------------

export async function searchDirectory(q: string, signal?: AbortSignal): Promise<Member[]> {
  const r = await unwrap<{ users: Member[] }>(
    client.api.GET("/api/v1/directory", { params: { query: { q, limit: 20 } }, signal }),
  );
  return r.users;
}

export async function listConversations(): Promise<Conversation[]> {
  const r = await unwrap<Conversation[] | { conversations: Conversation[] }>(client.api.GET("/api/v1/conversations"));
  return Array.isArray(r) ? r : r.conversations;
}

export function getConversation(id: string): Promise<Conversation> {
  return unwrap(client.api.GET("/api/v1/conversations/{id}", { params: { path: { id } } }));
}

export function createConversation(kind: "direct" | "group", member_ids: string[], title?: string): Promise<Conversation> {
  return unwrap(client.api.POST("/api/v1/conversations", { body: { kind, member_ids, ...(title ? { title } : {}) } }));
}

/** The patients whose care team the caller is on: their names label patient conversations. */
export async function listPatients(): Promise<Array<{ id: string; display_name: string; conversation_id: string }>> {
  const r = await unwrap<{ patients: Array<{ id: string; display_name: string; conversation_id: string }> }>(
    client.api.GET("/api/v1/patients"),
  );
  return r.patients;
}

// ---- messages -------------------------------------------------------------

export function listMessages(
  id: string,
  after_seq: number,
  limit: number,
): Promise<{ messages: Message[]; next_after_seq?: number | null }> {
  return unwrap(
    client.api.GET("/api/v1/conversations/{id}/messages", {
      params: { path: { id }, query: { after_seq, limit } },
    }),
  );
}

export function sendMessage(
  id: string,
  body: string,
  client_id: string,
  priority: "normal" | "urgent",
  attachment_ids: string[],
): Promise<Message> {
  return unwrap(
    client.api.POST("/api/v1/conversations/{id}/messages", {
      params: { path: { id } },
      body: { body, client_id, priority, ...(attachment_ids.length ? { attachment_ids } : {}) },
    }),
  );
}

export function editMessage(id: string, body: string): Promise<Message> {
  return unwrap(client.api.PATCH("/api/v1/messages/{id}", { params: { path: { id } }, body: { body } }));
}

export function recallMessage(id: string): Promise<void> {
  return unwrap(client.api.DELETE("/api/v1/messages/{id}", { params: { path: { id } } }));
}

export function markRead(id: string, up_to_seq: number): Promise<void> {
  return unwrap(client.api.POST("/api/v1/conversations/{id}/read", { params: { path: { id } }, body: { up_to_seq } }));
}

export async function listReceipts(messageId: string): Promise<Receipt[]> {
  const r = await unwrap<{ receipts: Receipt[] }>(
    client.api.GET("/api/v1/messages/{id}/receipts", { params: { path: { id: messageId } } }),
  );
  return r.receipts;
}

// ---- files ----------------------------------------------------------------

export function uploadAttachment(file: File): Promise<Attachment> {
  return unwrap(sdk.uploadAttachment(client, file, file.name, file.type));
}

export function downloadAttachment(id: string): Promise<Blob> {
  return unwrap(sdk.downloadAttachment(client, id));
}
