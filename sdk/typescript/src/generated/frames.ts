/**
 * The frames of hippo's WebSocket stream (GET /api/v1/stream), generated
 * from the AsyncAPI 3 document it serves at /api/v1/asyncapi.json.
 * Do not edit: run `npm run generate` (see README.md).
 */

export type paths = Record<string, never>;
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * @description An uploaded file as clients see it; the bytes are at
         *     `GET /api/v1/attachments/{id}`.
         */
        AttachmentResponse: {
            content_type: string;
            filename: string;
            id: string;
            /** @description Lower-case hex SHA-256 of the bytes. */
            sha256: string;
            /**
             * Format: int64
             * @description Bytes.
             */
            size: number;
        };
        /**
         * @description Why a call ended: a hang-up, the callee declined, nobody answered
         *      within 45 s, or a participant was deactivated.
         * @enum {string}
         */
        CallEndReason: "hangup" | "declined" | "missed" | "deactivated";
        /**
         * @description What a call carries.
         * @enum {string}
         */
        CallMedia: "audio" | "video";
        /** @description One invited user of a call. */
        CallParticipantResponse: {
            /** Format: date-time */
            joined_at?: string | null;
            /** Format: date-time */
            left_at?: string | null;
            /**
             * @description The session that joined: where `call.signal` frames for this
             *     participant go. Another session of yours here means "answered
             *     elsewhere".
             */
            session_id?: string | null;
            state: components["schemas"]["ParticipantState"];
            user_id: string;
        };
        /** @description A voice or video call as its participants see it. */
        CallResponse: {
            /**
             * Format: date-time
             * @description When a second participant joined.
             */
            answered_at?: string | null;
            conversation_id: string;
            /**
             * Format: int64
             * @description Answered time, once ended.
             */
            duration_ms?: number | null;
            end_reason?: components["schemas"]["CallEndReason"] | null;
            /** Format: date-time */
            ended_at?: string | null;
            id: string;
            media: components["schemas"]["CallMedia"];
            participants: components["schemas"]["CallParticipantResponse"][];
            /**
             * @description Media only through the TURN relay (`iceTransportPolicy: "relay"`),
             *     so no party learns another's address.
             */
            relay_only: boolean;
            /** Format: date-time */
            started_at: string;
            started_by: string;
            state: components["schemas"]["CallState"];
            topology: components["schemas"]["CallTopology"];
        };
        /**
         * @description `ringing` until a second participant joins, `active`, then `ended`.
         * @enum {string}
         */
        CallState: "ringing" | "active" | "ended";
        /**
         * @description `p2p`: straight between two parties (through TURN when needed);
         *      `sfu`: through hippo's media server.
         * @enum {string}
         */
        CallTopology: "p2p" | "sfu";
        /**
         * @description An ICE candidate in a `call.signal` frame, as `RTCIceCandidateInit`
         *     has it (an empty `candidate` ends the candidates).
         */
        CandidatePayload: {
            candidate: string;
            sdpMid?: string | null;
            /** Format: int32 */
            sdpMLineIndex?: number | null;
            usernameFragment?: string | null;
        };
        /**
         * @description Where the message travels: inside hippo, or to and from a patient on
         *      WhatsApp.
         * @enum {string}
         */
        Channel: "hippo" | "whatsapp";
        /**
         * @description Where delivery of a WhatsApp message stands: `queued` < `sent` <
         *      `delivered` < `read` (forward only), `failed` (final), `received`
         *      (a message from the patient).
         * @enum {string}
         */
        ChannelState: "queued" | "sent" | "delivered" | "read" | "failed" | "received";
        /**
         * @description Delivery state of a WhatsApp message: `queued`, `sent`, `delivered`,
         *     `read` or `failed` (outbound), `received` (from the patient).
         */
        ChannelStatusResponse: {
            /** Format: int64 */
            error_code?: number | null;
            error_title?: string | null;
            state: components["schemas"]["ChannelState"];
            /** Format: date-time */
            updated_at: string;
        };
        /**
         * @description The first frame, when the upgrade request carried no
         *     `Authorization` header (browsers cannot set one).
         */
        ClientAuthFrame: {
            token: string;
            /** @enum {string} */
            type: "auth";
        };
        /**
         * @description An offer, answer or ICE candidate for another session in the same
         *     call (one of `sdp` and `candidate`); relayed only between joined
         *     sessions of the call's participants.
         */
        ClientCallSignalFrame: {
            call_id: string;
            candidate?: components["schemas"]["CandidatePayload"] | null;
            sdp?: components["schemas"]["SdpPayload"] | null;
            to_session: string;
            /** @enum {string} */
            type: "call.signal";
        };
        /** @description Answered with `pong`. */
        ClientPingFrame: {
            /** @enum {string} */
            type: "ping";
        };
        /**
         * @description Marks everything up to `up_to_seq` read, as
         *     `POST /api/v1/conversations/{id}/read` does.
         */
        ClientReadFrame: {
            conversation_id: string;
            /** @enum {string} */
            type: "read";
            /** Format: int64 */
            up_to_seq: number;
        };
        /**
         * @description The caller is typing in a conversation: its members' other sessions
         *     get a `typing` frame (at most one per 2 s per sender and
         *     conversation is forwarded).
         */
        ClientTypingFrame: {
            conversation_id: string;
            /** @enum {string} */
            type: "typing";
        };
        /**
         * @description `direct` (two members), `group`, or `patient` (everything sent to and
         *      received from one patient; created with the patient).
         * @enum {string}
         */
        ConversationKind: "direct" | "group" | "patient";
        /** @description A conversation as its members see it. */
        ConversationResponse: {
            /** Format: date-time */
            created_at: string;
            id: string;
            /** @description `direct`, `group` or `patient`. */
            kind: components["schemas"]["ConversationKind"];
            /**
             * Format: date-time
             * @description When the newest message was sent; in REST answers, `null` before
             *     the first message; absent from `conversation.updated` frames.
             */
            last_message_at?: string | null;
            /**
             * Format: int64
             * @description Highest message `seq` so far.
             */
            last_seq: number;
            member_ids: string[];
            /** @description The members with their names, in `member_ids` order. */
            members: components["schemas"]["MemberResponse"][];
            title?: string | null;
            /**
             * Format: int64
             * @description Messages after the caller's read mark that others sent. In REST
             *     answers; absent from `conversation.updated` frames (which are the
             *     same for every member).
             */
            unread_count?: number | null;
        };
        /**
         * @description A person as other members and the directory show them: no status, no
         *     MFA, no sessions (minimum necessary).
         */
        MemberResponse: {
            display_name: string;
            id: string;
            /** @description `admin`, `clinician`, `staff`, `auditor` or `service`. */
            role: components["schemas"]["Role"];
        };
        /** @description A message. A recalled message has `deleted: true` and no body. */
        MessageResponse: {
            attachments: components["schemas"]["AttachmentResponse"][];
            body?: string | null;
            /** @description `hippo` or `whatsapp`. */
            channel: components["schemas"]["Channel"];
            channel_status?: components["schemas"]["ChannelStatusResponse"] | null;
            client_id?: string | null;
            conversation_id: string;
            /** Format: date-time */
            created_at: string;
            deleted: boolean;
            /** Format: date-time */
            edited_at?: string | null;
            id: string;
            /** @description `normal` or `urgent`. */
            priority: components["schemas"]["Priority"];
            sender_id: string;
            /**
             * Format: int64
             * @description 1, 2, 3… within the conversation, no gaps.
             */
            seq: number;
        };
        /**
         * @description Where one invited user is in a call.
         * @enum {string}
         */
        ParticipantState: "ringing" | "joined" | "declined" | "left";
        /**
         * @description How the message is flagged to its readers.
         * @enum {string}
         */
        Priority: "normal" | "urgent";
        /**
         * @description What an account is for: `admin` (accounts, settings; never message
         *      content), `clinician` and `staff` (messaging), `auditor` (audit trail;
         *      never content), `service` (an integration; messaging and patients).
         * @enum {string}
         */
        Role: "admin" | "clinician" | "staff" | "auditor" | "service";
        /**
         * @description A session description in a `call.signal` frame, as
         *     `RTCSessionDescription` has it.
         */
        SdpPayload: {
            sdp: string;
            type: components["schemas"]["SdpType"];
        };
        /**
         * @description An offer or an answer.
         * @enum {string}
         */
        SdpType: "offer" | "answer";
        /** @description A call is over. */
        ServerCallEndedFrame: {
            call: components["schemas"]["CallResponse"];
            /** @enum {string} */
            type: "call.ended";
        };
        /** @description Someone calls: to every session of each user being rung. */
        ServerCallRingingFrame: {
            call: components["schemas"]["CallResponse"];
            /** @enum {string} */
            type: "call.ringing";
        };
        /**
         * @description An offer, answer or ICE candidate from another session in the call
         *     (`from_session` is `sfu` for hippo's media server).
         */
        ServerCallSignalFrame: {
            call_id: string;
            candidate?: components["schemas"]["CandidatePayload"] | null;
            from_session: string;
            sdp?: components["schemas"]["SdpPayload"] | null;
            /** @enum {string} */
            type: "call.signal";
        };
        /**
         * @description A call changed (someone joined, declined or left): to every session
         *     of every participant. Your own user joined on another session means
         *     the call was answered elsewhere.
         */
        ServerCallUpdatedFrame: {
            call: components["schemas"]["CallResponse"];
            /** @enum {string} */
            type: "call.updated";
        };
        /**
         * @description A conversation's title or members changed (also sent to members
         *     just removed).
         */
        ServerConversationUpdatedFrame: {
            conversation: components["schemas"]["ConversationResponse"];
            /** @enum {string} */
            type: "conversation.updated";
        };
        /**
         * @description A client frame was refused; the socket stays open (unless a close
         *     follows). `code` is one of the REST API's problem codes.
         */
        ServerErrorFrame: {
            code: string;
            detail?: string | null;
            /** @enum {string} */
            type: "error";
        };
        /** @description A new message in one of the caller's conversations. */
        ServerMessageCreatedFrame: {
            message: components["schemas"]["MessageResponse"];
            /** @enum {string} */
            type: "message.created";
        };
        /** @description A message was recalled. */
        ServerMessageDeletedFrame: {
            conversation_id: string;
            message_id: string;
            /** @enum {string} */
            type: "message.deleted";
        };
        /**
         * @description A message was edited, or its delivery state on another channel
         *     changed.
         */
        ServerMessageUpdatedFrame: {
            message: components["schemas"]["MessageResponse"];
            /** @enum {string} */
            type: "message.updated";
        };
        /** @description The answer to a client `ping`. */
        ServerPongFrame: {
            /** @enum {string} */
            type: "pong";
        };
        /**
         * @description The socket is authenticated: the first frame after a successful
         *     upgrade (or `auth` frame).
         */
        ServerReadyFrame: {
            /** @description This connection's session; other sessions address it by this id. */
            session_id: string;
            /** @enum {string} */
            type: "ready";
            user_id: string;
        };
        /** @description `user_id` received or read everything up to `up_to_seq`. */
        ServerReceiptFrame: {
            conversation_id: string;
            /** Format: date-time */
            delivered_at?: string | null;
            message_id: string;
            /** Format: date-time */
            read_at?: string | null;
            /** @enum {string} */
            type: "receipt";
            /** Format: int64 */
            up_to_seq: number;
            user_id: string;
        };
        /** @description The session ended; the server closes the socket after this frame. */
        ServerSessionEndedFrame: {
            reason: components["schemas"]["SessionEndReason"];
            /** @enum {string} */
            type: "session.ended";
        };
        /** @description A member is typing (not stored, not audited). */
        ServerTypingFrame: {
            conversation_id: string;
            /** @enum {string} */
            type: "typing";
            user_id: string;
        };
        /**
         * @description Why a session's sockets were closed.
         * @enum {string}
         */
        SessionEndReason: "logout" | "expired" | "deactivated" | "revoked";
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;

