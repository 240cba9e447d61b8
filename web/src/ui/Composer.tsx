import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api.ts";
import { draftUploads, drafts, send, sendTyping } from "../state/messaging.ts";
import { session } from "../state/session.ts";
import type { Attachment } from "../types.ts";
import { errorText, fileSize } from "./format.ts";

/** What the server accepts (crates/hippo-core/src/filetype.rs). */
const ACCEPTED = new Set([
  "application/pdf",
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "image/tiff",
  "image/heic",
  "image/heif",
  "video/mp4",
  "application/dicom",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "text/plain",
  "text/csv",
]);
const BY_EXTENSION: Record<string, string> = { dcm: "application/dicom", heic: "image/heic", heif: "image/heif", csv: "text/csv" };
const MAX_ATTACHMENTS = 10;
const MAX_BODY_BYTES = 64 * 1024;

function typeOf(f: File): string {
  const t = f.type.split(";")[0].trim().toLowerCase();
  if (t) return t;
  const ext = f.name.split(".").pop()?.toLowerCase() ?? "";
  return BY_EXTENSION[ext] ?? "";
}

export function Composer(props: { convId: string }) {
  const { convId } = props;
  const [text, setText] = useState(() => drafts.get(convId) ?? "");
  const [urgent, setUrgent] = useState(false);
  const [files, setFiles] = useState<Attachment[]>(() => draftUploads.get(convId) ?? []);
  const [uploading, setUploading] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const lastTyping = useRef(0);

  useEffect(() => {
    input.current?.focus();
  }, [convId]);

  const setDraft = (v: string) => {
    setText(v);
    if (v) drafts.set(convId, v);
    else drafts.delete(convId);
  };

  const setUploads = (list: Attachment[]) => {
    setFiles(list);
    if (list.length) draftUploads.set(convId, list);
    else draftUploads.delete(convId);
  };

  const onInput = (v: string) => {
    setDraft(v);
    const now = Date.now();
    if (v.trim() && now - lastTyping.current >= 2000) {
      lastTyping.current = now;
      sendTyping(convId);
    }
  };

  const submit = (e?: Event) => {
    e?.preventDefault();
    if (uploading.length) {
      setError("Wait for the files to finish uploading.");
      return;
    }
    const body = text.trim() ? text : files.map((f) => f.filename).join(", ");
    if (!body.trim()) return;
    if (new TextEncoder().encode(body).length > MAX_BODY_BYTES) {
      setError("This message is too long (at most 64 KB of text). Split it or attach it as a file.");
      return;
    }
    setError(null);
    void send(convId, body, urgent ? "urgent" : "normal", files);
    setDraft("");
    setUploads([]);
    setUrgent(false);
    lastTyping.current = 0;
    input.current?.focus();
  };

  const pick = async (list: FileList | null) => {
    if (!list?.length) return;
    setError(null);
    const chosen = [...list];
    if (files.length + chosen.length > MAX_ATTACHMENTS) {
      setError(`At most ${MAX_ATTACHMENTS} files per message.`);
      return;
    }
    const max = session.value?.max_upload_bytes;
    const problems: string[] = [];
    const ok: File[] = [];
    for (const f of chosen) {
      const t = typeOf(f);
      if (!ACCEPTED.has(t)) problems.push(`${f.name}: this type of file cannot be sent (PDF, images, MP4, DICOM, Office documents, plain text and CSV can).`);
      else if (f.size === 0) problems.push(`${f.name}: the file is empty.`);
      // Said before uploading (the server would refuse it with 413).
      else if (max && f.size > max)
        problems.push(`${f.name} is too large (${fileSize(f.size)}): files may be at most ${fileSize(max)}.`);
      else ok.push(f.type ? f : new File([f], f.name, { type: t }));
    }
    let added: Attachment[] = [];
    for (const f of ok) {
      setUploading((u) => [...u, f.name]);
      try {
        added = [...added, await api.uploadAttachment(f)];
      } catch (e) {
        problems.push(`${f.name}: ${errorText(e)}`);
      } finally {
        setUploading((u) => u.filter((x) => x !== f.name));
      }
    }
    if (added.length) setUploads([...(draftUploads.get(convId) ?? files), ...added]);
    if (problems.length) setError(problems.join(" "));
  };

  return (
    <form class="composer" onSubmit={submit} noValidate>
      {(files.length > 0 || uploading.length > 0) && (
        <ul class="uploads" aria-label="Files to send">
          {files.map((f) => (
            <li key={f.id}>
              {f.filename} <span class="muted">({fileSize(f.size)})</span>{" "}
              <button
                type="button"
                class="link small"
                aria-label={`Remove ${f.filename}`}
                onClick={() => setUploads(files.filter((x) => x.id !== f.id))}
              >
                Remove
              </button>
            </li>
          ))}
          {uploading.map((n) => (
            <li key={`up-${n}`} class="muted">
              Uploading {n}…
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="composer-row">
        <label class="visually-hidden" for={`composer-${convId}`}>
          Message
        </label>
        <textarea
          id={`composer-${convId}`}
          ref={input}
          rows={2}
          value={text}
          placeholder="Write a message"
          onInput={(e) => onInput(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              submit();
            }
          }}
        />
        <div class="composer-actions">
          <label class="check">
            <input type="checkbox" checked={urgent} onChange={(e) => setUrgent(e.currentTarget.checked)} />
            Urgent
          </label>
          <button type="button" class="secondary" onClick={() => picker.current?.click()}>
            Attach file
          </button>
          <input
            ref={picker}
            type="file"
            multiple
            class="visually-hidden"
            tabIndex={-1}
            aria-hidden="true"
            accept={[...ACCEPTED].join(",")}
            onChange={(e) => {
              const el = e.currentTarget;
              void pick(el.files).finally(() => {
                el.value = "";
              });
            }}
          />
          <button type="submit" class="primary" disabled={uploading.length > 0}>
            Send
          </button>
        </div>
      </div>
      {urgent && <p class="hint">Urgent messages are highlighted for the recipients until they acknowledge them.</p>}
    </form>
  );
}
