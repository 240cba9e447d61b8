//! The activity review (HIPAA §164.308(a)(1)(ii)(D), information system
//! activity review; §164.308(a)(5)(ii)(C), log-in monitoring): `serve`
//! reads the trail in fixed windows (an hour by default) and raises an
//! alert for each account that, within one window, read many records
//! (bulk reads), touched many different patients, was denied many times,
//! or opened break-glass repeatedly; for each account that read records
//! at hours it does not usually work (learned from its last 28 days); and
//! for each read of a patient flagged as a VIP or a workforce member by
//! someone outside her care team (break-glass included). Thresholds are
//! settings ([`ActivityThresholds`]); 0 turns a pattern off.
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
    /// Reads at hours outside the account's usual ones.
    pub after_hours: u32,
    /// Reads of one flagged patient from outside her care team.
    pub flagged_patients: u32,
}

impl Default for ActivityThresholds {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(3600),
            bulk_reads: 500,
            many_patients: 50,
            denied: 20,
            break_glass: 3,
            after_hours: 5,
            flagged_patients: 1,
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActivityRound {
    pub windows: usize,
    pub alerts: usize,
}

/// How far back an account's usual hours are learned.
pub const LEARN_HOURS_OVER: Duration = Duration::from_secs(28 * 86_400);
/// An hour is usual once the account worked in it on this many days.
const USUAL_DAYS: i64 = 2;
/// Below this many days in its busiest hour an account has no baseline
/// yet (a new account raises no after-hours alert).
const MIN_HISTORY_DAYS: i64 = 5;

/// The UTC hours an account usually works, from its activity profile
/// (`(hour, days active in it)`): each hour it worked on [`USUAL_DAYS`]
/// days, widened by an hour either side (shifts start early and run
/// late). `None` while it has too little history.
pub fn usual_hours(profile: &[(i64, i64)]) -> Option<[bool; 24]> {
    if profile.iter().map(|(_, days)| *days).max().unwrap_or(0) < MIN_HISTORY_DAYS {
        return None;
    }
    let mut usual = [false; 24];
    for (hour, days) in profile {
        if *days >= USUAL_DAYS
            && let Ok(h) = usize::try_from(hour.rem_euclid(24))
        {
            for near in [h + 23, h, h + 1] {
                usual[near % 24] = true;
            }
        }
    }
    Some(usual)
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
            round.alerts += self.review_after_hours(&t, since, until).await?;
            round.alerts += self.review_flagged_patients(&t, since, until).await?;
            let mut tx = store.begin_write().await?;
            tx.put_meta(META_THROUGH, &until.as_millis().to_string())
                .await?;
            tx.commit().await?;
            from += window;
            round.windows += 1;
        }
        Ok(round)
    }

    /// Alerts (`after_hours`) for accounts that read at least the threshold
    /// of records in the window at hours outside their usual ones.
    async fn review_after_hours(
        &self,
        t: &ActivityThresholds,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<usize> {
        if t.after_hours == 0 {
            return Ok(0);
        }
        let store = &self.core.store;
        let mut per_actor: BTreeMap<String, Vec<hippo_store::HourReads>> = BTreeMap::new();
        for h in store.reads_by_hour(since, until).await? {
            per_actor.entry(h.actor_id.to_string()).or_default().push(h);
        }
        let mut alerts = 0;
        for hours in per_actor.values() {
            let Some(first) = hours.first() else { continue };
            let profile = store
                .active_hours(&first.actor_id, since.minus(LEARN_HOURS_OVER), since)
                .await?;
            let Some(usual) = usual_hours(&profile) else {
                continue;
            };
            let off: Vec<&hippo_store::HourReads> = hours
                .iter()
                .filter(|h| {
                    usize::try_from(h.hour)
                        .ok()
                        .and_then(|i| usual.get(i))
                        .is_some_and(|u| !u)
                })
                .collect();
            let count: i64 = off.iter().map(|h| h.count).sum();
            if off.is_empty() || count < i64::from(t.after_hours) {
                continue;
            }
            self.core
                .raise_alert(
                    AlertKind::AfterHours,
                    serde_json::json!({
                        "actor_id": first.actor_id.as_str(),
                        "count": count,
                        "threshold": t.after_hours,
                        "hours_utc": off.iter().map(|h| h.hour).collect::<Vec<_>>(),
                        "since": since.to_rfc3339(),
                        "until": until.to_rfc3339(),
                        "first_seq": off.iter().map(|h| h.first_seq).min(),
                        "last_seq": off.iter().map(|h| h.last_seq).max(),
                    }),
                )
                .await;
            alerts += 1;
        }
        Ok(alerts)
    }

    /// Alerts (`flagged_patient_access`) for each account that read a
    /// VIP's or a workforce member's records from outside her care team.
    async fn review_flagged_patients(
        &self,
        t: &ActivityThresholds,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<usize> {
        if t.flagged_patients == 0 {
            return Ok(0);
        }
        let mut alerts = 0;
        for f in self.core.store.flagged_patient_reads(since, until).await? {
            if f.count < i64::from(t.flagged_patients) {
                continue;
            }
            self.core
                .raise_alert(
                    AlertKind::FlaggedPatientAccess,
                    serde_json::json!({
                        "actor_id": f.actor_id.as_str(),
                        "patient_id": f.patient_id,
                        "count": f.count,
                        "threshold": t.flagged_patients,
                        "since": since.to_rfc3339(),
                        "until": until.to_rfc3339(),
                        "first_seq": f.first_seq,
                        "last_seq": f.last_seq,
                    }),
                )
                .await;
            alerts += 1;
        }
        Ok(alerts)
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

    #[test]
    fn usual_hours_are_learned_from_days_worked_and_widened_by_an_hour() {
        // A day worker: 8 to 16 UTC most days, once at 22.
        let mut profile: Vec<(i64, i64)> = (8..=16).map(|h| (h, 20)).collect();
        profile.push((22, 1));
        let usual = usual_hours(&profile).unwrap();
        let on: Vec<usize> = (0..24).filter(|h| usual[*h]).collect();
        assert_eq!(on, (7..=17).collect::<Vec<_>>(), "once at 22 is not usual");
        // A night worker wraps around midnight.
        let night = usual_hours(&[(23, 9), (0, 9), (1, 9)]).unwrap();
        assert!(night[22] && night[23] && night[0] && night[1] && night[2]);
        assert!(!night[12]);
        // Too little history: no baseline, no after-hours alert.
        assert_eq!(usual_hours(&[(9, 4), (10, 3)]), None);
        assert_eq!(usual_hours(&[]), None);
    }
}
