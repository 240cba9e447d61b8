// One BroadcastChannel("hippo") shared by every tab of the app. Messages
// carry no PHI: only a kind and, for sign-out, a reason code.
export type TabMessage =
  | { t: "activity" }
  | { t: "refreshed" }
  | { t: "touched"; at: number }
  | { t: "seen"; at: number }
  | { t: "call-hold"; until: number }
  | { t: "signed-in" }
  | { t: "signed-out"; why: string };

const channel: BroadcastChannel | null = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel("hippo");
const listeners = new Set<(m: TabMessage) => void>();

if (channel) {
  channel.onmessage = (ev: MessageEvent) => {
    const m = ev.data as TabMessage;
    if (!m || typeof m !== "object" || typeof m.t !== "string") return;
    for (const f of listeners) f(m);
  };
}

export function broadcast(m: TabMessage) {
  channel?.postMessage(m);
}

export function onTabMessage(f: (m: TabMessage) => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}
