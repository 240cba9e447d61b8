// The shapes this part of the client reads, as the server sends them
// (crates/hippo-http/src/routes/wire.rs, patients.rs, whatsapp.rs,
// break_glass.rs). Written structurally so the SDK's generated types fit.

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
