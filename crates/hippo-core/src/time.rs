//! Time as an input. Everything that needs "now" takes a [`Clock`], so tests
//! drive session expiry and lockout with a [`FakeClock`] instead of sleeping.

use serde::{Serialize, Serializer};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// A point in time: milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    pub fn plus(self, d: Duration) -> Self {
        Self(
            self.0
                .saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        )
    }

    pub fn minus(self, d: Duration) -> Self {
        Self(
            self.0
                .saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        )
    }

    /// Time elapsed from `earlier` to `self` (zero if `earlier` is later).
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }

    /// RFC 3339 in UTC with millisecond precision, e.g. `2026-11-24T10:00:00.000Z`.
    pub fn to_rfc3339(self) -> String {
        let nanos = i128::from(self.0) * 1_000_000;
        match time::OffsetDateTime::from_unix_timestamp_nanos(nanos) {
            Ok(t) => {
                let fmt = time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
                );
                t.format(&fmt).unwrap_or_default()
            }
            Err(_) => String::new(),
        }
    }

    /// The first instant of the calendar year after this one's, in the
    /// local time `offset_minutes` east of UTC (for deadlines counted from
    /// a year's end, which is local).
    pub fn next_year_start(self, offset_minutes: i64) -> Self {
        let local_ms = self.0.saturating_add(offset_minutes.saturating_mul(60_000));
        let year = time::OffsetDateTime::from_unix_timestamp(local_ms.div_euclid(1000))
            .map_or(1970, |t| t.year());
        time::Date::from_calendar_date(year + 1, time::Month::January, 1)
            .map(|d| {
                Self(
                    (d.midnight().assume_utc().unix_timestamp() * 1000)
                        .saturating_sub(offset_minutes.saturating_mul(60_000)),
                )
            })
            .unwrap_or(Self(i64::MAX))
    }

    /// Parses an RFC 3339 timestamp and keeps the UTC offset it was
    /// written in (minutes east of UTC; `Z` is 0).
    pub fn parse_rfc3339_with_offset(s: &str) -> Option<(Self, i64)> {
        let t =
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
        let at = i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()?;
        Some((Self(at), i64::from(t.offset().whole_minutes())))
    }

    /// Parses an RFC 3339 timestamp (any offset).
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let t =
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
            .ok()
            .map(Self)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

/// The source of "now".
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place that reads the wall clock"
    )]
    fn now(&self) -> Timestamp {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// A clock that moves only when told to. Cloning shares the same time.
#[derive(Debug, Clone)]
pub struct FakeClock(Arc<AtomicI64>);

impl FakeClock {
    pub fn new(start: Timestamp) -> Self {
        Self(Arc::new(AtomicI64::new(start.0)))
    }

    pub fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn set(&self, t: Timestamp) {
        self.0.store(t.0, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let t = Timestamp::from_millis(1_764_000_000_123);
        let s = t.to_rfc3339();
        assert_eq!(s, "2025-11-24T16:00:00.123Z");
        assert_eq!(Timestamp::parse_rfc3339(&s), Some(t));
        assert_eq!(Timestamp::parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn next_year_starts_on_the_first_of_january_in_local_time() {
        let at = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
        assert_eq!(
            at("2026-03-04T10:00:00Z").next_year_start(0),
            at("2027-01-01T00:00:00Z")
        );
        assert_eq!(
            at("2026-12-31T23:59:59.999Z").next_year_start(0),
            at("2027-01-01T00:00:00Z")
        );
        assert_eq!(
            at("2027-01-01T00:00:00Z").next_year_start(0),
            at("2028-01-01T00:00:00Z")
        );
        // 31 December, 20:00 in New York is 1 January in UTC: still 2026
        // there, whose year ends at midnight New York time.
        let (nye, offset) =
            Timestamp::parse_rfc3339_with_offset("2026-12-31T20:00:00-05:00").unwrap();
        assert_eq!(offset, -300);
        assert_eq!(nye, at("2027-01-01T01:00:00Z"));
        assert_eq!(nye.next_year_start(offset), at("2027-01-01T05:00:00Z"));
        // And 1 January, 08:00 in Tokyo is still 31 December in UTC.
        let (tokyo, offset) =
            Timestamp::parse_rfc3339_with_offset("2027-01-01T08:00:00+09:00").unwrap();
        assert_eq!(tokyo.next_year_start(offset), at("2027-12-31T15:00:00Z"));
    }

    #[test]
    fn fake_clock_moves_only_when_told() {
        let c = FakeClock::new(Timestamp::from_millis(0));
        assert_eq!(c.now().as_millis(), 0);
        c.advance(Duration::from_secs(60));
        assert_eq!(c.now().as_millis(), 60_000);
    }
}
