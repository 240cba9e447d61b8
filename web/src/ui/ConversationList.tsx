import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api.ts";
import {
  breakGlass,
  conversationName,
  extraConversations,
  conversationsError,
  conversationsLoaded,
  currentUser,
  openConversationId,
  sortedConversations,
  startConversation,
  urgentOpen,
} from "../state/messaging.ts";
import type { Member } from "../types.ts";
import { errorText, shortTime } from "./format.ts";
import { Modal } from "./Modal.tsx";

export function openConversation(id: string) {
  openConversationId.value = id;
}

export function ConversationList() {
  const list = sortedConversations.value;
  const open = openConversationId.value;
  return (
    <nav aria-label="Conversations" class="convlist">
      {conversationsError.value && (
        <p class="error" role="alert">
          {conversationsError.value}
        </p>
      )}
      {!conversationsLoaded.value && !conversationsError.value && <p class="muted">Loading…</p>}
      {conversationsLoaded.value && list.length === 0 && <p class="muted">No conversations yet.</p>}
      <ul>
        {list.map((c) => {
          const unread = c.unread_count ?? 0;
          return (
            <li key={c.id}>
              <a
                href={`/conversations/${encodeURIComponent(c.id)}`}
                aria-current={open === c.id ? "page" : undefined}
                class={unread > 0 ? "unread" : undefined}
                onClick={(e) => {
                  if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
                  e.preventDefault();
                  openConversation(c.id);
                }}
              >
                <span class="convname">{conversationName(c)}</span>
                {c.last_message_at && (
                  <span class="convtime" aria-hidden="true">
                    {shortTime(c.last_message_at)}
                  </span>
                )}
                {c.kind === "patient" && (
                  <span class="tag" aria-hidden="true">
                    Patient
                  </span>
                )}
                {(urgentOpen.value.get(c.id)?.size ?? 0) > 0 && <span class="tag urgent-tag">Urgent</span>}
                {unread > 0 && <span class="badge">{unread} unread</span>}
              </a>
            </li>
          );
        })}
      </ul>
      {breakGlass.value.size > 0 && (
        <>
          <h2 class="navhead">Emergency access</h2>
          <ul>
            {[...breakGlass.value.keys()].map((id) => {
              const c = extraConversations.value.get(id);
              return (
                <li key={id}>
                  <a
                    href={`/conversations/${encodeURIComponent(id)}`}
                    aria-current={open === id ? "page" : undefined}
                    class="emergency"
                    onClick={(e) => {
                      if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
                      e.preventDefault();
                      openConversation(id);
                    }}
                  >
                    <span class="convname">{c ? conversationName(c) : "Patient conversation"}</span>
                  </a>
                </li>
              );
            })}
          </ul>
        </>
      )}
    </nav>
  );
}

export function NewConversationDialog(props: { onClose(): void }) {
  const [q, setQ] = useState("");
  const [results, setResults] = useState<Member[]>([]);
  const [searching, setSearching] = useState(false);
  const [searchError, setSearchError] = useState<string | null>(null);
  const [picked, setPicked] = useState<Member[]>([]);
  const [title, setTitle] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const me = currentUser();

  useEffect(() => {
    const text = q.trim();
    abort.current?.abort();
    if (!text) {
      setResults([]);
      setSearching(false);
      return;
    }
    const ctl = new AbortController();
    abort.current = ctl;
    setSearching(true);
    const timer = setTimeout(() => {
      api
        .searchDirectory(text.slice(0, 100), ctl.signal)
        .then((users) => {
          if (ctl.signal.aborted) return;
          setResults(users.filter((u) => u.id !== me?.id));
          setSearchError(null);
        })
        .catch((e) => {
          if (!ctl.signal.aborted) setSearchError(errorText(e));
        })
        .finally(() => {
          if (!ctl.signal.aborted) setSearching(false);
        });
    }, 250);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [q]);

  const toggle = (m: Member, on: boolean) => {
    setPicked((p) => (on ? (p.some((x) => x.id === m.id) ? p : [...p, m]) : p.filter((x) => x.id !== m.id)));
  };

  const create = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    if (!picked.length) {
      setError("Choose at least one colleague.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const c = await startConversation(picked, picked.length > 1 ? title : "");
      openConversation(c.id);
      props.onClose();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const group = picked.length > 1;
  return (
    <Modal labelledBy="newconv-title" onClose={props.onClose} class="newconv">
      <form onSubmit={create} noValidate>
        <h2 id="newconv-title">New conversation</h2>
        <label class="field">
          <span>Find a colleague</span>
          <input type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} autoFocus autoComplete="off" />
        </label>
        <div class="results" aria-live="polite">
          {searching && <p class="muted">Searching…</p>}
          {searchError && (
            <p class="error" role="alert">
              {searchError}
            </p>
          )}
          {!searching && q.trim() && !searchError && results.length === 0 && <p class="muted">Nobody found.</p>}
          {results.length > 0 && (
            <fieldset>
              <legend class="visually-hidden">Colleagues found</legend>
              <ul class="pick">
                {results.map((m) => (
                  <li key={m.id}>
                    <label>
                      <input
                        type="checkbox"
                        checked={picked.some((x) => x.id === m.id)}
                        onChange={(e) => toggle(m, e.currentTarget.checked)}
                      />
                      <span>{m.display_name}</span>
                      <span class="muted role"> · {m.role}</span>
                    </label>
                  </li>
                ))}
              </ul>
            </fieldset>
          )}
        </div>
        {picked.length > 0 && (
          <div class="picked">
            <h3>{group ? "Group members" : "Direct conversation with"}</h3>
            <ul>
              {picked.map((m) => (
                <li key={m.id}>
                  {m.display_name}{" "}
                  <button type="button" class="link" onClick={() => toggle(m, false)} aria-label={`Remove ${m.display_name}`}>
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          </div>
        )}
        {group && (
          <label class="field">
            <span>Group title</span>
            <input value={title} onInput={(e) => setTitle(e.currentTarget.value)} maxLength={200} />
          </label>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="button" class="secondary" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy || picked.length === 0}>
            {group ? "Start group" : "Start conversation"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
