//! The frames of `GET /api/v1/stream`, both ways, and who a server frame
//! is addressed to.

use crate::views::{
    CallResponse, CandidatePayload, ConversationResponse, MessageResponse, SdpPayload,
};
use hippo_core::{SessionId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Largest client frame accepted (bytes); a larger one is refused with an
/// `error` frame and the socket is closed with 1008.
pub const MAX_CLIENT_FRAME: usize = 64 * 1024;

/// Why a session's sockets were closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionEndReason {
    Logout,
    Expired,
    Deactivated,
    Revoked,
}

impl SessionEndReason {
    /// From the reason a session row records (anything unknown counts as
    /// `revoked`).
    pub fn from_recorded(s: &str) -> Self {
        match s {
            "logout" => Self::Logout,
            "expired" => Self::Expired,
            "deactivated" => Self::Deactivated,
            _ => Self::Revoked,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::Expired => "expired",
            Self::Deactivated => "deactivated",
            Self::Revoked => "revoked",
        }
    }
}

/// A frame the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type")]
pub enum ServerFrame {
    /// The socket is authenticated: the first frame after a successful
    /// upgrade (or `auth` frame).
    #[serde(rename = "ready")]
    Ready {
        user_id: String,
        /// This connection's session; other sessions address it by this id.
        session_id: String,
    },
    /// The answer to a client `ping`.
    #[serde(rename = "pong")]
    Pong,
    /// A client frame was refused; the socket stays open (unless a close
    /// follows). `code` is one of the REST API's problem codes.
    #[serde(rename = "error")]
    Error {
        code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// A new message in one of the caller's conversations.
    #[serde(rename = "message.created")]
    MessageCreated { message: MessageResponse },
    /// A message was edited, or its delivery state on another channel
    /// changed.
    #[serde(rename = "message.updated")]
    MessageUpdated { message: MessageResponse },
    /// A message was recalled.
    #[serde(rename = "message.deleted")]
    MessageDeleted {
        conversation_id: String,
        message_id: String,
    },
    /// `user_id` received or read everything up to `up_to_seq`.
    #[serde(rename = "receipt")]
    Receipt {
        conversation_id: String,
        message_id: String,
        up_to_seq: i64,
        user_id: String,
        #[schema(format = DateTime)]
        delivered_at: Option<String>,
        #[schema(format = DateTime)]
        read_at: Option<String>,
    },
    /// A conversation's title or members changed (also sent to members
    /// just removed).
    #[serde(rename = "conversation.updated")]
    ConversationUpdated { conversation: ConversationResponse },
    /// A member is typing (not stored, not audited).
    #[serde(rename = "typing")]
    Typing {
        conversation_id: String,
        user_id: String,
    },
    /// The session ended; the server closes the socket after this frame.
    #[serde(rename = "session.ended")]
    SessionEnded { reason: SessionEndReason },
    /// Someone calls: to every session of each user being rung.
    #[serde(rename = "call.ringing")]
    CallRinging { call: CallResponse },
    /// A call changed (someone joined, declined or left): to every session
    /// of every participant. Your own user joined on another session means
    /// the call was answered elsewhere.
    #[serde(rename = "call.updated")]
    CallUpdated { call: CallResponse },
    /// A call is over.
    #[serde(rename = "call.ended")]
    CallEnded { call: CallResponse },
    /// An offer, answer or ICE candidate from another session in the call
    /// (`from_session` is `sfu` for hippo's media server).
    #[serde(rename = "call.signal")]
    CallSignal {
        call_id: String,
        from_session: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sdp: Option<SdpPayload>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        candidate: Option<CandidatePayload>,
    },
}

impl ServerFrame {
    /// The frame as the text sent on the socket.
    pub fn to_json(&self) -> String {
        // Serialising these types cannot fail: every field is a string,
        // number, bool, option or list of them.
        serde_json::to_string(self)
            .unwrap_or_else(|_| String::from(r#"{"type":"error","code":"internal"}"#))
    }

    /// A refusal with the REST API's code.
    pub fn error(code: hippo_core::ErrorCode, detail: impl Into<String>) -> Self {
        Self::Error {
            code: code.as_str().to_owned(),
            detail: Some(detail.into()),
        }
    }

    /// The `type` of this frame, as on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Ready { .. } => "ready",
            Self::Pong => "pong",
            Self::Error { .. } => "error",
            Self::MessageCreated { .. } => "message.created",
            Self::MessageUpdated { .. } => "message.updated",
            Self::MessageDeleted { .. } => "message.deleted",
            Self::Receipt { .. } => "receipt",
            Self::ConversationUpdated { .. } => "conversation.updated",
            Self::Typing { .. } => "typing",
            Self::SessionEnded { .. } => "session.ended",
            Self::CallRinging { .. } => "call.ringing",
            Self::CallUpdated { .. } => "call.updated",
            Self::CallEnded { .. } => "call.ended",
            Self::CallSignal { .. } => "call.signal",
        }
    }
}

/// A frame a client sends.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type")]
pub enum ClientFrame {
    /// The first frame, when the upgrade request carried no
    /// `Authorization` header (browsers cannot set one).
    #[serde(rename = "auth")]
    Auth { token: String },
    /// Answered with `pong`.
    #[serde(rename = "ping")]
    Ping,
    /// The caller is typing in a conversation: its members' other sessions
    /// get a `typing` frame (at most one per 2 s per sender and
    /// conversation is forwarded).
    #[serde(rename = "typing")]
    Typing { conversation_id: String },
    /// Marks everything up to `up_to_seq` read, as
    /// `POST /api/v1/conversations/{id}/read` does.
    #[serde(rename = "read")]
    Read {
        conversation_id: String,
        up_to_seq: i64,
    },
    /// An offer, answer or ICE candidate for another session in the same
    /// call (one of `sdp` and `candidate`); relayed only between joined
    /// sessions of the call's participants.
    #[serde(rename = "call.signal")]
    CallSignal {
        call_id: String,
        to_session: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sdp: Option<SdpPayload>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        candidate: Option<CandidatePayload>,
    },
}

impl std::fmt::Debug for ClientFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Auth { .. } => f.write_str("Auth { token: <redacted> }"),
            Self::Ping => f.write_str("Ping"),
            Self::Typing { conversation_id } => f
                .debug_struct("Typing")
                .field("conversation_id", conversation_id)
                .finish(),
            Self::Read {
                conversation_id,
                up_to_seq,
            } => f
                .debug_struct("Read")
                .field("conversation_id", conversation_id)
                .field("up_to_seq", up_to_seq)
                .finish(),
            Self::CallSignal {
                call_id,
                to_session,
                ..
            } => f
                .debug_struct("CallSignal")
                .field("call_id", call_id)
                .field("to_session", to_session)
                .finish_non_exhaustive(),
        }
    }
}

