// Conversations, messages, receipts, typing, drafts and the app's one
// HippoStream. Everything here lives in memory only and is dropped by
// clearMessaging() at sign-out (blob URLs revoked).
import { batch, computed, signal } from "@preact/signals";
import * as api from "../api.ts";
import { client } from "../api.ts";
import { HippoStream } from "../sdk.ts";
import { noteSocketOpened } from "./idle.ts";
import type { Attachment, Conversation, Member, Message, Receipt, User } from "../types.ts";

// ---- conversations --------------------------------------------------------

export const conversations = signal<Conversation[]>([]);
export const conversationsLoaded = signal(false);
export const conversationsError = signal<string | null>(null);
export const openConversationId = signal<string | null>(null);
/** Conversations opened through break-glass: id -> expires_at. */
export const breakGlass = signal<Map<string, string>>(new Map());
export const streamStatus = signal<"idle" | "connecting" | "open" | "reconnecting" | "closed">("idle");
/** Messages from others marked urgent that this tab has acknowledged. */
export const acknowledged = signal<Set<string>>(new Set());
/** Urgent messages from others that arrived in this session, not yet acknowledged, by conversation. */
export const urgentOpen = signal<Map<string, Set<string>>>(new Map());

function setUrgent(convId: string, messageId: string, open: boolean) {
  const cur = urgentOpen.value.get(convId);
  if (open === !!cur?.has(messageId)) return;
  const next = new Map(urgentOpen.value);
  const ids = new Set(cur ?? []);
  if (open) ids.add(messageId);
  else ids.delete(messageId);
  if (ids.size) next.set(convId, ids);
  else next.delete(convId);
  urgentOpen.value = next;
}

/** "Acknowledge" on an urgent message (client-side state). */
export function acknowledge(m: Message) {
  const next = new Set(acknowledged.value);
  next.add(m.id);
  acknowledged.value = next;
  setUrgent(m.conversation_id, m.id, false);
}
/** conversation id -> user id -> until (ms). */
export const typing = signal<Map<string, Map<string, number>>>(new Map());
export const notifyPreviews = signal(false);
export const notificationPermission = signal<NotificationPermission | "unsupported">(
  typeof Notification === "undefined" ? "unsupported" : Notification.permission,
);

let me: User | null = null;
let stream: HippoStream | null = null;
let everOpened = false;

export function currentUser(): User | null {
  return me;
}

function sortConversations(list: Conversation[]): Conversation[] {
  const key = (c: Conversation) => c.last_message_at || c.created_at || "";
  return [...list].sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
}

export const sortedConversations = computed(() => sortConversations(conversations.value));

export const totalUnread = computed(() =>
  conversations.value.reduce((n, c) => n + (c.unread_count && c.unread_count > 0 ? c.unread_count : 0), 0),
);

export function conversationById(id: string | null): Conversation | undefined {
  if (!id) return undefined;
  return conversations.value.find((c) => c.id === id) ?? extraConversations.value.get(id);
}

/** Conversations shown but not in the caller's list (break-glass). */
export const extraConversations = signal<Map<string, Conversation>>(new Map());

function upsertConversation(c: Conversation, keepViewerFields = true) {
  const list = conversations.value;
  const i = list.findIndex((x) => x.id === c.id);
  if (i < 0) {
    conversations.value = [...list, { ...c, unread_count: c.unread_count ?? 0, last_message_at: c.last_message_at ?? null }];
    wantPatientNames([c]);
    return;
  }
  const old = list[i];
  const merged: Conversation = keepViewerFields
    ? {
        ...old,
        ...c,
        unread_count: c.unread_count ?? old.unread_count,
        last_message_at: c.last_message_at === undefined ? old.last_message_at : c.last_message_at,
        last_seq: Math.max(old.last_seq, c.last_seq ?? 0),
      }
    : c;
  const next = list.slice();
  next[i] = merged;
  conversations.value = next;
}

