//! Webhook payloads: Meta's `POST <callback>` bodies turned into events.
//!
//! Parsing is lenient on purpose (strict parsers crash on new shapes): every
//! wire field is optional and tolerant of the wrong JSON type, unknown
//! fields are ignored, unknown `field`s and message types have catch-alls.
//! Only a body that is not JSON, or that has no `entry` array, is an error.
//! Check the signature ([`crate::verify_signature`]) on the raw bytes first.

use serde::Deserialize;
use serde_json::Value;

use crate::wire::{list, opt, opt_i64, opt_str};

/// One thing a webhook told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookEvent {
    /// A status for one of our sends (`value.statuses[]`).
    Status(StatusUpdate),
    /// A user's message (`value.messages[]`).
    Inbound(InboundMessage),
    /// value.errors[] (system/app-level)
    Error {
        phone_number_id: Option<String>,
        errors: Vec<EventError>,
    },
    /// `field: "message_template_status_update"`. `event` and `reason` as
    /// Meta sends them (`"APPROVED"`, `"NONE"`...).
    TemplateStatus {
        name: String,
        language: String,
        event: String,
        reason: Option<String>,
    },
    /// A change we do not handle (another `field`), or a `messages` item
    /// missing what identifies it. `field` is the change's `field` ("" when
    /// absent).
    Ignored { field: String },
}

/// A status update for a message we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    pub phone_number_id: Option<String>,
    pub wamid: String,
    pub status: DeliveryStatus,
    /// Unix seconds; Meta sends a string.
    pub timestamp: Option<i64>,
    /// The user's phone digits (PHI-adjacent).
    pub recipient_id: Option<String>,
    /// `biz_opaque_callback_data` as given at send time.
    pub callback_data: Option<String>,
    pub errors: Vec<EventError>,
}

/// `statuses[].status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryStatus {
    Sent,
    Delivered,
    Read,
    /// First play of a voice message.
    Played,
    Failed,
    /// Anything else, as sent (e.g. legacy `deleted`, `warning`).
    Other(String),
}

impl DeliveryStatus {
    fn parse(text: &str) -> Self {
        match text {
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "played" => Self::Played,
            "failed" => Self::Failed,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// An error inside a webhook: `{code, title, message, error_data:{details}}`.
/// `title` falls back to `message` when absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    pub code: Option<i64>,
    pub title: Option<String>,
    pub details: Option<String>,
}

/// A message from a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    pub phone_number_id: Option<String>,
    pub wamid: String,
    /// digits as Meta sends them (no '+')
    pub from: String,
    pub timestamp: Option<i64>,
    /// The WhatsApp display name: user-controlled, never an identity.
    pub profile_name: Option<String>,
    /// The wamid this message replies to (`context.id`).
    pub context_wamid: Option<String>,
    pub content: InboundContent,
}

/// What an inbound message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundContent {
    Text {
        body: String,
    },
    /// image, document, audio, video, sticker. `sha256` is as in the
    /// webhook (base64), unlike the hex digest of [`crate::MediaInfo`].
    Media {
        kind: String,
        media_id: String,
        mime_type: Option<String>,
        sha256: Option<String>,
        caption: Option<String>,
        filename: Option<String>,
    },
    /// template quick-reply tap (type "button") or interactive button/list reply
    Button {
        text: String,
        payload: Option<String>,
    },
    /// anything else (location, contacts, reaction, unsupported, unknown, system...)
    Unsupported {
        kind: String,
        errors: Vec<EventError>,
    },
}

/// The body could not be read as a webhook at all. The message never quotes
/// the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookParseError {
    #[error("webhook body is not JSON")]
    NotJson,
    #[error("webhook body has no `entry` array")]
    NoEntry,
}

/// Turns a webhook body into events, one or more per change. Never panics.
pub fn parse_webhook(body: &[u8]) -> Result<Vec<WebhookEvent>, WebhookParseError> {
    let root: Value = serde_json::from_slice(body).map_err(|_| WebhookParseError::NotJson)?;
    let entries = root
        .get("entry")
        .and_then(Value::as_array)
        .ok_or(WebhookParseError::NoEntry)?;
    let mut events = Vec::new();
    for entry in entries {
        let Ok(entry) = RawEntry::deserialize(entry) else {
            events.push(WebhookEvent::Ignored {
                field: String::new(),
            });
            continue;
        };
        for change in entry.changes {
            match change {
                Some(change) => parse_change(change, &mut events),
                None => events.push(WebhookEvent::Ignored {
                    field: String::new(),
                }),
            }
        }
    }
    Ok(events)
}

