//! The activity review (HIPAA §164.308(a)(1)(ii)(D), information system
//! activity review; §164.308(a)(5)(ii)(C), log-in monitoring): `serve`
//! reads the trail in fixed windows (an hour by default) and raises an
//! alert for each account that, within one window, read many records
//! (bulk reads), touched many different patients, was denied many times,
//! or opened break-glass repeatedly. Thresholds are settings
//! ([`ActivityThresholds`]); 0 turns a pattern off.
//!
//! Each alert names the account by id and links to its records: the
//! window (`since`, `until`) and the first and last `seq` of the account in
//! it, which is the audit query that shows them. The windows reviewed are
//! remembered in the database, so a restart, or another node taking over,
//! neither skips one nor reviews it twice. Windows are tumbling: a burst
//! split across two windows counts in each separately.

use super::*;
use crate::alerts::AlertKind;
use std::time::Duration;

/// Where the review stands: the end (Unix ms) of the last window reviewed.
const META_THROUGH: &str = "activity_review_through";
/// How far back the first review starts.
const FIRST_LOOKBACK: Duration = Duration::from_secs(24 * 3600);
/// Windows reviewed per round at most (a long outage catches up over
/// several rounds).
const MAX_WINDOWS_PER_ROUND: usize = 48;
/// A window is reviewed once it ended this long ago (and nothing older
/// waits for the sequencer).
const SETTLE: Duration = Duration::from_secs(60);

/// When a window's activity is an alert. 0 turns a pattern off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityThresholds {
    /// The window's length; zero turns the review off.
    pub window: Duration,
    /// Reads of messages, files, conversations and patients.
    pub bulk_reads: u32,
    /// Distinct patients.
    pub many_patients: u32,
    /// Denied attempts.
    pub denied: u32,
    /// Break-glass openings.
    pub break_glass: u32,
}

impl Default for ActivityThresholds {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(3600),
            bulk_reads: 500,
            many_patients: 50,
            denied: 20,
            break_glass: 3,
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActivityRound {
    pub windows: usize,
    pub alerts: usize,
}

/// The patterns a window's activity matches: `(kind, count, threshold)`.
fn patterns(t: &ActivityThresholds, a: &hippo_store::WindowActivity) -> Vec<(AlertKind, i64, u32)> {
    [
        (AlertKind::BulkRead, a.reads, t.bulk_reads),
        (AlertKind::ManyPatients, a.patients, t.many_patients),
        (AlertKind::RepeatedDenials, a.denied, t.denied),
        (AlertKind::BreakGlassRepeated, a.break_glass, t.break_glass),
    ]
    .into_iter()
    .filter(|(_, count, threshold)| *threshold > 0 && *count >= i64::from(*threshold))
    .collect()
}

impl Audit {
    /// Reviews every complete window since the last round (the server's
    /// job, once per cluster); raises an alert per pattern found.
    pub async fn review_activity(&self) -> Result<ActivityRound> {
        let t = self.core.config.activity;
        let window = i64::try_from(t.window.as_millis()).unwrap_or(i64::MAX);
        if window == 0 {
            return Ok(ActivityRound::default());
        }
        let store = &self.core.store;
        self.sequence_now().await?;
        let now = self.core.clock.now();
        let mut horizon = now.minus(SETTLE).as_millis();
        if let Some(oldest) = store.pending_audit().await?.oldest {
            horizon = horizon.min(oldest.as_millis());
        }
        let mut from = match store.get_meta(META_THROUGH).await? {
            Some(v) => v
                .parse::<i64>()
                .map_err(|_| ServiceError::Internal(format!("{META_THROUGH} is not a time")))?,
            None => now.minus(FIRST_LOOKBACK).as_millis().div_euclid(window) * window,
        };
        let mut round = ActivityRound::default();
        while round.windows < MAX_WINDOWS_PER_ROUND && from + window <= horizon {
            let (since, until) = (
                Timestamp::from_millis(from),
                Timestamp::from_millis(from + window),
            );
            for a in store.window_activity(since, until).await? {
                for (kind, count, threshold) in patterns(&t, &a) {
                    self.core
                        .raise_alert(
                            kind,
                            serde_json::json!({
                                "actor_id": a.actor_id.as_str(),
                                "count": count,
                                "threshold": threshold,
                                "since": since.to_rfc3339(),
                                "until": until.to_rfc3339(),
                                "first_seq": a.first_seq,
                                "last_seq": a.last_seq,
                            }),
                        )
                        .await;
                    round.alerts += 1;
                }
            }
            let mut tx = store.begin_write().await?;
            tx.put_meta(META_THROUGH, &until.as_millis().to_string())
                .await?;
            tx.commit().await?;
            from += window;
            round.windows += 1;
        }
        Ok(round)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hippo_core::UserId;

    #[test]
    fn a_pattern_needs_its_threshold_and_zero_turns_it_off() {
        let a = hippo_store::WindowActivity {
            actor_id: UserId::generate(),
            reads: 500,
            patients: 49,
            denied: 20,
            break_glass: 5,
            first_seq: 1,
            last_seq: 9,
        };
        let t = ActivityThresholds {
            break_glass: 0,
            ..ActivityThresholds::default()
        };
        let kinds: Vec<_> = patterns(&t, &a).into_iter().map(|(k, ..)| k).collect();
        assert_eq!(kinds, [AlertKind::BulkRead, AlertKind::RepeatedDenials]);
    }
}