function patchConversation(id: string, f: (c: Conversation) => Conversation) {
  const list = conversations.value;
  const i = list.findIndex((x) => x.id === id);
  if (i < 0) return false;
  const next = list.slice();
  next[i] = f(list[i]);
  conversations.value = next;
  return true;
}

/** Patient conversations: conversation id -> the patient (care team view). */
export const patients = signal<Map<string, { id: string; name: string }>>(new Map());
let patientsLoading = false;

async function loadPatients() {
  if (patientsLoading) return;
  patientsLoading = true;
  try {
    const list = await api.listPatients();
    patients.value = new Map(list.map((p) => [p.conversation_id, { id: p.id, name: p.display_name }]));
  } catch {
    // Names fall back to "Patient conversation"; nothing else depends on them.
  } finally {
    patientsLoading = false;
  }
}

function wantPatientNames(list: Conversation[]) {
  if (list.some((c) => c.kind === "patient" && !patients.value.has(c.id))) void loadPatients();
}

export function memberName(conv: Conversation | undefined, userId: string): string {
  if (me && userId === me.id) return me.display_name || "You";
  const m = conv?.members?.find((x) => x.id === userId);
  if (m) return m.display_name;
  if (conv?.kind === "patient") {
    const p = patients.value.get(conv.id);
    return p && p.id === userId ? p.name : "Patient";
  }
  return "Former member";
}

export function conversationName(c: Conversation): string {
  if (c.title && c.kind !== "direct") return c.title;
  if (c.kind === "patient") {
    const p = patients.value.get(c.id);
    return p ? p.name : "Patient conversation";
  }
  const others = (c.members || []).filter((m) => !me || m.id !== me.id).map((m) => m.display_name);
  if (others.length) return others.join(", ");
  return c.title || "Just you";
}

export async function loadConversations() {
  // Read before the request: a list fetched while the socket was live needs no catch-up.
  const epoch = stream?.readyEpoch ?? null;
  try {
    const list = await api.listConversations();
    batch(() => {
      // Keep anything newer we learnt from the stream while the list loaded.
      const byId = new Map(conversations.value.map((c) => [c.id, c]));
      conversations.value = list.map((c) => {
        const known = byId.get(c.id);
        return known && known.last_seq > c.last_seq ? { ...c, last_seq: known.last_seq } : c;
      });
      conversationsLoaded.value = true;
      conversationsError.value = null;
    });
    wantPatientNames(list);
    for (const c of list) {
      const t = threads.get(c.id);
      if (t?.initialLoaded) {
        stream?.noteSeq(c.id, t.maxSeq, epoch);
        if (t.maxSeq < c.last_seq) void catchUp(t);
      } else {
        stream?.noteSeq(c.id, c.last_seq, epoch);
      }
    }
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 401) return;
    conversationsError.value = e instanceof Error ? e.message : String(e);
  }
}

export async function startConversation(members: Member[], title: string): Promise<Conversation> {
  const c =
    members.length === 1 && !title.trim()
      ? await api.createConversation("direct", [members[0].id])
      : await api.createConversation("group", members.map((m) => m.id), title.trim() || undefined);
  upsertConversation(c);
  return c;
}

// ---- threads (the messages of a conversation) ------------------------------

/** The newest page when a conversation opens, and each older page after. */
export const PAGE = 50;
const OLDER_PAGE = 100;

export interface PendingSend {
  clientId: string;
  body: string;
  priority: "normal" | "urgent";
  attachments: Attachment[];
  error: string | null;
}

export class Thread {
  readonly id: string;
  readonly bySeq = new Map<number, Message>();
  readonly seqById = new Map<string, number>();
  /** Lowest and highest seq loaded (0 when nothing is). */
  minSeq = 0;
  maxSeq = 0;
  initialLoaded = false;
  loadingOlder = false;
  catchingUp = false;
  catchUpAgain = false;
  error: string | null = null;
  /** Read and delivered watermarks of the other members (user -> seq). */
  readonly readUpTo = new Map<string, number>();
  readonly deliveredUpTo = new Map<string, number>();
  readonly receiptsAsked = new Set<string>();
  /** Bumped when receipts should be asked again (after a reconnect). */
  receiptEpoch = 0;
  myReadSent = 0;
  pending: PendingSend[] = [];
  readonly version = signal(0);
  private sortedCache: number[] | null = null;

