//! What outgoing webhooks report, and how an event joins the outbox: in the
//! transaction of the change it reports (so a committed change always has
//! its deliveries and a rolled-back one has none), with a body of ids and
//! states only: never message bodies, names, phone numbers or MRNs. The
//! integrator fetches content with its API key, and that read is audited.
//! Incident events (the business associate's notice to the covered entity,
//! 164.410) go to organisation-wide endpoints only, never to a service
//! account's.

use crate::Result;
use hippo_core::{ConversationId, MessageId, PatientId, Timestamp, UserId};
use hippo_store::{WebhookEvent, WriteTx};
use serde_json::json;
use std::collections::BTreeMap;

/// Every event type an endpoint may subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "message.created",
    "message.updated",
    "message.deleted",
    "whatsapp.status",
    "patient.inbound",
    "incident.opened",
    "incident.updated",
];

/// An event to report.
#[derive(Debug, Clone)]
pub(crate) enum Outgoing<'a> {
    /// A message joined a conversation (any channel, any sender).
    MessageCreated {
        conversation_id: &'a ConversationId,
        message_id: &'a MessageId,
        seq: i64,
        sender_id: &'a UserId,
        channel: &'static str,
        priority: &'static str,
    },
    /// A message was edited.
    MessageUpdated {
        conversation_id: &'a ConversationId,
        message_id: &'a MessageId,
        seq: i64,
    },
    /// A message was recalled.
    MessageDeleted {
        conversation_id: &'a ConversationId,
        message_id: &'a MessageId,
        seq: i64,
    },
    /// A WhatsApp message to a patient moved on (`sent`, `delivered`,
    /// `read`, `failed`).
    WhatsappStatus {
        conversation_id: &'a ConversationId,
        message_id: &'a MessageId,
        patient_id: &'a PatientId,
        state: &'static str,
        error_code: Option<i64>,
    },
    /// A patient wrote in over WhatsApp.
    PatientInbound {
        conversation_id: &'a ConversationId,
        message_id: &'a MessageId,
        patient_id: &'a PatientId,
        seq: i64,
    },
    /// A breach incident was recorded: when it was discovered, by when the
    /// individuals must hear of it, and whom it touched (patient ids and
    /// counts per state; no names).
    IncidentOpened {
        incident_id: &'a str,
        discovered_at: Timestamp,
        notify_by: Timestamp,
        patient_ids: &'a [String],
        by_state: &'a BTreeMap<String, u64>,
    },
    /// An incident's notification was recorded, or it was closed.
    IncidentUpdated {
        incident_id: &'a str,
        status: &'static str,
        /// `individuals`, `hhs`, `media` → when notified.
        notified: BTreeMap<&'static str, Timestamp>,
        outcome: Option<&'a str>,
    },
}

/// Patient ids an `incident.opened` body lists at most (the count is
/// always whole; the incident itself holds every id).
pub const MAX_INCIDENT_PATIENT_IDS: usize = 10_000;

