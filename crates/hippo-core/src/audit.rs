//! The audit vocabulary: actions, outcomes and the record a use case appends
//! in the same transaction as the change it describes. Records hold ids, never
//! names, bodies, phone numbers or tokens.

use crate::{SessionId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

macro_rules! actions {
    ($($variant:ident => $slug:literal),* $(,)?) => {
        /// Every recorded kind of event. Serialised as its dotted slug.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum AuditAction {
            $(#[serde(rename = $slug)] $variant,)*
        }

        impl AuditAction {
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(AuditAction::$variant => $slug,)* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($slug => Some(AuditAction::$variant),)* _ => None }
            }
        }
    };
}

actions! {
    AuthLogin => "auth.login",
    AuthLogout => "auth.logout",
    AuthMfa => "auth.mfa",
    AuthLockout => "auth.lockout",
    SessionExpired => "session.expired",
    SessionRevoke => "session.revoke",
    UserCreate => "user.create",
    UserRead => "user.read",
    DirectorySearch => "directory.search",
    UserUpdate => "user.update",
    UserDeactivate => "user.deactivate",
    UserReactivate => "user.reactivate",
    UserPasswordReset => "user.password_reset",
    UserMfaReset => "user.mfa_reset",
    UserPasswordChange => "user.password_change",
    ApiKeyCreate => "api_key.create",
    ApiKeyRevoke => "api_key.revoke",
    ApiKeyUse => "api_key.use",
    WebhookCreate => "webhook.create",
    WebhookDelete => "webhook.delete",
    WebhookRead => "webhook.read",
    WebhookRedeliver => "webhook.redeliver",
    ConversationCreate => "conversation.create",
    ConversationRead => "conversation.read",
    ConversationUpdate => "conversation.update",
    ConversationMemberAdd => "conversation.member_add",
    ConversationMemberRemove => "conversation.member_remove",
    MessageSend => "message.send",
    MessageEdit => "message.edit",
    MessageDelete => "message.delete",
    MessageRead => "message.read",
    AttachmentUpload => "attachment.upload",
    AttachmentDownload => "attachment.download",
    BreakGlassOpen => "break_glass.open",
    AuditQuery => "audit.query",
    AuditExport => "audit.export",
    AuditVerify => "audit.verify",
    AuditResolve => "audit.resolve",
    BreakGlassReview => "break_glass.review",
    AlertReview => "alert.review",
    IncidentCreate => "incident.create",
    IncidentRead => "incident.read",
    IncidentUpdate => "incident.update",
    PatientCreate => "patient.create",
    PatientRead => "patient.read",
    PatientExport => "patient.export",
    PatientLookup => "patient.lookup",
    PatientUpdate => "patient.update",
    PatientConsent => "patient.consent",
    WhatsappSend => "whatsapp.send",
    WhatsappStatus => "whatsapp.status",
    WhatsappInbound => "whatsapp.inbound",
    WhatsappWebhook => "whatsapp.webhook",
    WhatsappTemplateSync => "whatsapp.template_sync",
    WhatsappTemplateUpdate => "whatsapp.template_update",
    WhatsappRetry => "whatsapp.retry",
    BackupCreate => "backup.create",
    BackupVerify => "backup.verify",
    BackupRestore => "backup.restore",
    BackupDrill => "backup.drill",
    RetentionPurge => "retention.purge",
    ConversationErase => "conversation.erase",
    LegalHoldSet => "legal_hold.set",
    LegalHoldClear => "legal_hold.clear",
    KeyRotate => "key.rotate",
    CallStart => "call.start",
    CallJoin => "call.join",
    CallDecline => "call.decline",
    CallLeave => "call.leave",
    CallEnd => "call.end",
    SystemInit => "system.init",
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Denied,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failure => "failure",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(Outcome::Success),
            "denied" => Some(Outcome::Denied),
            "failure" => Some(Outcome::Failure),
            _ => None,
        }
    }
}

/// Who did something, from where: the part of an audit record that comes from
/// the request rather than the use case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// SHA-256 (lower-case hex) of the client certificate under mutual
    /// TLS: checked against an API key's binding, never recorded.
    pub client_cert_sha256: Option<String>,
}

/// One audit record to append. The store assigns `seq` and the hash chain.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEvent {
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    pub session_id: Option<SessionId>,
    pub meta: RequestMeta,
    pub action: AuditAction,
    pub resource_type: Option<&'static str>,
    pub resource_id: Option<String>,
    pub patient_id: Option<String>,
    pub outcome: Outcome,
    /// Small structured facts (reasons, counts, changed field names). Never PHI.
    pub detail: serde_json::Value,
}

impl NewAuditEvent {
    /// The conversation the record is about: its resource when that is a
    /// conversation, else the `conversation_id` its detail names (messages,
    /// files). The store names the patient of a patient conversation from
    /// it, so "who looked at her record" includes her messages.
    pub fn conversation_id(&self) -> Option<&str> {
        if self.resource_type == Some("conversation") {
            return self.resource_id.as_deref();
        }
        self.detail.get("conversation_id").and_then(|c| c.as_str())
    }

    pub fn new(at: Timestamp, action: AuditAction, outcome: Outcome) -> Self {
        Self {
            at,
            actor_id: None,
            session_id: None,
            meta: RequestMeta::default(),
            action,
            resource_type: None,
            resource_id: None,
            patient_id: None,
            outcome,
            detail: serde_json::Value::Null,
        }
    }

    pub fn actor(mut self, actor: Option<&UserId>, session: Option<&SessionId>) -> Self {
        self.actor_id = actor.cloned();
        self.session_id = session.cloned();
        self
    }

    pub fn meta(mut self, meta: &RequestMeta) -> Self {
        self.meta = meta.clone();
        self
    }

    pub fn resource(mut self, kind: &'static str, id: impl Into<String>) -> Self {
        self.resource_type = Some(kind);
        self.resource_id = Some(id.into());
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }

    /// Adds one field to the detail, keeping what is there.
    pub fn detail_field(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        if !self.detail.is_object() {
            self.detail = serde_json::Value::Object(serde_json::Map::new());
        }
        if let Some(map) = self.detail.as_object_mut() {
            map.insert(key.to_owned(), value.into());
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(*a));
            let json = serde_json::to_string(a).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", a.as_str()));
        }
    }
}