  constructor(id: string) {
    this.id = id;
  }

  bump() {
    this.sortedCache = null;
    this.version.value++;
  }

  get hasOlder() {
    return this.initialLoaded && this.minSeq > 1;
  }

  sortedSeqs(): number[] {
    if (!this.sortedCache) this.sortedCache = [...this.bySeq.keys()].sort((a, b) => a - b);
    return this.sortedCache;
  }

  /** Adds or replaces messages; returns those that were new. */
  put(msgs: Message[]): Message[] {
    const fresh: Message[] = [];
    for (const m of msgs) {
      if (!this.seqById.has(m.id) && !this.bySeq.has(m.seq)) fresh.push(m);
      this.bySeq.set(m.seq, m);
      this.seqById.set(m.id, m.seq);
      if (!this.minSeq || m.seq < this.minSeq) this.minSeq = m.seq;
      if (m.seq > this.maxSeq) this.maxSeq = m.seq;
      if (m.client_id) this.pending = this.pending.filter((p) => p.clientId !== m.client_id || m.sender_id !== me?.id);
    }
    if (msgs.length) this.bump();
    return fresh;
  }

  byId(id: string): Message | undefined {
    const s = this.seqById.get(id);
    return s === undefined ? undefined : this.bySeq.get(s);
  }
}

const threads = new Map<string, Thread>();

export function thread(id: string): Thread {
  let t = threads.get(id);
  if (!t) {
    t = new Thread(id);
    threads.set(id, t);
  }
  return t;
}

export async function loadInitial(t: Thread) {
  if (t.initialLoaded) return;
  const conv = conversationById(t.id);
  let lastSeq = conv?.last_seq ?? 0;
  if (!conv) {
    try {
      const c = await api.getConversation(t.id);
      lastSeq = c.last_seq;
    } catch (e) {
      t.error = e instanceof Error ? e.message : String(e);
      t.bump();
      return;
    }
  }
  const epoch = stream?.readyEpoch ?? null;
  try {
    const after = Math.max(0, lastSeq - PAGE);
    const page = await api.listMessages(t.id, after, PAGE);
    t.put(page.messages);
    t.initialLoaded = true;
    t.minSeq = t.minSeq ? Math.min(t.minSeq, after + 1) : after + 1;
    t.error = null;
    t.bump();
    // Messages that arrived while the page loaded (live frames are kept
    // in the thread meanwhile): fill any hole up to the newest.
    const newest = Math.max(t.maxSeq, conversationById(t.id)?.last_seq ?? 0);
    if (contiguousTop(t) < newest) await catchUp(t);
    stream?.noteSeq(t.id, t.maxSeq, epoch);
    maybeMarkRead(t.id);
  } catch (e) {
    t.error = e instanceof Error ? e.message : String(e);
    t.bump();
  }
}

export async function loadOlder(t: Thread) {
  if (!t.hasOlder || t.loadingOlder) return;
  t.loadingOlder = true;
  t.bump();
  try {
    const before = t.minSeq - 1;
    const after = Math.max(0, before - OLDER_PAGE);
    const page = await api.listMessages(t.id, after, before - after);
    t.put(page.messages.filter((m) => m.seq <= before));
    t.minSeq = Math.min(t.minSeq, after + 1);
    t.error = null;
  } catch (e) {
    t.error = e instanceof Error ? e.message : String(e);
  } finally {
    t.loadingOlder = false;
    t.bump();
  }
}

/** The highest seq up to which the loaded messages have no hole. */
function contiguousTop(t: Thread): number {
  let s = t.minSeq ? t.minSeq - 1 : 0;
  while (t.bySeq.has(s + 1)) s++;
  return s;
}

