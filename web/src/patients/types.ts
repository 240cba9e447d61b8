// Patients, WhatsApp templates and break-glass grants as the server sends
// them (crates/hippo-http/src/routes/patients.rs, whatsapp.rs,
// break_glass.rs).

export interface Patient {
  id: string;
  display_name: string;
  phone: string;
  mrn?: string | null;
  whatsapp_opt_in: boolean;
  opt_in_at?: string | null;
  opt_in_source?: string | null;
  opt_in_by?: string | null;
  opted_out_at?: string | null;
  whatsapp_phi_request?: { warning_version: string; at?: string | null } | null;
  /** When the patient last wrote (opens the 24-hour window for free text). */
  last_inbound_at?: string | null;
  conversation_id: string;
  member_ids: string[];
  created_at: string;
}

export interface Template {
  name: string;
  language: string;
  category: string;
  /** Meta's status, `APPROVED` when usable. */
  status: string;
  parameter_count: number;
  /** Marked safe to send under `notify_only`. */
  phi_free: boolean;
  body_text?: string | null;
  synced_at?: string;
}

/** `HIPPO_WHATSAPP_PHI_MODE`; `null` while the client does not know it. */
export type PhiMode = "notify_only" | "patient_requested" | null;

export interface Grant {
  id?: string;
  conversation_id: string;
  expires_at: string;
}

/** Meta's 24-hour customer service window. */
export const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

export function isApproved(t: Template): boolean {
  return t.status.toUpperCase() === "APPROVED";
}
