// Patients, WhatsApp templates and break-glass grants as the server sends
// them: the SDK's types, generated from the server's OpenAPI document
// (sdk/typescript/src/generated/openapi.ts).
import type { components } from "../../../sdk/typescript/src/index.ts";

type S = components["schemas"];

export type Patient = S["PatientResponse"];

/** A patient found by exact MRN (`GET /patients/lookup`): no details,
 * only who it is, where the conversation is and whether the caller is
 * already on the care team. */
export type PatientMatch = S["PatientMatchResponse"];

export type Template = S["TemplateResponse"];

/** The WhatsApp channel's PHI policy (`HIPPO_WHATSAPP_PHI_MODE`), sent with
 * the templates; `null` until they are loaded. */
export type PhiMode = S["PhiMode"] | null;

export type Grant = S["GrantResponse"];

/** Meta's 24-hour customer service window. */
export const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

export function isApproved(t: Template): boolean {
  return t.status.toUpperCase() === "APPROVED";
}