/** Fetches what is missing after the loaded history (a hole, or after a reconnect). */
async function catchUp(t: Thread) {
  if (!t.initialLoaded) return;
  if (t.catchingUp) {
    t.catchUpAgain = true;
    return;
  }
  t.catchingUp = true;
  const epoch = stream?.readyEpoch ?? null;
  try {
    do {
      t.catchUpAgain = false;
      for (let guard = 0; guard < 200; guard++) {
        const page = await api.listMessages(t.id, contiguousTop(t), 500);
        const fresh = t.put(page.messages);
        for (const m of fresh) afterNewMessage(m, false);
        if (page.messages.length < 500 || !fresh.length) break;
      }
    } while (t.catchUpAgain && threads.get(t.id) === t);
    stream?.noteSeq(t.id, t.maxSeq, epoch);
  } catch {
    // The next frame or reconnect tries again; the list shows what we have.
  } finally {
    t.catchingUp = false;
  }
}

// ---- receipts -------------------------------------------------------------

export type Delivery = "Sent" | "Delivered" | "Read";

export function deliveryOf(t: Thread, m: Message): Delivery {
  for (const s of t.readUpTo.values()) if (s >= m.seq) return "Read";
  for (const s of t.deliveredUpTo.values()) if (s >= m.seq) return "Delivered";
  return "Sent";
}

function noteReceipt(t: Thread, userId: string, seq: number, delivered: boolean, read: boolean) {
  let changed = false;
  if (read && (t.readUpTo.get(userId) ?? 0) < seq) {
    t.readUpTo.set(userId, seq);
    changed = true;
  }
  if ((delivered || read) && (t.deliveredUpTo.get(userId) ?? 0) < seq) {
    t.deliveredUpTo.set(userId, seq);
    changed = true;
  }
  if (changed) t.bump();
}

let receiptQueue: Array<[Thread, Message]> = [];
let receiptWorkers = 0;

/** Asks the server for an own message's receipts once (when shown and not yet Read). */
export function wantReceipts(t: Thread, m: Message) {
  if (t.receiptsAsked.has(m.id) || m.deleted || breakGlass.value.has(t.id)) return;
  t.receiptsAsked.add(m.id);
  receiptQueue.push([t, m]);
  while (receiptWorkers < 2 && receiptQueue.length) {
    receiptWorkers++;
    void (async () => {
      try {
        while (receiptQueue.length) {
          const [tt, mm] = receiptQueue.pop()!;
          if (deliveryOf(tt, mm) === "Read") continue;
          try {
            const rs: Receipt[] = await api.listReceipts(mm.id);
            for (const r of rs) noteReceipt(tt, r.user_id, mm.seq, !!r.delivered_at, !!r.read_at);
          } catch {
            tt.receiptsAsked.delete(mm.id);
          }
        }
      } finally {
        receiptWorkers--;
      }
    })();
  }
}

// ---- reading --------------------------------------------------------------

function pageIsActive(): boolean {
  return document.visibilityState === "visible" && document.hasFocus();
}

export function maybeMarkRead(convId: string) {
  if (openConversationId.value !== convId || !pageIsActive() || breakGlass.value.has(convId)) return;
  const t = threads.get(convId);
  if (!t || !t.initialLoaded || t.maxSeq <= t.myReadSent) return;
  const upTo = t.maxSeq;
  t.myReadSent = upTo;
  patchConversation(convId, (c) => ({ ...c, unread_count: 0 }));
  api.markRead(convId, upTo).catch(() => {
    if (t.myReadSent === upTo) t.myReadSent = 0;
  });
}

function onPageActivity() {
  const id = openConversationId.value;
  if (id) maybeMarkRead(id);
}

// ---- drafts and sending ---------------------------------------------------

export const drafts = new Map<string, string>();
export const draftUploads = new Map<string, Attachment[]>();

export function restoreDrafts(saved: Map<string, string>) {
  for (const [k, v] of saved) drafts.set(k, v);
}

