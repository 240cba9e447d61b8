import { memo } from "./memo.ts";
import { useEffect, useRef, useState } from "preact/hooks";
import {
  acknowledge,
  acknowledged,
  attachmentUrl,
  currentUser,
  deliveryOf,
  downloadFile,
  edit,
  memberName,
  recall,
  wantReceipts,
  type Delivery,
  type Thread,
} from "../state/messaging.ts";
import type { Attachment, Conversation, Message } from "../types.ts";
import { errorText, fileSize, fullTime, shortTime } from "./format.ts";

const PREVIEWABLE = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

function ImagePreview(props: { a: Attachment }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    attachmentUrl(props.a)
      .then((u) => live && setUrl(u))
      .catch((e) => live && setError(errorText(e)));
    return () => {
      live = false;
    };
  }, [props.a.id]);
  if (error)
    return (
      <p class="error" role="alert">
        {props.a.filename}: {error}
      </p>
    );
  return url ? (
    <img class="preview" src={url} alt={props.a.filename} />
  ) : (
    <span class="preview placeholder muted">Loading image…</span>
  );
}

function FileButton(props: { a: Attachment }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const click = async () => {
    setBusy(true);
    setError(null);
    try {
      await downloadFile(props.a);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="file">
      <button type="button" class="filebutton" onClick={click} disabled={busy}>
        Download {props.a.filename}
        <span class="muted"> ({fileSize(props.a.size)})</span>
      </button>
      {error && (
        <span class="error" role="alert">
          {" "}
          {error}
        </span>
      )}
    </span>
  );
}

function Editor(props: { m: Message; onDone(): void }) {
  const [text, setText] = useState(props.m.body ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  const save = async (e?: Event) => {
    e?.preventDefault();
    if (!text.trim()) {
      setError("A message cannot be empty; recall it instead.");
      return;
    }
    if (text === props.m.body) {
      props.onDone();
      return;
    }
    setBusy(true);
    try {
      await edit(props.m, text);
      props.onDone();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="editor" onSubmit={save}>
      <label class="visually-hidden" for={`edit-${props.m.id}`}>
        Edit message
      </label>
      <textarea
        id={`edit-${props.m.id}`}
        ref={ref}
        value={text}
        rows={2}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.preventDefault();
            e.stopPropagation();
            props.onDone();
          } else if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            void save(e);
          }
        }}
      />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="row">
        <button type="submit" class="primary small" disabled={busy}>
          Save
        </button>
        <button type="button" class="secondary small" onClick={props.onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

interface ItemProps {
  t: Thread;
  conv: Conversation | undefined;
  m: Message;
  delivery: Delivery | null;
  acked: boolean;
  readOnly: boolean;
  receiptEpoch: number;
}

function Item({ t, conv, m, delivery, acked, readOnly, receiptEpoch }: ItemProps) {
  const me = currentUser();
  const mine = !!me && m.sender_id === me.id;
  const [editing, setEditing] = useState(false);
  const [confirmRecall, setConfirmRecall] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const urgent = m.priority === "urgent";
  const needsAck = urgent && !mine && !m.deleted && !acked && !readOnly;

  useEffect(() => {
    if (mine && delivery !== "Read" && !readOnly) wantReceipts(t, m);
  }, [m.id, mine, delivery, receiptEpoch]);

  const doRecall = async () => {
    setError(null);
    try {
      await recall(m);
      setConfirmRecall(false);
    } catch (e) {
      setError(errorText(e));
    }
  };

  const ack = () => acknowledge(m);

  const cls = ["msg", mine ? "mine" : "theirs", urgent ? "urgent" : "", needsAck ? "unacked" : "", m.deleted ? "recalled" : ""]
    .filter(Boolean)
    .join(" ");

  return (
    <article class={cls} data-seq={m.seq} aria-labelledby={`ms-${m.id}`}>
      <header>
        <span class="sender" id={`ms-${m.id}`}>
          {mine ? "You" : memberName(conv, m.sender_id)}
        </span>
        <time dateTime={m.created_at} title={fullTime(m.created_at)}>
          {shortTime(m.created_at)}
        </time>
        {urgent && !m.deleted && <span class="tag urgent-tag">Urgent</span>}
        {m.channel === "whatsapp" && <span class="tag">WhatsApp{m.channel_status ? ` · ${m.channel_status.state}` : ""}</span>}
        {m.edited_at && !m.deleted && (
          <span class="muted" title={fullTime(m.edited_at)}>
            edited
          </span>
        )}
      </header>
      {m.deleted ? (
        <p class="tombstone">This message was recalled.</p>
      ) : editing ? (
        <Editor m={m} onDone={() => setEditing(false)} />
      ) : (
        <>
          {m.body && <p class="body">{m.body}</p>}
          {m.attachments.length > 0 && (
            <ul class="attachments">
              {m.attachments.map((a) => (
                <li key={a.id}>
                  {PREVIEWABLE.has(a.content_type.split(";")[0].trim().toLowerCase()) ? (
                    <figure>
                      <ImagePreview a={a} />
                      <figcaption>
                        <FileButton a={a} />
                      </figcaption>
                    </figure>
                  ) : (
                    <FileButton a={a} />
                  )}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {(delivery || (mine && !m.deleted && !readOnly) || needsAck || error) && (
        <footer>
          {delivery && <span class={`delivery ${delivery.toLowerCase()}`}>{delivery}</span>}
          {needsAck && (
            <button type="button" class="primary small" onClick={ack}>
              Acknowledge
            </button>
          )}
          {mine && !m.deleted && !readOnly && !editing && m.channel === "hippo" && (
            <span class="msgactions">
              {confirmRecall ? (
                <>
                  <span>Recall this message for everyone?</span>
                  <button type="button" class="danger small" onClick={doRecall}>
                    Recall message
                  </button>
                  <button type="button" class="secondary small" onClick={() => setConfirmRecall(false)}>
                    Keep
                  </button>
                </>
              ) : (
                <>
                  <button type="button" class="link small" onClick={() => setEditing(true)}>
                    Edit
                  </button>
                  <button type="button" class="link small" onClick={() => setConfirmRecall(true)}>
                    Recall
                  </button>
                </>
              )}
            </span>
          )}
          {error && (
            <span class="error" role="alert">
              {error}
            </span>
          )}
        </footer>
      )}
    </article>
  );
}

export const MessageItem = memo(Item);

export function itemProps(t: Thread, conv: Conversation | undefined, m: Message, readOnly: boolean): ItemProps {
  const me = currentUser();
  const mine = !!me && m.sender_id === me.id;
  return {
    t,
    conv,
    m,
    delivery: mine && !m.deleted && m.channel === "hippo" ? deliveryOf(t, m) : null,
    acked: acknowledged.value.has(m.id),
    readOnly,
    receiptEpoch: t.receiptEpoch,
  };
}