// ---- named frames and unions (added by scripts/generate.mjs) ----

/** `call.ended` (server → client) */
export type ServerCallEndedFrame = components["schemas"]["ServerCallEndedFrame"];
/** `call.ringing` (server → client) */
export type ServerCallRingingFrame = components["schemas"]["ServerCallRingingFrame"];
/** `call.signal` (server → client) */
export type ServerCallSignalFrame = components["schemas"]["ServerCallSignalFrame"];
/** `call.updated` (server → client) */
export type ServerCallUpdatedFrame = components["schemas"]["ServerCallUpdatedFrame"];
/** `conversation.updated` (server → client) */
export type ServerConversationUpdatedFrame = components["schemas"]["ServerConversationUpdatedFrame"];
/** `error` (server → client) */
export type ServerErrorFrame = components["schemas"]["ServerErrorFrame"];
/** `message.created` (server → client) */
export type ServerMessageCreatedFrame = components["schemas"]["ServerMessageCreatedFrame"];
/** `message.deleted` (server → client) */
export type ServerMessageDeletedFrame = components["schemas"]["ServerMessageDeletedFrame"];
/** `message.updated` (server → client) */
export type ServerMessageUpdatedFrame = components["schemas"]["ServerMessageUpdatedFrame"];
/** `pong` (server → client) */
export type ServerPongFrame = components["schemas"]["ServerPongFrame"];
/** `ready` (server → client) */
export type ServerReadyFrame = components["schemas"]["ServerReadyFrame"];
/** `receipt` (server → client) */
export type ServerReceiptFrame = components["schemas"]["ServerReceiptFrame"];
/** `session.ended` (server → client) */
export type ServerSessionEndedFrame = components["schemas"]["ServerSessionEndedFrame"];
/** `typing` (server → client) */
export type ServerTypingFrame = components["schemas"]["ServerTypingFrame"];
/** `auth` (client → server) */
export type ClientAuthFrame = components["schemas"]["ClientAuthFrame"];
/** `call.signal` (client → server) */
export type ClientCallSignalFrame = components["schemas"]["ClientCallSignalFrame"];
/** `ping` (client → server) */
export type ClientPingFrame = components["schemas"]["ClientPingFrame"];
/** `read` (client → server) */
export type ClientReadFrame = components["schemas"]["ClientReadFrame"];
/** `typing` (client → server) */
export type ClientTypingFrame = components["schemas"]["ClientTypingFrame"];