export async function send(convId: string, body: string, priority: "normal" | "urgent", attachments: Attachment[]) {
  const t = thread(convId);
  const p: PendingSend = { clientId: crypto.randomUUID(), body, priority, attachments, error: null };
  t.pending = [...t.pending, p];
  t.bump();
  await deliver(t, p);
}

export async function retry(convId: string, clientId: string) {
  const t = thread(convId);
  const p = t.pending.find((x) => x.clientId === clientId);
  if (!p) return;
  p.error = null;
  t.bump();
  await deliver(t, p);
}

export function discardPending(convId: string, clientId: string) {
  const t = thread(convId);
  t.pending = t.pending.filter((x) => x.clientId !== clientId);
  t.bump();
}

async function deliver(t: Thread, p: PendingSend) {
  try {
    const m = await api.sendMessage(t.id, p.body, p.clientId, p.priority, p.attachments.map((a) => a.id));
    t.pending = t.pending.filter((x) => x.clientId !== p.clientId);
    ingest(m);
    t.bump();
  } catch (e) {
    p.error = e instanceof Error ? e.message : String(e);
    t.bump();
  }
}

export async function edit(m: Message, body: string) {
  const updated = await api.editMessage(m.id, body);
  thread(m.conversation_id).put([updated]);
}

export async function recall(m: Message) {
  await api.recallMessage(m.id);
  markDeleted(m.conversation_id, m.id);
}

function markDeleted(convId: string, messageId: string) {
  setUrgent(convId, messageId, false);
  const t = threads.get(convId);
  const m = t?.byId(messageId);
  if (t && m) t.put([{ ...m, deleted: true, body: null, attachments: [] }]);
}

export function sendTyping(convId: string) {
  try {
    stream?.send({ type: "typing", conversation_id: convId });
  } catch {
    // Not connected: typing is best effort.
  }
}

// ---- attachments ----------------------------------------------------------

const blobUrls = new Map<string, Promise<string>>();

/** An object URL for an attachment's bytes, fetched once per session. */
export function attachmentUrl(a: Attachment): Promise<string> {
  let p = blobUrls.get(a.id);
  if (!p) {
    p = api.downloadAttachment(a.id).then((b) => URL.createObjectURL(new Blob([b], { type: a.content_type })));
    p.catch(() => blobUrls.delete(a.id));
    blobUrls.set(a.id, p);
  }
  return p;
}