fn parse_change(change: RawChange, events: &mut Vec<WebhookEvent>) {
    let field = change.field.unwrap_or_default();
    let value = change.value.unwrap_or(Value::Null);
    let before = events.len();
    match field.as_str() {
        "messages" => {
            if let Ok(value) = RawMessagesValue::deserialize(&value) {
                parse_messages_value(value, events);
            }
        }
        "message_template_status_update" => {
            if let Ok(value) = RawTemplateStatus::deserialize(&value)
                && let (Some(name), Some(language), Some(event)) = (
                    value.message_template_name,
                    value.message_template_language,
                    value.event,
                )
            {
                events.push(WebhookEvent::TemplateStatus {
                    name,
                    language,
                    event,
                    reason: value.reason,
                });
            }
        }
        _ => {}
    }
    if events.len() == before {
        events.push(WebhookEvent::Ignored { field });
    }
}

fn parse_messages_value(value: RawMessagesValue, events: &mut Vec<WebhookEvent>) {
    let phone_number_id = value.metadata.and_then(|m| m.phone_number_id);
    let ignored = || WebhookEvent::Ignored {
        field: "messages".to_owned(),
    };

    for status in value.statuses {
        let Some(status) = status else {
            events.push(ignored());
            continue;
        };
        let (Some(wamid), Some(state)) = (status.id, status.status) else {
            events.push(ignored());
            continue;
        };
        events.push(WebhookEvent::Status(StatusUpdate {
            phone_number_id: phone_number_id.clone(),
            wamid,
            status: DeliveryStatus::parse(&state),
            timestamp: status.timestamp,
            recipient_id: status.recipient_id,
            callback_data: status.biz_opaque_callback_data,
            errors: event_errors(status.errors),
        }));
    }

    for message in value.messages {
        let Some(message) = message else {
            events.push(ignored());
            continue;
        };
        let (Some(wamid), Some(from)) = (message.id.clone(), message.from.clone()) else {
            events.push(ignored());
            continue;
        };
        if wamid.is_empty() || from.is_empty() {
            events.push(ignored());
            continue;
        }
        let profile_name = profile_name_for(&value.contacts, &from);
        let context_wamid = message.context.as_ref().and_then(|c| c.id.clone());
        let timestamp = message.timestamp;
        events.push(WebhookEvent::Inbound(InboundMessage {
            phone_number_id: phone_number_id.clone(),
            wamid,
            from,
            timestamp,
            profile_name,
            context_wamid,
            content: inbound_content(message),
        }));
    }

    let errors = event_errors(value.errors);
    if !errors.is_empty() {
        events.push(WebhookEvent::Error {
            phone_number_id,
            errors,
        });
    }
}

/// The contact whose `wa_id` is the sender, else the only contact.
fn profile_name_for(contacts: &[Option<RawContact>], from: &str) -> Option<String> {
    let contacts: Vec<&RawContact> = contacts.iter().flatten().collect();
    let contact = contacts
        .iter()
        .find(|c| c.wa_id.as_deref() == Some(from))
        .or(if contacts.len() == 1 {
            contacts.first()
        } else {
            None
        })?;
    contact.profile.as_ref()?.name.clone()
}

