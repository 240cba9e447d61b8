// The shapes this part of the client reads, as the server sends them
// (crates/hippo-http/src/routes/wire.rs, patients.rs, whatsapp.rs,
// break_glass.rs). Written structurally so the SDK's generated types fit.

import type { WebhookEventType } from "../../../sdk/typescript/src/index.ts";

export type Role = "admin" | "clinician" | "staff" | "auditor" | "service";

export const ROLES: readonly Role[] = ["admin", "clinician", "staff", "auditor", "service"];

export const ROLE_LABELS: Record<Role, string> = {
  admin: "Administrator",
  clinician: "Clinician",
  staff: "Staff",
  auditor: "Auditor",
  service: "Service account",
};

export function roleLabel(role: string): string {
  return (ROLE_LABELS as Record<string, string>)[role] ?? role;
}

/** An account as `GET /api/v1/users` lists it. */
export interface Account {
  id: string;
  username: string;
  display_name: string;
  role: string;
  status: string;
  mfa_enabled: boolean;
  must_change_password?: boolean;
  created_at: string;
}

/** The name a person is known by on screen and in accessible names. */
export function personName(u: { display_name?: string | null; username?: string | null }): string {
  return (u.display_name && u.display_name.trim()) || u.username || "this user";
}

// ---- integrations: API keys and outgoing webhooks (routes/api_keys.rs,
// routes/webhooks.rs), by the SDK's names for the generated types.

export type {
  ApiKey,
  CreatedApiKey,
  CreatedWebhook,
  DeliveryState,
  Webhook,
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookEventType,
} from "../../../sdk/typescript/src/index.ts";

/** Every event type an endpoint can subscribe to, with what it reports.
 * Typed by the server's closed set: one added or removed there fails the
 * type check here. */
export const WEBHOOK_EVENTS: { readonly [K in WebhookEventType]: string } = {
  "message.created": "A message was sent in a conversation.",
  "message.updated": "A message was edited.",
  "message.deleted": "A message was recalled.",
  "whatsapp.status": "A WhatsApp message to a patient was sent, delivered, read or failed.",
  "patient.inbound": "A patient wrote in on WhatsApp.",
  "incident.opened": "A breach incident was recorded (for the covered entity; organisation-wide endpoints only).",
  "incident.updated": "A breach incident's notice was recorded, or it was closed.",
};

export const WEBHOOK_EVENT_TYPES = Object.keys(WEBHOOK_EVENTS) as WebhookEventType[];

/** How long a new API key works (the server allows at most 366 days). */
export const KEY_LIFETIMES: readonly { value: string; label: string }[] = [
  { value: "30d", label: "30 days" },
  { value: "90d", label: "90 days" },
  { value: "180d", label: "180 days" },
  { value: "365d", label: "365 days" },
];