export async function downloadFile(a: Attachment) {
  const blob = await api.downloadAttachment(a.id);
  const url = URL.createObjectURL(new Blob([blob], { type: a.content_type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = a.filename;
  link.rel = "noopener";
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

// ---- real time ------------------------------------------------------------

function ingest(m: Message): boolean {
  const t = threads.get(m.conversation_id);
  const conv = conversationById(m.conversation_id);
  const isNew = conv ? m.seq > conv.last_seq || !!(t && !t.seqById.has(m.id) && !t.bySeq.has(m.seq)) : true;
  if (t) {
    // Kept even before the first page arrives (loadInitial fills holes).
    t.put([m]);
    if (t.initialLoaded && contiguousTop(t) < t.maxSeq) void catchUp(t);
  }
  if (conv) {
    if (m.seq > conv.last_seq) afterNewMessage(m, true);
  } else if (!breakGlass.value.has(m.conversation_id)) {
    // A conversation we do not know yet (someone added us): fetch it.
    api
      .getConversation(m.conversation_id)
      .then((c) => {
        upsertConversation({ ...c, unread_count: c.unread_count ?? (m.sender_id !== me?.id ? 1 : 0) });
        notify(m, c);
      })
      .catch(() => {});
  }
  return isNew;
}

function afterNewMessage(m: Message, fromStream: boolean) {
  const mine = m.sender_id === me?.id;
  const visible = openConversationId.value === m.conversation_id && pageIsActive();
  patchConversation(m.conversation_id, (c) =>
    m.seq > c.last_seq || !fromStream
      ? {
          ...c,
          last_seq: Math.max(c.last_seq, m.seq),
          last_message_at: !c.last_message_at || m.created_at > c.last_message_at ? m.created_at : c.last_message_at,
          unread_count: mine || visible ? c.unread_count ?? 0 : (c.unread_count ?? 0) + (m.seq > c.last_seq ? 1 : 0),
        }
      : c,
  );
  if (!mine) {
    clearTyping(m.conversation_id, m.sender_id);
    if (m.priority === "urgent" && !m.deleted && !acknowledged.value.has(m.id)) setUrgent(m.conversation_id, m.id, true);
    if (!visible) notify(m, conversationById(m.conversation_id));
  }
  if (visible) maybeMarkRead(m.conversation_id);
}

function notify(m: Message, conv: Conversation | undefined) {
  if (m.sender_id === me?.id || typeof Notification === "undefined" || Notification.permission !== "granted") return;
  try {
    const n = notifyPreviews.value
      ? new Notification(memberName(conv, m.sender_id), { body: m.deleted ? "" : m.body ?? "", tag: m.conversation_id })
      : new Notification("New message", { tag: "hippo" });
    n.onclick = () => {
      window.focus();
      openConversationId.value = m.conversation_id;
      n.close();
    };
  } catch {
    // Some browsers allow notifications only from a service worker.
  }
}

export async function askNotificationPermission() {
  if (typeof Notification === "undefined") return;
  notificationPermission.value = await Notification.requestPermission();
}

function clearTyping(convId: string, userId: string) {
  const m = typing.value.get(convId);
  if (!m?.has(userId)) return;
  const next = new Map(typing.value);
  const inner = new Map(m);
  inner.delete(userId);
  next.set(convId, inner);
  typing.value = next;
}

let typingTimer: ReturnType<typeof setInterval> | null = null;

function onTyping(convId: string, userId: string) {
  if (userId === me?.id) return;
  const next = new Map(typing.value);
  const inner = new Map(next.get(convId) ?? []);
  inner.set(userId, Date.now() + 6000);
  next.set(convId, inner);
  typing.value = next;
  if (!typingTimer)
    typingTimer = setInterval(() => {
      const now = Date.now();
      let changed = false;
      const nx = new Map<string, Map<string, number>>();
      for (const [c, users] of typing.value) {
        const keep = new Map([...users].filter(([, until]) => until > now));
        if (keep.size !== users.size) changed = true;
        if (keep.size) nx.set(c, keep);
      }
      if (changed) typing.value = nx;
      if (!nx.size && typingTimer) {
        clearInterval(typingTimer);
        typingTimer = null;
      }
    }, 1000);
}

export interface MessagingHooks {
  onSessionEnded(reason: string): void;
}

export function startMessaging(user: User, hooks: MessagingHooks): HippoStream {
  me = user;
  everOpened = false;
  streamStatus.value = "connecting";
  const s = new HippoStream({ client });
  stream = s;
  s.on("message.created", (f: { message: Message }) => {
    if (stream === s) ingest(f.message);
  });
  s.on("message.updated", (f: { message: Message }) => {
    if (stream !== s) return;
    const t = threads.get(f.message.conversation_id);
    if (t?.byId(f.message.id)) t.put([f.message]);
    else ingest(f.message);
  });
  s.on("message.deleted", (f: { conversation_id: string; message_id: string }) => {
    if (stream === s) markDeleted(f.conversation_id, f.message_id);
  });
  s.on(
    "receipt",
    (f: { conversation_id: string; message_id: string; up_to_seq?: number; user_id: string; delivered_at?: string | null; read_at?: string | null }) => {
      if (stream !== s) return;
      const t = threads.get(f.conversation_id);
      let seq = f.up_to_seq;
      if (seq === undefined && t) seq = t.seqById.get(f.message_id);
      if (seq === undefined) return;
      if (f.user_id === me?.id) {
        if (f.read_at) {
          if (t && t.myReadSent < seq) t.myReadSent = seq;
          const upTo = seq;
          patchConversation(f.conversation_id, (c) => (upTo >= c.last_seq ? { ...c, unread_count: 0 } : c));
        }
        return;
      }
      if (t) noteReceipt(t, f.user_id, seq, !!f.delivered_at, !!f.read_at);
    },
  );
  s.on("conversation.updated", (f: { conversation: Conversation }) => {
    if (stream !== s) return;
    const c = f.conversation;
    if (me && !c.member_ids.includes(me.id)) {
      // Removed from it: it leaves the list.
      conversations.value = conversations.value.filter((x) => x.id !== c.id);
      if (openConversationId.value === c.id && !breakGlass.value.has(c.id)) openConversationId.value = null;
      return;
    }
    upsertConversation(c);
  });
  s.on("typing", (f: { conversation_id: string; user_id: string }) => {
    if (stream === s) onTyping(f.conversation_id, f.user_id);
  });
  s.on("open", () => {
    if (stream !== s) return;
    noteSocketOpened();
    const reconnect = everOpened;
    everOpened = true;
    streamStatus.value = "open";
    if (reconnect) {
      // Unread counts and receipts may have moved while the socket was down.
      void loadConversations();
      for (const t of threads.values()) {
        t.receiptsAsked.clear();
        t.receiptEpoch++;
        t.bump();
      }
    }
  });
  s.on("reconnecting", () => {
    if (stream === s) streamStatus.value = "reconnecting";
  });
  s.on("closed", (f: { willReconnect: boolean }) => {
    if (stream !== s) return;
    if (f.willReconnect) return;
    streamStatus.value = "closed";
    // Closed for good without close() (e.g. authentication refused): ask
    // the server whether the session still lives; a 401 signs in again.
    api.getMe().catch(() => {});
  });
  s.on("session.ended", (f: { reason: string }) => {
    if (stream === s) hooks.onSessionEnded(f.reason);
  });
  s.connect();
  document.addEventListener("visibilitychange", onPageActivity);
  window.addEventListener("focus", onPageActivity);
  return s;
}

export function openBreakGlass(conversationId: string, expiresAt: string) {
  const next = new Map(breakGlass.value);
  next.set(conversationId, expiresAt);
  breakGlass.value = next;
  api
    .getConversation(conversationId)
    .then((c) => {
      const m = new Map(extraConversations.value);
      m.set(c.id, c);
      extraConversations.value = m;
    })
    .catch(() => {});
  openConversationId.value = conversationId;
}

export function closeBreakGlass(conversationId: string) {
  const next = new Map(breakGlass.value);
  next.delete(conversationId);
  breakGlass.value = next;
  const m = new Map(extraConversations.value);
  m.delete(conversationId);
  extraConversations.value = m;
  threads.delete(conversationId);
  if (openConversationId.value === conversationId) openConversationId.value = null;
}

/** Drops everything: stream, conversations, messages, drafts, blob URLs. */
export function clearMessaging(opts: { keepDrafts?: boolean } = {}) {
  const s = stream;
  stream = null;
  try {
    s?.close();
  } catch {
    // closing a dead socket
  }
  document.removeEventListener("visibilitychange", onPageActivity);
  window.removeEventListener("focus", onPageActivity);
  for (const p of blobUrls.values()) p.then((u) => URL.revokeObjectURL(u)).catch(() => {});
  blobUrls.clear();
  threads.clear();
  receiptQueue = [];
  if (!opts.keepDrafts) drafts.clear();
  draftUploads.clear();
  if (typingTimer) clearInterval(typingTimer);
  typingTimer = null;
  me = null;
  batch(() => {
    conversations.value = [];
    conversationsLoaded.value = false;
    conversationsError.value = null;
    openConversationId.value = null;
    breakGlass.value = new Map();
    extraConversations.value = new Map();
    patients.value = new Map();
    acknowledged.value = new Set();
    urgentOpen.value = new Map();
    typing.value = new Map();
    notifyPreviews.value = false;
    streamStatus.value = "idle";
  });
}
