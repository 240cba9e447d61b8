//! Opaque identifiers. They are UUIDv7 strings on the wire and in storage;
//! callers must not read meaning into them.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh, time-ordered identifier.
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            /// Accepts only the canonical UUID text form, so that a path
            /// segment of arbitrary bytes never reaches storage.
            pub fn parse(s: &str) -> Option<Self> {
                let u = uuid::Uuid::try_parse(s).ok()?;
                Some(Self(u.hyphenated().to_string()))
            }

            /// Wraps a value read back from storage (already canonical).
            pub fn from_stored(s: String) -> Self {
                Self(s)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// Identifies a user account (person or integration).
    UserId
);
id_type!(
    /// Identifies one login session (or an API key: a key is a session).
    SessionId
);
id_type!(
    /// Identifies an outgoing webhook endpoint.
    WebhookId
);
id_type!(
    /// Identifies a wrapped data-encryption key.
    DataKeyId
);
id_type!(
    /// Identifies a conversation (direct, group, or a patient's).
    ConversationId
);
id_type!(
    /// Identifies one message.
    MessageId
);
id_type!(
    /// Identifies one uploaded file.
    AttachmentId
);
id_type!(
    /// Identifies a patient (someone the care team messages over WhatsApp).
    PatientId
);
id_type!(
    /// Identifies a voice or video call.
    CallId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_only_uuids() {
        let id = UserId::generate();
        assert_eq!(UserId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(UserId::parse(&id.as_str().to_uppercase()), Some(id));
        assert_eq!(UserId::parse("alice"), None);
        assert_eq!(UserId::parse("../etc/passwd"), None);
    }
}
