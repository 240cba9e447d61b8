// The conversation's messages as a windowed log: only the articles near
// the viewport are in the DOM (so 5,000 messages stay smooth); spacers
// above and below keep the scroll height; measured heights replace the
// estimate as articles render. Older pages load when scrolled near the top.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { discardPending, loadOlder, retry, type Thread } from "../state/messaging.ts";
import type { Conversation } from "../types.ts";
import { itemProps, MessageItem } from "./MessageItem.tsx";

const ESTIMATE = 76;
const OVERSCAN_PX = 800;
const LOAD_OLDER_PX = 600;

export function MessageLog(props: { t: Thread; conv: Conversation | undefined; readOnly: boolean }) {
  const { t, conv, readOnly } = props;
  t.version.value; // re-render on every change to the thread
  const seqs = t.sortedSeqs();
  const ref = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<number, number>()).current;
  const [view, setView] = useState({ top: 0, height: 800 });
  const [, setMeasured] = useState(0);
  const stick = useRef(true);
  /**
   * The message at the top of the view when the reader last scrolled: its
   * seq and the distance of its top from the log's top edge (negative when
   * it starts above). The window and the scroll position follow it when
   * older messages are prepended or heights are measured.
   */
  const anchor = useRef<{ seq: number; delta: number } | null>(null);
  const layout = useRef<{ seqs: number[]; offs: number[] }>({ seqs: [], offs: [0] });
  const topSpacer = useRef<HTMLDivElement>(null);
  const lastPending = useRef(t.pending.length);

  // Offsets of each loaded message (prefix sums of measured or estimated heights).
  const n = seqs.length;
  const offs = new Array<number>(n + 1);
  offs[0] = 0;
  for (let i = 0; i < n; i++) offs[i + 1] = offs[i] + (heights.get(seqs[i]) ?? ESTIMATE);
  const total = offs[n];
  layout.current = { seqs, offs };

  // Where the view's top is in the list: from the anchored message's
  // offset now (older messages prepended above it move it down), so the
  // anchored message is in the window and the layout effect below can put
  // it back where the reader saw it.
  let top = view.top;
  if (!stick.current && anchor.current) {
    const ai = indexOf(seqs, anchor.current.seq);
    if (ai >= 0) top = Math.max(0, offs[ai] - anchor.current.delta);
  }

  // The window: first index whose bottom is below top - overscan, to the
  // last whose top is above bottom + overscan.
  const lo = Math.max(0, top - OVERSCAN_PX);
  const hi = top + view.height + OVERSCAN_PX;
  let start = 0;
  {
    let a = 0;
    let b = n;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (offs[mid + 1] <= lo) a = mid + 1;
      else b = mid;
    }
    start = a;
  }
  let end = start;
  while (end < n && offs[end] < hi) end++;
  if (stick.current) {
    // Pinned to the bottom: always render the newest messages.
    end = n;
    while (start > 0 && offs[n] - offs[start] < view.height + OVERSCAN_PX) start--;
  }

  const observer = useRef<ResizeObserver | null>(null);
  if (!observer.current && typeof ResizeObserver !== "undefined") {
    observer.current = new ResizeObserver((entries) => {
      let changed = false;
      for (const e of entries) {
        const el = e.target as HTMLElement;
        const seq = Number(el.dataset.seq);
        if (!seq) continue;
        const h = el.offsetHeight;
        if (h > 0 && heights.get(seq) !== h) {
          heights.set(seq, h);
          changed = true;
        }
      }
      if (changed) setMeasured((x) => x + 1);
    });
  }
  useEffect(() => () => observer.current?.disconnect(), []);

  const observe = useCallback((el: HTMLElement | null) => {
    const ob = observer.current;
    if (!el || !ob) return;
    ob.observe(el);
    return () => ob.unobserve(el);
  }, []);

  // Keep the view where the reader left it: at the bottom when pinned,
  // else on the same message at the same distance from the top.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (t.pending.length > lastPending.current) stick.current = true;
    lastPending.current = t.pending.length;
    if (stick.current) {
      el.scrollTop = el.scrollHeight;
    } else if (anchor.current) {
      const { seq, delta } = anchor.current;
      const a = el.querySelector<HTMLElement>(`.msgwrap[data-seq="${seq}"]`);
      if (a) {
        const diff = a.getBoundingClientRect().top - el.getBoundingClientRect().top - delta;
        if (Math.abs(diff) > 0.5) el.scrollTop += diff;
      } else {
        const i = indexOf(seqs, seq);
        if (i >= 0) el.scrollTop = listStart(el) + offs[i] - delta;
      }
    }
  });

  /** Where the list starts, in the log's scroll coordinates. */
  const listStart = (el: HTMLElement) => {
    const sp = topSpacer.current;
    return sp ? sp.getBoundingClientRect().top - el.getBoundingClientRect().top + el.scrollTop : 0;
  };

  const onScroll = () => {
    const el = ref.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    const box = el.getBoundingClientRect();
    anchor.current = null;
    // The first message showing at the top of the view…
    for (const a of el.querySelectorAll<HTMLElement>(".msgwrap[data-seq]")) {
      const r = a.getBoundingClientRect();
      if (r.bottom > box.top) {
        if (r.top < box.bottom) anchor.current = { seq: Number(a.dataset.seq), delta: r.top - box.top };
        break;
      }
    }
    // …or, scrolled past the rendered window (into a spacer), the message
    // the layout puts there.
    const { seqs: ss, offs: os } = layout.current;
    if (!anchor.current && ss.length) {
      const y = el.scrollTop - listStart(el);
      let i = 0;
      while (i < ss.length - 1 && os[i + 1] <= y) i++;
      anchor.current = { seq: ss[i], delta: os[i] - y };
    }
    if (view.top !== el.scrollTop || view.height !== el.clientHeight) setView({ top: el.scrollTop, height: el.clientHeight });
    if (el.scrollTop < LOAD_OLDER_PX && t.hasOlder && !t.loadingOlder) void loadOlder(t);
  };

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setView({ top: el.scrollTop, height: el.clientHeight });
    const ro = new ResizeObserver(() => {
      setView({ top: el.scrollTop, height: el.clientHeight });
      if (stick.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // A short history that does not fill the view, or a reader still near
  // the top after a page arrived (no scroll event would come): fetch older
  // pages now. After a failure the button is there to try again.
  useEffect(() => {
    const el = ref.current;
    if (!el || !t.hasOlder || t.loadingOlder) return;
    const short = el.scrollHeight <= el.clientHeight + LOAD_OLDER_PX;
    const nearTop = !stick.current && el.scrollTop < LOAD_OLDER_PX && !t.error;
    if (short || nearTop) void loadOlder(t);
  });

  const items = [];
  for (let i = start; i < end; i++) {
    const m = t.bySeq.get(seqs[i])!;
    items.push(
      <div key={m.id} ref={observe} data-seq={m.seq} class="msgwrap">
        <MessageItem {...itemProps(t, conv, m, readOnly)} />
      </div>,
    );
  }

  return (
    <div
      class="log"
      role="log"
      aria-label="Messages"
      // New messages are announced while the reader is at the newest; while
      // they scroll back, articles windowed in and out are not.
      aria-live={stick.current ? "polite" : "off"}
      ref={ref}
      onScroll={onScroll}
      tabIndex={0}
    >
      <div class="logtop">
        {t.hasOlder ? (
          t.loadingOlder ? (
            <p class="muted">Loading earlier messages…</p>
          ) : (
            <button type="button" class="link" onClick={() => void loadOlder(t)}>
              Load earlier messages
            </button>
          )
        ) : t.initialLoaded ? (
          <p class="muted">{n ? "Start of the conversation" : "No messages yet. Say hello."}</p>
        ) : (
          <p class="muted">{t.error ? "" : "Loading messages…"}</p>
        )}
        {t.error && (
          <p class="error" role="alert">
            {t.error}
          </p>
        )}
      </div>
      <div ref={topSpacer} class="spacer" style={{ height: `${offs[start]}px` }} aria-hidden="true" />
      {items}
      <div class="spacer" style={{ height: `${total - offs[end]}px` }} aria-hidden="true" />
      {t.pending.map((p) => (
        <article key={p.clientId} class={`msg mine pending ${p.priority === "urgent" ? "urgent" : ""}`}>
          <header>
            <span class="sender">You</span>
            {p.priority === "urgent" && <span class="tag urgent-tag">Urgent</span>}
          </header>
          <p class="body">{p.body}</p>
          {p.attachments.length > 0 && (
            <ul class="attachments">
              {p.attachments.map((a) => (
                <li key={a.id}>{a.filename}</li>
              ))}
            </ul>
          )}
          <footer>
            {p.error ? (
              <>
                <span class="error" role="alert">
                  Not sent: {p.error}
                </span>
                <button type="button" class="secondary small" onClick={() => void retry(t.id, p.clientId)}>
                  Try again
                </button>
                <button type="button" class="link small" onClick={() => discardPending(t.id, p.clientId)}>
                  Discard
                </button>
              </>
            ) : (
              <span class="delivery">Sending…</span>
            )}
          </footer>
        </article>
      ))}
    </div>
  );
}

/** Index of `seq` in the ascending `seqs`, or -1. */
function indexOf(seqs: number[], seq: number): number {
  let a = 0;
  let b = seqs.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (seqs[mid] < seq) a = mid + 1;
    else b = mid;
  }
  return a < seqs.length && seqs[a] === seq ? a : -1;
}
