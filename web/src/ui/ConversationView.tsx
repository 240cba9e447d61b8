import { useEffect, useState } from "preact/hooks";
import { client } from "../api.ts";
import { CallButtons, canCall } from "../calls/CallUi.tsx";
import { PatientPanel } from "../patients/PatientPanel.tsx";
import {
  breakGlass,
  closeBreakGlass,
  conversationById,
  conversationName,
  currentUser,
  loadInitial,
  maybeMarkRead,
  memberName,
  thread,
  typing,
} from "../state/messaging.ts";
import type { Conversation } from "../types.ts";
import { Composer } from "./Composer.tsx";
import { MessageLog } from "./MessageLog.tsx";

function minutesLeft(expiresAt: string): number {
  return Math.max(0, Math.ceil((Date.parse(expiresAt) - Date.now()) / 60_000));
}

function BreakGlassBanner(props: { convId: string; expiresAt: string }) {
  const [left, setLeft] = useState(() => minutesLeft(props.expiresAt));
  useEffect(() => {
    const tick = () => {
      const m = minutesLeft(props.expiresAt);
      setLeft(m);
      if (Date.parse(props.expiresAt) <= Date.now()) closeBreakGlass(props.convId);
    };
    tick();
    const t = setInterval(tick, 5000);
    return () => clearInterval(t);
  }, [props.expiresAt, props.convId]);
  return (
    <p class="banner emergency" role="status">
      Emergency access, recorded — {left} min left
    </p>
  );
}

function TypingLine(props: { conv: Conversation | undefined; convId: string }) {
  const who = [...(typing.value.get(props.convId)?.keys() ?? [])].map((u) => memberName(props.conv, u));
  const text =
    who.length === 0
      ? ""
      : who.length === 1
        ? `${who[0]} is typing…`
        : who.length === 2
          ? `${who[0]} and ${who[1]} are typing…`
          : "Several people are typing…";
  return (
    <p class="typing" role="status" aria-live="polite">
      {text}
    </p>
  );
}

export function ConversationView(props: { convId: string; onError(msg: string): void }) {
  const { convId } = props;
  const t = thread(convId);
  const conv = conversationById(convId);
  const grant = breakGlass.value.get(convId);
  const me = currentUser();
  const member = !!conv && !!me && conv.member_ids.includes(me.id) && !grant;

  useEffect(() => {
    void loadInitial(t).then(() => maybeMarkRead(convId));
  }, [convId]);

  const name = conv ? conversationName(conv) : grant ? "Emergency access" : "Conversation";
  const others = conv ? conv.members.filter((m) => m.id !== me?.id) : [];
  return (
    <section class="conversation" aria-labelledby="conv-title">
      <header class="convhead">
        <div class="convhead-row">
          <h2 id="conv-title">{name}</h2>
          {member && conv && canCall(conv) && <CallButtons conv={conv} />}
        </div>
        {conv && conv.kind !== "direct" && others.length > 0 && (
          <p class="muted members">
            {conv.kind === "patient" ? "Care team: " : "With "}
            {others.map((m) => m.display_name).join(", ")}
          </p>
        )}
      </header>
      {grant && <BreakGlassBanner convId={convId} expiresAt={grant} />}
      <MessageLog t={t} conv={conv} readOnly={!member} />
      <TypingLine conv={conv} convId={convId} />
      {member && conv ? (
        conv.kind === "patient" ? (
          <PatientPanel client={client} conversation={conv} onError={props.onError} />
        ) : (
          <Composer key={convId} convId={convId} />
        )
      ) : grant ? (
        <p class="muted readonly">Read-only: emergency access does not allow sending.</p>
      ) : null}
    </section>
  );
}
