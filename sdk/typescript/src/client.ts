// The REST client: openapi-fetch over the types generated from hippo's
// OpenAPI document, with the session's credentials added to every request.

import createClient from "openapi-fetch";
import type { Client, Middleware } from "openapi-fetch";
import type { paths } from "./generated/openapi.ts";

export interface HippoClientOptions {
  /**
   * Origin of the server, e.g. `https://hippo.example.org`. Default: the
   * page's origin (`location.origin`) in a browser. Required elsewhere.
   */
  baseUrl?: string;
  /** A bearer token (from `POST /api/v1/auth/login` without `session: "cookie"`, or an `hpk_` API key). */
  token?: string;
  /** The `csrf_token` of a cookie session (sent as `X-CSRF-Token`). */
  csrfToken?: string;
  /** Custom fetch; default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

export interface HippoClient {
  /** The typed client: `api.GET("/api/v1/me")`, `api.POST("/api/v1/conversations/{id}/messages", …)`. */
  readonly api: Client<paths>;
  /** Sets (or with `null` clears) the bearer token sent from now on. */
  setToken(token: string | null): void;
  /** Sets (or with `null` clears) the CSRF token sent from now on. */
  setCsrfToken(token: string | null): void;
  /** The origin requests go to (no trailing slash). */
  readonly baseUrl: string;
}

function defaultBaseUrl(): string {
  const loc = (globalThis as { location?: { origin?: string } }).location;
  if (loc && typeof loc.origin === "string" && loc.origin !== "null") return loc.origin;
  throw new Error("createHippoClient: baseUrl is required outside a browser page");
}

/**
 * Creates the REST client. In a browser page with a cookie session, pass
 * the `csrfToken` from the login (or `GET /api/v1/auth/session`) answer;
 * with a bearer token, pass `token`.
 */
export function createHippoClient(opts: HippoClientOptions = {}): HippoClient {
  const baseUrl = (opts.baseUrl ?? defaultBaseUrl()).replace(/\/+$/, "");
  let token: string | null = opts.token ?? null;
  let csrfToken: string | null = opts.csrfToken ?? null;
  const customFetch = opts.fetch;
  const api = createClient<paths>({
    baseUrl,
    credentials: "same-origin",
    // Bound lazily, so a fetch replaced after creation (tests, polyfills)
    // is the one used, and window.fetch is never called detached.
    fetch: (request: Request) => (customFetch ? customFetch(request) : globalThis.fetch(request)),
  });
  const credentials: Middleware = {
    onRequest({ request }) {
      if (token !== null) request.headers.set("Authorization", `Bearer ${token}`);
      if (csrfToken !== null) request.headers.set("X-CSRF-Token", csrfToken);
      return request;
    },
  };
  api.use(credentials);
  return {
    api,
    baseUrl,
    setToken(t) {
      token = t;
    },
    setCsrfToken(t) {
      csrfToken = t;
    },
  };
}

/** What a UI shows for a failed call. */
export interface ProblemSummary {
  /** The problem's stable `code` (`invalid_credentials`, `rate_limited`, …); `network` when the server was not reached. */
  code?: string;
  /** Words for the user. */
  detail: string;
  /** The HTTP status, when there was a response. */
  status?: number;
}

const GENERIC_BY_STATUS: Record<number, string> = {
  400: "The request was not accepted.",
  401: "You are not signed in, or your session has ended.",
  403: "You do not have access to this.",
  404: "It was not found, or you do not have access to it.",
  409: "It changed in the meantime; reload and try again.",
  413: "It is too large.",
  422: "Some of what was entered is not valid.",
  429: "Too many attempts; wait a moment and try again.",
  500: "The server had a problem; try again.",
  502: "The server is not reachable right now; try again.",
  503: "The service is unavailable right now; try again later.",
  504: "The server took too long to answer; try again.",
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() !== "" ? v : undefined;
}

/**
 * Turns a failure into words a UI can show: the `error` of an openapi-fetch
 * result (a problem+json body, or text), a thrown exception (network
 * failure, abort), or a `Response`. Pass the result's `response` as well to
 * get its status when the body is not a problem document.
 */
export function problemOf(error: unknown, response?: Response): ProblemSummary {
  const status = response?.status;
  if (isException(error)) {
    if (error.name === "AbortError") return { code: "aborted", detail: "The request was cancelled." };
    if (error.name === "TimeoutError") return { code: "network", detail: "The server took too long to answer; try again." };
    if (status !== undefined) return fromStatus(status);
    return { code: "network", detail: "The server could not be reached. Check the connection and try again." };
  }
  if (typeof Response !== "undefined" && error instanceof Response) return fromStatus(error.status);
  if (isRecord(error)) {
    const s = typeof error.status === "number" ? error.status : status;
    const code = nonEmpty(error.code);
    const detail = nonEmpty(error.detail) ?? nonEmpty(error.title) ?? (s !== undefined ? fromStatus(s).detail : undefined);
    const out: ProblemSummary = { detail: detail ?? "Something went wrong." };
    if (code !== undefined) out.code = code;
    if (s !== undefined) out.status = s;
    return out;
  }
  // A non-JSON body (a proxy's error page, say): its text is not for users.
  if (status !== undefined) return fromStatus(status);
  return { detail: "Something went wrong." };
}

/** A thrown Error or DOMException (not a parsed body). */
function isException(e: unknown): e is { name: string; message: string } {
  if (e instanceof Error) return true;
  return (
    isRecord(e) &&
    typeof e.name === "string" &&
    typeof e.message === "string" &&
    !("detail" in e) &&
    !("code" in e && typeof e.code === "string")
  );
}

function fromStatus(status: number): ProblemSummary {
  const detail =
    GENERIC_BY_STATUS[status] ?? (status >= 500 ? "The server had a problem; try again." : "The request failed.");
  return { detail, status };
}
