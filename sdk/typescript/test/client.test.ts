import { test } from "node:test";
import assert from "node:assert/strict";
import { createHippoClient, downloadAttachment, problemOf, uploadAttachment } from "../src/index.ts";

function recordingFetch() {
  const requests: Request[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init);
    requests.push(request);
    return new Response(
      JSON.stringify({
        id: "u1",
        username: "alice",
        display_name: "Alice",
        role: "clinician",
        status: "active",
        mfa_enabled: false,
        must_change_password: false,
        created_at: "2026-01-01T00:00:00Z",
      }),
      { status: 200, headers: { "Content-Type": "application/json" } },
    );
  };
  return { requests, fetch };
}

test("the middleware sends the bearer token and the CSRF token, and follows setToken/setCsrfToken", async () => {
  const f = recordingFetch();
  const client = createHippoClient({ baseUrl: "https://hippo.test/", token: "hpo_one", fetch: f.fetch });
  assert.equal(client.baseUrl, "https://hippo.test");

  const { data } = await client.api.GET("/api/v1/me");
  assert.equal(data?.username, "alice");
  let r = f.requests[0] as Request;
  assert.equal(r.url, "https://hippo.test/api/v1/me");
  assert.equal(r.headers.get("Authorization"), "Bearer hpo_one");
  assert.equal(r.headers.get("X-CSRF-Token"), null);
  assert.equal(r.credentials, "same-origin");

  client.setToken(null);
  client.setCsrfToken("csrf-abc");
  await client.api.GET("/api/v1/me");
  r = f.requests[1] as Request;
  assert.equal(r.headers.get("Authorization"), null);
  assert.equal(r.headers.get("X-CSRF-Token"), "csrf-abc");

  client.setCsrfToken(null);
  client.setToken("hpk_two");
  await client.api.GET("/api/v1/me");
  r = f.requests[2] as Request;
  assert.equal(r.headers.get("Authorization"), "Bearer hpk_two");
  assert.equal(r.headers.get("X-CSRF-Token"), null);
});

test("a cookie-session client sends only the CSRF header", async () => {
  const f = recordingFetch();
  const client = createHippoClient({ baseUrl: "https://hippo.test", csrfToken: "c1", fetch: f.fetch });
  await client.api.GET("/api/v1/conversations/{id}/messages", {
    params: { path: { id: "conv 1" }, query: { after_seq: 4, limit: 50 } },
  });
  const r = f.requests[0] as Request;
  assert.equal(r.url, "https://hippo.test/api/v1/conversations/conv%201/messages?after_seq=4&limit=50");
  assert.equal(r.headers.get("X-CSRF-Token"), "c1");
  assert.equal(r.headers.get("Authorization"), null);
});

test("problemOf turns problem documents, statuses and network failures into words", async () => {
  const client = createHippoClient({
    baseUrl: "https://hippo.test",
    fetch: async () =>
      new Response(
        JSON.stringify({
          type: "about:blank",
          title: "Unauthorized",
          status: 401,
          detail: "The username or password is wrong.",
          code: "invalid_credentials",
        }),
        { status: 401, headers: { "Content-Type": "application/problem+json" } },
      ),
  });
  const { error, response } = await client.api.POST("/api/v1/auth/login", {
    body: { username: "x", password: "y" },
  });
  assert.deepEqual(problemOf(error, response), {
    code: "invalid_credentials",
    detail: "The username or password is wrong.",
    status: 401,
  });

  // A body that is not a problem document: the status decides the words.
  const proxy = createHippoClient({
    baseUrl: "https://hippo.test",
    fetch: async () => new Response("<html>Bad gateway</html>", { status: 502, headers: { "Content-Type": "text/html" } }),
  });
  const bad = await proxy.api.GET("/api/v1/me");
  const p = problemOf(bad.error, bad.response);
  assert.equal(p.status, 502);
  assert.equal(p.code, undefined);
  assert.match(p.detail, /not reachable/);
  assert.doesNotMatch(p.detail, /html/i);

  // The server was not reached at all.
  const offline = createHippoClient({
    baseUrl: "https://hippo.test",
    fetch: async () => {
      throw new TypeError("fetch failed");
    },
  });
  await assert.rejects(offline.api.GET("/api/v1/me"), (e: unknown) => {
    const q = problemOf(e);
    assert.equal(q.code, "network");
    assert.equal(q.status, undefined);
    assert.match(q.detail, /could not be reached/);
    return true;
  });

  const aborted = new DOMException("The operation was aborted.", "AbortError");
  assert.equal(problemOf(aborted).code, "aborted");
  assert.equal(problemOf({ status: 404 }).detail, "It was not found, or you do not have access to it.");
});

test("uploadAttachment sends the raw bytes with their type; downloadAttachment returns a Blob", async () => {
  const requests: Array<{ url: string; method: string; type: string | null; csrf: string | null; body: string }> = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const r = input instanceof Request ? input : new Request(input, init);
    requests.push({
      url: r.url,
      method: r.method,
      type: r.headers.get("Content-Type"),
      csrf: r.headers.get("X-CSRF-Token"),
      body: r.method === "POST" ? await r.text() : "",
    });
    if (r.method === "POST") {
      return new Response(
        JSON.stringify({ id: "a1", filename: "notes.txt", content_type: "text/plain", size: 5, sha256: "00" }),
        { status: 201, headers: { "Content-Type": "application/json" } },
      );
    }
    return new Response(new Uint8Array([104, 101, 108, 108, 111]), { status: 200, headers: { "Content-Type": "text/plain" } });
  };
  const client = createHippoClient({ baseUrl: "https://hippo.test", csrfToken: "k", fetch });
  const up = await uploadAttachment(client, new Blob(["hello"], { type: "text/plain" }), "notes ü.txt");
  assert.equal(up.response.status, 201);
  assert.equal(up.data?.id, "a1");
  assert.deepEqual(requests[0], {
    url: "https://hippo.test/api/v1/attachments?filename=notes%20%C3%BC.txt",
    method: "POST",
    type: "text/plain",
    csrf: "k",
    body: "hello",
  });
  const down = await downloadAttachment(client, "a1");
  assert.ok(down.data instanceof Blob);
  assert.equal(await down.data?.text(), "hello");
  assert.equal(requests[1]?.url, "https://hippo.test/api/v1/attachments/a1");
  assert.equal(requests[1]?.csrf, "k");
});
