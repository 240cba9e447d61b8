//! Incidents: a suspected or known breach as the privacy officer records
//! it (45 CFR 164.404-410). A row holds ids, counts and times; its summary
//! and closing note are sealed with the directory key. Changes are
//! compare-and-swap on `version`, so two auditors recording a notification
//! at once cannot lose one.

use crate::Result;
use async_trait::async_trait;
use hippo_core::{Timestamp, UserId};

/// An incident as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentRow {
    pub id: String,
    pub summary_enc: Vec<u8>,
    /// The first day the breach was known (or knowable) to anyone in the
    /// organisation: the 60-day clock runs from here.
    pub discovered_at: Timestamp,
    /// The UTC offset (minutes) `discovered_at` was given in: the calendar
    /// year of discovery is the organisation's local one.
    pub discovered_offset_minutes: i64,
    pub created_at: Timestamp,
    pub created_by: UserId,
    /// JSON: the breach scope as asked (`actor_id`, `session_id`, `ip`,
    /// `since`, `until`).
    pub scope: String,
    /// JSON list of the affected patients' ids.
    pub affected: String,
    /// JSON object: affected patients per state of residence (`unknown`
    /// for those without one).
    pub by_state: String,
    pub individuals_notified_at: Option<Timestamp>,
    pub hhs_notified_at: Option<Timestamp>,
    pub media_notified_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub closed_by: Option<UserId>,
    /// `notified` or `low_probability` once closed.
    pub outcome: Option<String>,
    pub close_note_enc: Option<Vec<u8>>,
    /// Raised by one on every change.
    pub version: i64,
}

/// Reads of incidents (part of every [`crate::Store`]).
#[async_trait]
pub trait IncidentStore {
    async fn get_incident(&self, id: &str) -> Result<Option<IncidentRow>>;

    /// Every incident, newest discovery first (an organisation records few).
    async fn list_incidents(&self) -> Result<Vec<IncidentRow>>;
}

/// Writes of incidents (part of every [`crate::WriteTx`]).
#[async_trait]
pub trait IncidentWriteTx {
    async fn insert_incident(&mut self, incident: &IncidentRow) -> Result<()>;

    /// Stores `incident` (whose `version` is the new one) if the stored row
    /// still has `incident.version - 1`; false if another change came first.
    async fn update_incident(&mut self, incident: &IncidentRow) -> Result<bool>;
}
