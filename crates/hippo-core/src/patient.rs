//! Patients and the WhatsApp channel as the rest of the system sees them:
//! validated phone numbers and record numbers, consent, the PHI policy, and
//! the delivery state of a message sent over WhatsApp.

use crate::{ConversationId, PatientId, Timestamp, UserId};

/// A phone number in E.164 form: `+`, then 8 to 15 digits, the first not 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts E.164 written with spaces, dashes, dots or parentheses
    /// between digits (`+1 (650) 555-1234`); answers the canonical
    /// `+16505551234`.
    pub fn parse(input: &str) -> Result<Self, String> {
        const MSG: &str = "phone must be an E.164 number such as +16505551234";
        let trimmed = input.trim();
        let Some(rest) = trimmed.strip_prefix('+') else {
            return Err(MSG.into());
        };
        let mut digits = String::with_capacity(16);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(MSG.into()),
            }
        }
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(MSG.into());
        }
        Ok(Self(format!("+{digits}")))
    }

    /// What WhatsApp sends and expects: the digits without `+`.
    pub fn from_wa_id(wa_id: &str) -> Result<Self, String> {
        Self::parse(&format!("+{wa_id}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without `+`.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

/// A medical record number: 1 to 64 printable characters.
pub fn parse_mrn(input: &str) -> Result<String, String> {
    let t = input.trim();
    if t.is_empty() || t.len() > 64 || t.chars().any(char::is_control) {
        return Err("mrn must be 1 to 64 printable characters".into());
    }
    Ok(t.to_owned())
}

/// The US states and jurisdictions by postal code: where a patient lives
/// decides which state's media hear of a breach of more than 500 of its
/// residents (45 CFR 164.406).
pub const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
    "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
    "WI", "WY", "DC", "PR", "GU", "VI", "AS", "MP",
];

/// A state of residence: a US postal code (`ca` is read as `CA`).
pub fn parse_residence_state(input: &str) -> Result<String, String> {
    let code = input.trim().to_ascii_uppercase();
    if US_STATES.contains(&code.as_str()) {
        Ok(code)
    } else {
        Err("residence_state must be a US state or jurisdiction postal code such as CA".into())
    }
}

/// What may travel over WhatsApp (setting `HIPPO_WHATSAPP_PHI_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PhiMode {
    /// Only approved templates marked PHI-free; free text is refused.
    #[default]
    NotifyOnly,
    /// Free text too, for patients who asked for WhatsApp after the risk
    /// warning.
    PatientRequested,
}

impl PhiMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "notify_only" => Some(Self::NotifyOnly),
            "patient_requested" => Some(Self::PatientRequested),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotifyOnly => "notify_only",
            Self::PatientRequested => "patient_requested",
        }
    }
}

/// The channel a message travelled on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Channel {
    #[default]
    Hippo,
    Whatsapp,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hippo => "hippo",
            Self::Whatsapp => "whatsapp",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "hippo" => Some(Self::Hippo),
            "whatsapp" => Some(Self::Whatsapp),
            _ => None,
        }
    }
}

/// Where an outbound WhatsApp message stands. States only move forward
/// (`queued < sent < delivered < read`); `failed` is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelState {
    Queued,
    Sent,
    Delivered,
    Read,
    Failed,
    /// An inbound message from the patient (it arrived; nothing to track).
    Received,
}

impl ChannelState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
            Self::Received => "received",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(Self::Queued),
            "sent" => Some(Self::Sent),
            "delivered" => Some(Self::Delivered),
            "read" => Some(Self::Read),
            "failed" => Some(Self::Failed),
            "received" => Some(Self::Received),
            _ => None,
        }
    }

    fn rank(self) -> u8 {
        match self {
            Self::Queued => 0,
            Self::Sent => 1,
            Self::Delivered => 2,
            Self::Read => 3,
            Self::Failed | Self::Received => u8::MAX,
        }
    }

    /// Whether a report of `next` moves a message that is at `self`:
    /// forward only, nothing after `failed` (or for inbound messages), and a
    /// late `failed` never overrides `delivered` or `read`.
    pub fn advances_to(self, next: ChannelState) -> bool {
        match (self, next) {
            (Self::Failed | Self::Received, _) | (_, Self::Received | Self::Queued) => false,
            (Self::Queued | Self::Sent, Self::Failed) => true,
            (_, Self::Failed) => false,
            (from, to) => to.rank() > from.rank(),
        }
    }
}

/// The delivery state of a WhatsApp message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelStatus {
    pub state: ChannelState,
    pub updated_at: Timestamp,
    pub error_code: Option<i64>,
    pub error_title: Option<String>,
}

/// A patient, decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patient {
    pub id: PatientId,
    pub display_name: String,
    pub phone: PhoneNumber,
    pub mrn: Option<String>,
    pub whatsapp_opt_in: bool,
    pub opt_in_at: Option<Timestamp>,
    pub opt_in_source: Option<String>,
    pub opt_in_by: Option<UserId>,
    pub opted_out_at: Option<Timestamp>,
    /// The risk-warning version the patient saw when asking for WhatsApp.
    pub phi_request_warning_version: Option<String>,
    pub phi_request_at: Option<Timestamp>,
    pub last_inbound_at: Option<Timestamp>,
    /// State of residence (a US postal code), where known.
    pub residence_state: Option<String>,
    /// Flagged as a VIP or a workforce member: reads from outside the
    /// care team raise an alert.
    pub vip: bool,
    pub workforce_member: bool,
    pub conversation_id: ConversationId,
    pub member_ids: Vec<UserId>,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residence_states_are_postal_codes() {
        assert_eq!(parse_residence_state(" ca ").unwrap(), "CA");
        assert_eq!(parse_residence_state("PR").unwrap(), "PR");
        assert!(parse_residence_state("California").is_err());
        assert!(parse_residence_state("ZZ").is_err());
        assert!(parse_residence_state("").is_err());
        assert_eq!(US_STATES.len(), 56);
    }

    #[test]
    fn phone_numbers() {
        let p = PhoneNumber::parse("+1 (650) 555-1234").unwrap();
        assert_eq!(p.as_str(), "+16505551234");
        assert_eq!(p.digits(), "16505551234");
        assert_eq!(PhoneNumber::from_wa_id("16505551234").unwrap(), p);
        for bad in [
            "16505551234",
            "+0650555123",
            "+1234567",
            "+1234567890123456",
            "+1650555123a",
            "+",
            "",
            "++16505551234",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn states_only_move_forward() {
        use ChannelState::*;
        assert!(Queued.advances_to(Sent));
        assert!(Sent.advances_to(Read));
        assert!(Queued.advances_to(Read));
        assert!(!Read.advances_to(Delivered));
        assert!(!Delivered.advances_to(Sent));
        assert!(!Delivered.advances_to(Delivered));
        assert!(Sent.advances_to(Failed));
        assert!(!Failed.advances_to(Read));
        assert!(!Read.advances_to(Failed));
        assert!(!Received.advances_to(Read));
        for s in [Queued, Sent, Delivered, Read, Failed, Received] {
            assert_eq!(ChannelState::parse(s.as_str()), Some(s));
        }
    }
}
