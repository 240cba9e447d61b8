//! The AsyncAPI 3 document of the stream, built from the frame types
//! themselves (their utoipa schemas), so it cannot drift from what the
//! server sends and accepts. Served at `GET /api/v1/asyncapi.json`.
//!
//! It describes the hippo server: it *sends* [`ServerFrame`]s and
//! *receives* [`ClientFrame`]s on one channel, the WebSocket at
//! `/api/v1/stream`. Each frame `type` is one message whose payload is that
//! variant's JSON Schema.

use crate::{ClientFrame, ServerFrame};
use serde_json::{Map, Value, json};
use utoipa::openapi::{ComponentsBuilder, RefOr, schema::Schema};
use utoipa::{PartialSchema, ToSchema};

/// The message key of a frame `type` in the document (`server_message_created`).
pub fn message_key(side: Side, frame_type: &str) -> String {
    format!("{}_{}", side.prefix(), frame_type.replace('.', "_"))
}

/// Which end sends a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Server,
    Client,
}

impl Side {
    fn prefix(self) -> &'static str {
        match self {
            Self::Server => "server",
            Self::Client => "client",
        }
    }
}

/// The variants of a tagged enum's schema, each with its `type` value.
fn variants(schema: RefOr<Schema>) -> Vec<(String, Value)> {
    let value = serde_json::to_value(schema).unwrap_or(Value::Null);
    let list = value
        .get("oneOf")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    list.into_iter()
        .filter_map(|v| {
            let name = v
                .pointer("/properties/type/enum/0")
                .and_then(Value::as_str)?
                .to_owned();
            Some((name, v))
        })
        .collect()
}

/// Schemas the frames refer to (`#/components/schemas/…`).
fn component_schemas() -> Value {
    let mut list = Vec::new();
    <ServerFrame as ToSchema>::schemas(&mut list);
    <ClientFrame as ToSchema>::schemas(&mut list);
    let components = ComponentsBuilder::new().schemas_from_iter(list).build();
    serde_json::to_value(components.schemas).unwrap_or(Value::Null)
}

/// The document; `host` is what clients connect to (`example.org:8443`).
pub fn document(version: &str, host: &str) -> Value {
    let mut messages = Map::new();
    let mut channel_messages = Map::new();
    let mut sent = Vec::new();
    let mut received = Vec::new();
    for (side, schema) in [
        (Side::Server, ServerFrame::schema()),
        (Side::Client, ClientFrame::schema()),
    ] {
        for (frame_type, payload) in variants(schema) {
            let key = message_key(side, &frame_type);
            let summary = payload
                .get("description")
                .cloned()
                .unwrap_or_else(|| Value::String(frame_type.clone()));
            messages.insert(
                key.clone(),
                json!({
                    "name": frame_type,
                    "title": frame_type,
                    "summary": summary,
                    "contentType": "application/json",
                    "payload": payload,
                }),
            );
            channel_messages.insert(
                key.clone(),
                json!({ "$ref": format!("#/components/messages/{key}") }),
            );
            let reference = json!({ "$ref": format!("#/channels/stream/messages/{key}") });
            match side {
                Side::Server => sent.push(reference),
                Side::Client => received.push(reference),
            }
        }
    }
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "hippo real time",
            "version": version,
            "description": "The WebSocket stream of hippo. Authenticate with the `Authorization: Bearer` header on the upgrade, or with a first `auth` frame within 10 seconds. Every frame is a JSON text frame with a `type`. A client frame that does not parse, or names a conversation the session is not in, gets an `error` frame and the socket stays open; frames over 64 KiB, binary frames and floods (over 20 frames/s sustained) close the socket with 1008.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "hippo": {
                "host": host,
                "protocol": "wss",
                "description": "This hippo server.",
            }
        },
        "channels": {
            "stream": {
                "address": "/api/v1/stream",
                "title": "Stream",
                "description": "One WebSocket per client session.",
                "messages": channel_messages,
            }
        },
        "operations": {
            "sendServerFrames": {
                "action": "send",
                "title": "Server frames",
                "summary": "What the server pushes to a session.",
                "channel": { "$ref": "#/channels/stream" },
                "messages": sent,
            },
            "receiveClientFrames": {
                "action": "receive",
                "title": "Client frames",
                "summary": "What a client may send.",
                "channel": { "$ref": "#/channels/stream" },
                "messages": received,
            }
        },
        "components": {
            "messages": messages,
            "schemas": component_schemas(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_type_is_a_message_with_a_payload() {
        let doc = document("0.0.0", "localhost:8443");
        let messages = doc["components"]["messages"].as_object().unwrap();
        for key in [
            "server_ready",
            "server_pong",
            "server_error",
            "server_message_created",
            "server_message_updated",
            "server_message_deleted",
            "server_receipt",
            "server_conversation_updated",
            "server_typing",
            "server_session_ended",
            "server_call_ringing",
            "server_call_updated",
            "server_call_ended",
            "server_call_signal",
            "client_auth",
            "client_ping",
            "client_typing",
            "client_read",
            "client_call_signal",
        ] {
            let m = messages.get(key).unwrap_or_else(|| panic!("{key} missing"));
            assert_eq!(m["payload"]["type"], "object", "{key}");
        }
        assert_eq!(messages.len(), 19);
        assert!(doc["components"]["schemas"]["MessageResponse"].is_object());
        assert_eq!(
            doc["operations"]["sendServerFrames"]["messages"]
                .as_array()
                .unwrap()
                .len(),
            14
        );
    }
}
