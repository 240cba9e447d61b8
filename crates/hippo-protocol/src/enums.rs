//! The closed sets of values the API and the stream send and accept, as
//! OpenAPI/JSON Schema string enums. Each schema lists the values of the domain type it describes, so
//! a value added to `hippo-core` fails the build here until
//! the document lists it too (sets spelt by the service are declared in
//! `hippo-http` with the same macros). Wire types keep their `String` fields and
//! point at these with `#[schema(value_type = …)]`: what is parsed, and how
//! a bad value is refused, stays with the service.

use std::borrow::Cow;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// A string schema allowing exactly `values`.
pub fn string_enum(values: &[&'static str], description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .description(Some(description))
        .into()
}

/// Declares a schema named `$name` whose values are the listed variants of
/// `$domain`, spelt by `$domain::as_str`. The `match` makes the list
/// exhaustive: a new variant does not compile until it is listed.
#[macro_export]
macro_rules! closed_set {
    ($(#[doc = $doc:literal])+ $name:ident = $domain:ty { $($variant:ident),+ $(,)? }) => {
        $(#[doc = $doc])+
        pub struct $name;

        impl $name {
            /// Every value, in declaration order.
            pub fn values() -> Vec<&'static str> {
                fn listed(v: $domain) -> &'static str {
                    match v {
                        $(<$domain>::$variant => v.as_str(),)+
                    }
                }
                vec![$(listed(<$domain>::$variant)),+]
            }
        }

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                $crate::enums::string_enum(&Self::values(), concat!($($doc, "\n"),+).trim())
            }
        }

        impl ::utoipa::ToSchema for $name {
            fn name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}

/// Declares a schema named `$name` for a closed set that no domain enum in
/// reach spells (query switches, store states behind the service).
#[macro_export]
macro_rules! literal_set {
    ($(#[doc = $doc:literal])+ $name:ident { $($value:literal),+ $(,)? }) => {
        $(#[doc = $doc])+
        pub struct $name;

        impl $name {
            /// Every value, in declaration order.
            pub fn values() -> Vec<&'static str> {
                vec![$($value),+]
            }
        }

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                $crate::enums::string_enum(&Self::values(), concat!($($doc, "\n"),+).trim())
            }
        }

        impl ::utoipa::ToSchema for $name {
            fn name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}

closed_set! {
    /// What an account is for: `admin` (accounts, settings; never message
    /// content), `clinician` and `staff` (messaging), `auditor` (audit trail;
    /// never content), `service` (an integration; messaging and patients).
    Role = hippo_core::Role { Admin, Clinician, Staff, Auditor, Service }
}

closed_set! {
    /// Whether the account may sign in.
    UserStatus = hippo_core::UserStatus { Active, Deactivated }
}

closed_set! {
    /// `direct` (two members), `group`, or `patient` (everything sent to and
    /// received from one patient; created with the patient).
    ConversationKind = hippo_core::ConversationKind { Direct, Group, Patient }
}

literal_set! {
    /// The kinds a client may create; `patient` conversations come with
    /// `POST /api/v1/patients`.
    NewConversationKind { "direct", "group" }
}

closed_set! {
    /// How the message is flagged to its readers.
    Priority = hippo_core::Priority { Normal, Urgent }
}

closed_set! {
    /// Where the message travels: inside hippo, or to and from a patient on
    /// WhatsApp.
    Channel = hippo_core::Channel { Hippo, Whatsapp }
}

closed_set! {
    /// Where delivery of a WhatsApp message stands: `queued` < `sent` <
    /// `delivered` < `read` (forward only), `failed` (final), `received`
    /// (a message from the patient).
    ChannelState = hippo_core::ChannelState { Queued, Sent, Delivered, Read, Failed, Received }
}

closed_set! {
    /// How the recorded attempt ended.
    Outcome = hippo_core::Outcome { Success, Denied, Failure }
}

literal_set! {
    /// How urgent the alert is (syslog warning and critical).
    AlertSeverity { "warning", "critical" }
}

literal_set! {
    /// Which break-glass grants to list: those awaiting review, or all.
    GrantFilter { "pending", "all" }
}

literal_set! {
    /// Where an outbox job stands: waiting for its next attempt, handed to
    /// the Cloud API, accepted (never sent again), or failed for good.
    OutboxState { "pending", "sending", "done", "dead" }
}

/// The audit action names (`message.send`, …), as recorded.
pub struct AuditAction;

impl utoipa::PartialSchema for AuditAction {
    fn schema() -> RefOr<Schema> {
        let names: Vec<&'static str> = hippo_core::AuditAction::ALL
            .iter()
            .map(|a| a.as_str())
            .collect();
        string_enum(&names, "What was done, as recorded in the audit trail.")
    }
}

impl utoipa::ToSchema for AuditAction {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("AuditAction")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema;

    fn listed<T: PartialSchema>() -> Vec<String> {
        let json = serde_json::to_value(T::schema()).unwrap();
        json["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn schemas_list_every_domain_value() {
        assert_eq!(
            listed::<Role>(),
            hippo_core::Role::ALL.map(|r| r.as_str()).to_vec()
        );
        assert_eq!(listed::<ChannelState>().len(), 6);
        assert_eq!(
            listed::<AuditAction>().len(),
            hippo_core::AuditAction::ALL.len()
        );
        let json = serde_json::to_value(Outcome::schema()).unwrap();
        assert_eq!(json["type"], "string");
        assert_eq!(
            json["enum"],
            serde_json::json!(["success", "denied", "failure"])
        );
    }

    #[test]
    fn literal_sets_are_what_the_domain_parses() {
        for v in NewConversationKind::values() {
            assert!(hippo_core::ConversationKind::parse(v).is_some(), "{v}");
        }
    }
}

closed_set! {
    /// What a call carries.
    CallMedia = hippo_core::CallMedia { Audio, Video }
}

closed_set! {
    /// `ringing` until a second participant joins, `active`, then `ended`.
    CallState = hippo_core::CallState { Ringing, Active, Ended }
}

closed_set! {
    /// `p2p`: straight between two parties (through TURN when needed);
    /// `sfu`: through hippo's media server.
    CallTopology = hippo_core::CallTopology { P2p, Sfu }
}

closed_set! {
    /// Where one invited user is in a call.
    ParticipantState = hippo_core::ParticipantState { Ringing, Joined, Declined, Left }
}

closed_set! {
    /// Why a call ended: a hang-up, the callee declined, nobody answered
    /// within 45 s, or a participant was deactivated.
    CallEndReason = hippo_core::CallEndReason { Hangup, Declined, Missed, Deactivated }
}

literal_set! {
    /// An offer or an answer.
    SdpType { "offer", "answer" }
}