impl ClientFrame {
    /// Parses a client frame; the error says what is wrong in words fit
    /// for an `error` frame (never echoing the input).
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| {
            if e.is_syntax() || e.is_eof() {
                "a frame must be one JSON object".to_owned()
            } else {
                // serde's messages name the unknown variant or field and
                // what was expected; a value of the wrong type it would
                // quote is cut out.
                let msg = e.to_string();
                let msg = match msg.find(" at line ") {
                    Some(i) => &msg[..i],
                    None => msg.as_str(),
                };
                match (msg.strip_prefix("invalid type: "), msg.find(", expected")) {
                    (Some(_), Some(i)) => format!("invalid type{}", &msg[i..]),
                    _ => msg.to_owned(),
                }
            }
        })
    }
}

/// Who a server frame is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Audience {
    /// Every live session of these users, except one session when given
    /// (the one the event came from).
    Users {
        users: Vec<UserId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        except_session: Option<SessionId>,
    },
    /// One session of one user.
    Session { user: UserId, session: SessionId },
}

impl Audience {
    /// Every session of these users.
    pub fn users(users: Vec<UserId>) -> Self {
        Self::Users {
            users,
            except_session: None,
        }
    }

    /// The users the frame may reach.
    pub fn user_ids(&self) -> &[UserId] {
        match self {
            Self::Users { users, .. } => users,
            Self::Session { user, .. } => std::slice::from_ref(user),
        }
    }