fn inbound_content(message: RawMessage) -> InboundContent {
    let kind = message.kind.unwrap_or_default();
    let unsupported = |kind: String, errors| InboundContent::Unsupported {
        kind,
        errors: event_errors(errors),
    };
    match kind.as_str() {
        "text" => match message.text.and_then(|t| t.body) {
            Some(body) => InboundContent::Text { body },
            None => unsupported(kind, message.errors),
        },
        "image" | "document" | "audio" | "video" | "sticker" => {
            let media = match kind.as_str() {
                "image" => message.image,
                "document" => message.document,
                "audio" => message.audio,
                "video" => message.video,
                _ => message.sticker,
            };
            match media {
                Some(RawMedia {
                    id: Some(media_id),
                    mime_type,
                    sha256,
                    caption,
                    filename,
                }) => InboundContent::Media {
                    kind,
                    media_id,
                    mime_type,
                    sha256,
                    caption,
                    filename,
                },
                _ => unsupported(kind, message.errors),
            }
        }
        "button" => match message.button {
            Some(RawButton {
                text: Some(text),
                payload,
            }) => InboundContent::Button { text, payload },
            Some(RawButton {
                text: None,
                payload: Some(payload),
            }) => InboundContent::Button {
                text: payload.clone(),
                payload: Some(payload),
            },
            _ => unsupported(kind, message.errors),
        },
        "interactive" => {
            let reply = message
                .interactive
                .and_then(|i| i.button_reply.or(i.list_reply));
            match reply {
                Some(RawReply {
                    title: Some(title),
                    id,
                }) => InboundContent::Button {
                    text: title,
                    payload: id,
                },
                _ => unsupported(kind, message.errors),
            }
        }
        _ => unsupported(kind, message.errors),
    }
}

fn event_errors(errors: Vec<Option<RawError>>) -> Vec<EventError> {
    errors
        .into_iter()
        .flatten()
        .map(|e| EventError {
            code: e.code,
            title: e.title.or(e.message),
            details: e.error_data.and_then(|d| d.details),
        })
        .collect()
}

// --- wire models: every field optional and type-tolerant -------------------

#[derive(Deserialize)]
struct RawEntry {
    #[serde(default, deserialize_with = "list")]
    changes: Vec<Option<RawChange>>,
}

#[derive(Deserialize)]
struct RawChange {
    #[serde(default, deserialize_with = "opt_str")]
    field: Option<String>,
    #[serde(default)]
    value: Option<Value>,
}

#[derive(Deserialize)]
struct RawMessagesValue {
    #[serde(default, deserialize_with = "opt")]
    metadata: Option<RawMetadata>,
    #[serde(default, deserialize_with = "list")]
    contacts: Vec<Option<RawContact>>,
    #[serde(default, deserialize_with = "list")]
    messages: Vec<Option<RawMessage>>,
    #[serde(default, deserialize_with = "list")]
    statuses: Vec<Option<RawStatus>>,
    #[serde(default, deserialize_with = "list")]
    errors: Vec<Option<RawError>>,
}

#[derive(Deserialize)]
struct RawMetadata {
    #[serde(default, deserialize_with = "opt_str")]
    phone_number_id: Option<String>,
}

#[derive(Deserialize)]
struct RawContact {
    #[serde(default, deserialize_with = "opt_str")]
    wa_id: Option<String>,
    #[serde(default, deserialize_with = "opt")]
    profile: Option<RawProfile>,
}