impl Outgoing<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Outgoing::MessageCreated { .. } => "message.created",
            Outgoing::MessageUpdated { .. } => "message.updated",
            Outgoing::MessageDeleted { .. } => "message.deleted",
            Outgoing::WhatsappStatus { .. } => "whatsapp.status",
            Outgoing::PatientInbound { .. } => "patient.inbound",
            Outgoing::IncidentOpened { .. } => "incident.opened",
            Outgoing::IncidentUpdated { .. } => "incident.updated",
        }
    }

    /// The conversation the event belongs to (its order line and the
    /// service accounts that may hear of it); `None` for organisation-wide
    /// events.
    fn conversation(&self) -> Option<&ConversationId> {
        let c = match self {
            Outgoing::MessageCreated {
                conversation_id, ..
            }
            | Outgoing::MessageUpdated {
                conversation_id, ..
            }
            | Outgoing::MessageDeleted {
                conversation_id, ..
            }
            | Outgoing::WhatsappStatus {
                conversation_id, ..
            }
            | Outgoing::PatientInbound {
                conversation_id, ..
            } => conversation_id,
            Outgoing::IncidentOpened { .. } | Outgoing::IncidentUpdated { .. } => return None,
        };
        Some(c)
    }

    /// The `data` of the body: ids and states.
    fn data(&self) -> serde_json::Value {
        match self {
            Outgoing::MessageCreated {
                conversation_id,
                message_id,
                seq,
                sender_id,
                channel,
                priority,
            } => json!({
                "conversation_id": conversation_id.as_str(),
                "message_id": message_id.as_str(),
                "seq": seq,
                "sender_id": sender_id.as_str(),
                "channel": channel,
                "priority": priority,
            }),
            Outgoing::MessageUpdated {
                conversation_id,
                message_id,
                seq,
            }
            | Outgoing::MessageDeleted {
                conversation_id,
                message_id,
                seq,
            } => json!({
                "conversation_id": conversation_id.as_str(),
                "message_id": message_id.as_str(),
                "seq": seq,
            }),
            Outgoing::WhatsappStatus {
                conversation_id,
                message_id,
                patient_id,
                state,
                error_code,
            } => {
                let mut data = json!({
                    "conversation_id": conversation_id.as_str(),
                    "message_id": message_id.as_str(),
                    "patient_id": patient_id.as_str(),
                    "state": state,
                });
                if let (Some(code), Some(map)) = (error_code, data.as_object_mut()) {
                    map.insert("error_code".into(), (*code).into());
                }
                data
            }
            Outgoing::PatientInbound {
                conversation_id,
                message_id,
                patient_id,
                seq,
            } => json!({
                "conversation_id": conversation_id.as_str(),
                "message_id": message_id.as_str(),
                "patient_id": patient_id.as_str(),
                "seq": seq,
            }),
            Outgoing::IncidentOpened {
                incident_id,
                discovered_at,
                notify_by,
                patient_ids,
                by_state,
            } => json!({
                "incident_id": incident_id,
                "discovered_at": discovered_at.to_rfc3339(),
                "notify_individuals_by": notify_by.to_rfc3339(),
                "affected_patients": patient_ids.len(),
                "by_state": by_state,
                "patient_ids": patient_ids.iter().take(MAX_INCIDENT_PATIENT_IDS).collect::<Vec<_>>(),
                "patient_ids_complete": patient_ids.len() <= MAX_INCIDENT_PATIENT_IDS,
            }),
            Outgoing::IncidentUpdated {
                incident_id,
                status,
                notified,
                outcome,
            } => json!({
                "incident_id": incident_id,
                "status": status,
                "notified": notified
                    .iter()
                    .map(|(k, t)| (*k, t.to_rfc3339()))
                    .collect::<BTreeMap<_, _>>(),
                "outcome": outcome,
            }),
        }
    }
}

/// A fresh event id (`msg_` + 32 hex digits, time-ordered): the
/// `webhook-id` receivers deduplicate by.
fn event_id() -> String {
    format!("msg_{}", uuid::Uuid::now_v7().simple())
}

/// Adds `event` to the outbox in `tx`, for every endpoint subscribed to
/// it. The body is fixed now (`{type, timestamp, data}`) and sent as is on
/// every attempt.
pub(crate) async fn enqueue(
    tx: &mut Box<dyn WriteTx>,
    event: &Outgoing<'_>,
    at: Timestamp,
) -> Result<()> {
    let body = json!({
        "type": event.kind(),
        "timestamp": at.to_rfc3339(),
        "data": event.data(),
    })
    .to_string();
    let id = event_id();
    tx.enqueue_webhook_event(&WebhookEvent {
        event_id: &id,
        event_type: event.kind(),
        conversation_id: event.conversation(),
        payload: &body,
        at,
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_ids_and_states_only() {
        let (c, m, p) = (
            ConversationId::generate(),
            MessageId::generate(),
            PatientId::generate(),
        );
        let status = Outgoing::WhatsappStatus {
            conversation_id: &c,
            message_id: &m,
            patient_id: &p,
            state: "failed",
            error_code: Some(131_026),
        };
        assert_eq!(status.kind(), "whatsapp.status");
        let data = status.data();
        let keys: Vec<&str> = data
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            vec![
                "conversation_id",
                "error_code",
                "message_id",
                "patient_id",
                "state"
            ]
        );
        assert!(EVENT_TYPES.contains(&status.kind()));
        assert!(event_id().starts_with("msg_") && event_id().len() == 36);
    }
}