    /// The same audience narrowed to one user (`None` if it does not
    /// include them): a bus that routes by user delivers each copy so.
    pub fn only(&self, user: &UserId) -> Option<Self> {
        match self {
            Self::Users {
                users,
                except_session,
            } => users.contains(user).then(|| Self::Users {
                users: vec![user.clone()],
                except_session: except_session.clone(),
            }),
            Self::Session { user: u, .. } => (u == user).then(|| self.clone()),
        }
    }

    /// Whether a connection on `session`, of one of [`Audience::user_ids`],
    /// gets the frame (the user check already made).
    pub fn admits_session(&self, session: &SessionId) -> bool {
        match self {
            Self::Users { except_session, .. } => except_session.as_ref() != Some(session),
            Self::Session { session: s, .. } => s == session,
        }
    }

    /// Whether a connection of `user` on `session` gets the frame.
    pub fn includes(&self, user: &UserId, session: &SessionId) -> bool {
        match self {
            Self::Users {
                users,
                except_session,
            } => except_session.as_ref() != Some(session) && users.contains(user),
            Self::Session {
                user: u,
                session: s,
            } => u == user && s == session,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_parse_or_say_why() {
        assert_eq!(
            ClientFrame::parse(r#"{"type":"ping"}"#),
            Ok(ClientFrame::Ping)
        );
        assert_eq!(
            ClientFrame::parse(r#"{"type":"read","conversation_id":"c","up_to_seq":3}"#),
            Ok(ClientFrame::Read {
                conversation_id: "c".into(),
                up_to_seq: 3
            })
        );
        let unknown = ClientFrame::parse(r#"{"type":"launch"}"#).unwrap_err();
        assert!(unknown.contains("unknown variant `launch`"), "{unknown}");
        let wrong = ClientFrame::parse(r#"{"type":"read","conversation_id":"c","up_to_seq":"x"}"#)
            .unwrap_err();
        assert_eq!(wrong, "invalid type, expected i64");
        let quoted =
            ClientFrame::parse(r#"{"type":"typing","conversation_id":123456}"#).unwrap_err();
        assert!(
            !quoted.contains("123456") && !quoted.contains("line"),
            "{quoted}"
        );
        assert_eq!(
            ClientFrame::parse("not json").unwrap_err(),
            "a frame must be one JSON object"
        );
        let secret = ClientFrame::Auth {
            token: "hpo_secret".into(),
        };
        assert!(!format!("{secret:?}").contains("hpo_secret"));
    }

    #[test]
    fn server_frames_keep_their_wire_names() {
        let f = ServerFrame::SessionEnded {
            reason: SessionEndReason::Logout,
        };
        assert_eq!(f.to_json(), r#"{"type":"session.ended","reason":"logout"}"#);
        assert_eq!(ServerFrame::Pong.to_json(), r#"{"type":"pong"}"#);
        let back: ServerFrame = serde_json::from_str(&f.to_json()).unwrap();
        assert_eq!(back, f);
        assert_eq!(back.kind(), "session.ended");
    }

    #[test]
    fn audiences() {
        let (a, b) = (UserId::generate(), UserId::generate());
        let (s1, s2) = (SessionId::generate(), SessionId::generate());
        let all = Audience::users(vec![a.clone(), b.clone()]);
        assert!(all.includes(&a, &s1) && all.includes(&b, &s2));
        let others = Audience::Users {
            users: vec![a.clone()],
            except_session: Some(s1.clone()),
        };
        assert!(!others.includes(&a, &s1) && others.includes(&a, &s2));
        assert!(!others.includes(&b, &s2));
        let one = Audience::Session {
            user: a.clone(),
            session: s2.clone(),
        };
        assert!(one.includes(&a, &s2) && !one.includes(&a, &s1));
        assert_eq!(others.only(&b), None);
        assert_eq!(
            all.only(&b),
            Some(Audience::Users {
                users: vec![b.clone()],
                except_session: None
            })
        );
        let json = serde_json::to_string(&one).unwrap();
        assert_eq!(serde_json::from_str::<Audience>(&json).unwrap(), one);
    }
}
