// What the console's audit search, reports and incidents share: times in
// words and as RFC 3339, the accounts to pick by name (from the access
// review), and the names behind the trail's ids (resolved by the server,
// which records each lookup).

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { HippoClient } from "../sdk.ts";
import type { components } from "../../../sdk/typescript/src/generated/openapi.ts";
import { attempt } from "../admin/ui.tsx";

export type Account = components["schemas"]["AccessReviewEntryResponse"];
export type Names = components["schemas"]["ResolveResponse"];

export const NO_NAMES: Names = { users: [], patients: [] };

/** A time in words; `seconds` for the trail's records. */
export function when(iso: string, seconds = false): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: seconds ? "medium" : "short" });
}

/** A `datetime-local` value as RFC 3339 (UTC); empty is undefined. */
export function toRfc3339(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

/** Every account, for pickers by name (empty until loaded). */
export function useAccounts(client: HippoClient): Account[] {
  const [accounts, setAccounts] = useState<Account[]>([]);
  useEffect(() => {
    void (async () => {
      const r = await attempt(() => client.api.GET("/api/v1/compliance/access-review"));
      if (r.ok) setAccounts((r.data as { accounts: Account[] }).accounts);
    })();
  }, []);
  return accounts;
}

/** The `<option>`s of an account picker. */
export function AccountOptions(props: { accounts: Account[] }): JSX.Element {
  return (
    <>
      {props.accounts.map((a) => (
        <option key={a.user.id} value={a.user.id}>
          {a.user.display_name} ({a.user.username})
        </option>
      ))}
    </>
  );
}

/** The names behind the ids (none asked: none looked up), or why not. */
export async function resolveNames(
  client: HippoClient,
  userIds: string[],
  patientIds: string[],
): Promise<{ ok: true; names: Names } | { ok: false; message: string }> {
  if (userIds.length + patientIds.length === 0) return { ok: true, names: NO_NAMES };
  const n = await attempt(() =>
    client.api.POST("/api/v1/audit/resolve", { body: { user_ids: userIds, patient_ids: patientIds } }),
  );
  return n.ok ? { ok: true, names: n.data as Names } : { ok: false, message: n.message };
}

/** An account by name and username (the system, or the bare id if unknown). */
export function userLabel(names: Names, id: string | null | undefined): string {
  if (!id || id === "system") return "hippo (system)";
  const u = names.users.find((x) => x.id === id);
  return u ? `${u.display_name} (${u.username})` : id;
}

/** A patient by name and MRN (the bare id if unknown). */
export function patientLabel(names: Names, id: string | null | undefined): string {
  if (!id) return "";
  const p = names.patients.find((x) => x.id === id);
  return p ? `${p.display_name}${p.mrn ? `, MRN ${p.mrn}` : ""}` : id;
}