#[derive(Deserialize)]
struct RawProfile {
    #[serde(default, deserialize_with = "opt_str")]
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawMessage {
    #[serde(default, deserialize_with = "opt_str")]
    id: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    from: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    timestamp: Option<i64>,
    #[serde(default, rename = "type", deserialize_with = "opt_str")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "opt")]
    context: Option<RawContext>,
    #[serde(default, deserialize_with = "opt")]
    text: Option<RawText>,
    #[serde(default, deserialize_with = "opt")]
    image: Option<RawMedia>,
    #[serde(default, deserialize_with = "opt")]
    document: Option<RawMedia>,
    #[serde(default, deserialize_with = "opt")]
    audio: Option<RawMedia>,
    #[serde(default, deserialize_with = "opt")]
    video: Option<RawMedia>,
    #[serde(default, deserialize_with = "opt")]
    sticker: Option<RawMedia>,
    #[serde(default, deserialize_with = "opt")]
    button: Option<RawButton>,
    #[serde(default, deserialize_with = "opt")]
    interactive: Option<RawInteractive>,
    #[serde(default, deserialize_with = "list")]
    errors: Vec<Option<RawError>>,
}

#[derive(Deserialize)]
struct RawContext {
    #[serde(default, deserialize_with = "opt_str")]
    id: Option<String>,
}

#[derive(Deserialize)]
struct RawText {
    #[serde(default, deserialize_with = "opt_str")]
    body: Option<String>,
}

#[derive(Deserialize)]
struct RawMedia {
    #[serde(default, deserialize_with = "opt_str")]
    id: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    mime_type: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    sha256: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    caption: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    filename: Option<String>,
}

#[derive(Deserialize)]
struct RawButton {
    #[serde(default, deserialize_with = "opt_str")]
    text: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    payload: Option<String>,
}

#[derive(Deserialize)]
struct RawInteractive {
    #[serde(default, deserialize_with = "opt")]
    button_reply: Option<RawReply>,
    #[serde(default, deserialize_with = "opt")]
    list_reply: Option<RawReply>,
}

#[derive(Deserialize)]
struct RawReply {
    #[serde(default, deserialize_with = "opt_str")]
    id: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    title: Option<String>,
}

#[derive(Deserialize)]
struct RawStatus {
    #[serde(default, deserialize_with = "opt_str")]
    id: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    status: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    timestamp: Option<i64>,
    #[serde(default, deserialize_with = "opt_str")]
    recipient_id: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    biz_opaque_callback_data: Option<String>,
    #[serde(default, deserialize_with = "list")]
    errors: Vec<Option<RawError>>,
}

#[derive(Deserialize)]
struct RawError {
    #[serde(default, deserialize_with = "opt_i64")]
    code: Option<i64>,
    #[serde(default, deserialize_with = "opt_str")]
    title: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    message: Option<String>,
    #[serde(default, deserialize_with = "opt")]
    error_data: Option<RawErrorData>,
}

#[derive(Deserialize)]
struct RawErrorData {
    #[serde(default, deserialize_with = "opt_str")]
    details: Option<String>,
}

#[derive(Deserialize)]
struct RawTemplateStatus {
    #[serde(default, deserialize_with = "opt_str")]
    event: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    message_template_name: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    message_template_language: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_json_and_missing_entry() {
        assert_eq!(parse_webhook(b"not json"), Err(WebhookParseError::NotJson));
        assert_eq!(parse_webhook(b"{}"), Err(WebhookParseError::NoEntry));
        assert_eq!(
            parse_webhook(br#"{"entry":{}}"#),
            Err(WebhookParseError::NoEntry)
        );
        assert_eq!(parse_webhook(br#"{"entry":[]}"#), Ok(Vec::new()));
    }

    #[test]
    fn wrong_types_degrade_instead_of_failing() {
        let body = br#"{"entry":[{"changes":[{"field":"messages","value":{
            "metadata":{"phone_number_id":106540352242922},
            "statuses":[{"id":"wamid.A","status":"delivered","timestamp":1767225603,"errors":"x"},
                        {"status":"read"}, 7],
            "messages":[{"id":"wamid.B","from":"1650","type":"text","text":"oops"},
                        {"id":"wamid.C","from":"1650","type":"interactive",
                         "interactive":{"type":"list_reply","list_reply":{"id":"row1","title":"Tuesday"}}}]
        }}, "junk", {"field":"security","value":{}}]}, 3]}"#;
        let events = parse_webhook(body).unwrap();
        let ignored = |f: &str| WebhookEvent::Ignored {
            field: f.to_owned(),
        };
        assert_eq!(
            events,
            vec![
                WebhookEvent::Status(StatusUpdate {
                    phone_number_id: Some("106540352242922".into()),
                    wamid: "wamid.A".into(),
                    status: DeliveryStatus::Delivered,
                    timestamp: Some(1_767_225_603),
                    recipient_id: None,
                    callback_data: None,
                    errors: vec![],
                }),
                ignored("messages"),
                ignored("messages"),
                WebhookEvent::Inbound(InboundMessage {
                    phone_number_id: Some("106540352242922".into()),
                    wamid: "wamid.B".into(),
                    from: "1650".into(),
                    timestamp: None,
                    profile_name: None,
                    context_wamid: None,
                    content: InboundContent::Unsupported {
                        kind: "text".into(),
                        errors: vec![]
                    },
                }),
                WebhookEvent::Inbound(InboundMessage {
                    phone_number_id: Some("106540352242922".into()),
                    wamid: "wamid.C".into(),
                    from: "1650".into(),
                    timestamp: None,
                    profile_name: None,
                    context_wamid: None,
                    content: InboundContent::Button {
                        text: "Tuesday".into(),
                        payload: Some("row1".into())
                    },
                }),
                ignored(""),
                ignored("security"),
                ignored(""),
            ]
        );
    }
}