/** Every frame the server sends, discriminated by `type`. */
export type ServerFrame =
  | ServerCallEndedFrame
  | ServerCallRingingFrame
  | ServerCallSignalFrame
  | ServerCallUpdatedFrame
  | ServerConversationUpdatedFrame
  | ServerErrorFrame
  | ServerMessageCreatedFrame
  | ServerMessageDeletedFrame
  | ServerMessageUpdatedFrame
  | ServerPongFrame
  | ServerReadyFrame
  | ServerReceiptFrame
  | ServerSessionEndedFrame
  | ServerTypingFrame;

/** Every frame a client may send, discriminated by `type`. */
export type ClientFrame =
  | ClientAuthFrame
  | ClientCallSignalFrame
  | ClientPingFrame
  | ClientReadFrame
  | ClientTypingFrame;

export type ServerFrameType = ServerFrame["type"];
export type ClientFrameType = ClientFrame["type"];

/** The server frame with this `type`. */
export type ServerFrameOf<T extends ServerFrameType> = Extract<ServerFrame, { type: T }>;
/** The client frame with this `type`. */
export type ClientFrameOf<T extends ClientFrameType> = Extract<ClientFrame, { type: T }>;

/** The `type`s of server frames, as published. */
export const SERVER_FRAME_TYPES: readonly ServerFrameType[] = ["call.ended","call.ringing","call.signal","call.updated","conversation.updated","error","message.created","message.deleted","message.updated","pong","ready","receipt","session.ended","typing"];
/** The `type`s of client frames, as published. */
export const CLIENT_FRAME_TYPES: readonly ClientFrameType[] = ["auth","call.signal","ping","read","typing"];
