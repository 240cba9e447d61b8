// Attachments: raw-body upload and authenticated download, which the
// generic JSON client does not do by itself.

import type { HippoClient } from "./client.ts";
import type { components } from "./generated/openapi.ts";

type Attachment = components["schemas"]["AttachmentResponse"];
type Problem = components["schemas"]["Problem"];

/**
 * `POST /api/v1/attachments?filename=…` with the file's bytes as the body
 * and its type as `Content-Type` (the server checks that the bytes match).
 * Resolves like every `api` call: `{ data, error, response }`.
 */
export async function uploadAttachment(
  client: HippoClient,
  file: Blob,
  filename: string,
  contentType: string = file.type || "application/octet-stream",
): Promise<{ data?: Attachment; error?: Problem | string; response: Response }> {
  const result = await client.api.POST("/api/v1/attachments", {
    params: { query: { filename } },
    // The document types binary bodies as strings; the bytes go as they are.
    body: file as unknown as string,
    bodySerializer: (body: unknown) => body as BodyInit,
    headers: { "Content-Type": contentType },
  });
  const out: { data?: Attachment; error?: Problem | string; response: Response } = { response: result.response };
  if (result.data !== undefined) out.data = result.data;
  if (result.error !== undefined) out.error = result.error as Problem | string;
  return out;
}

/**
 * `GET /api/v1/attachments/{id}` with the session's credentials (and CSRF
 * header), as a Blob: show it with `URL.createObjectURL(blob)` and revoke
 * the URL when done. Nothing is cached or stored.
 */
export async function downloadAttachment(
  client: HippoClient,
  id: string,
): Promise<{ data?: Blob; error?: Problem | string; response: Response }> {
  const result = await client.api.GET("/api/v1/attachments/{id}", {
    params: { path: { id } },
    parseAs: "blob",
    cache: "no-store",
  });
  const out: { data?: Blob; error?: Problem | string; response: Response } = { response: result.response };
  if (result.data !== undefined) out.data = result.data;
  if (result.error !== undefined) out.error = result.error as Problem | string;
  return out;
}
