// The shapes the web client works with: the SDK's types, generated from the
// server's OpenAPI document. Shared with the admin and patient screens
// (web/src/admin, web/src/patients).
import type {
  Attachment,
  ChannelStatus,
  Conversation,
  LoginResponse,
  Member,
  Message,
  Problem,
  Receipt,
  Role,
  User,
} from "../../sdk/typescript/src/index.ts";

export type { Attachment, ChannelStatus, Conversation, Member, Message, Problem, Receipt, Role, User };

/** The body of `POST /auth/login` with `session: "cookie"` and of `GET /auth/session`. */
export type SessionInfo = LoginResponse & {
  csrf_token: string;
  /** Not sent by the server today; used when present. */
  max_upload_bytes?: number;
};
