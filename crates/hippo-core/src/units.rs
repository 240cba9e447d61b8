//! Parsing of the human units used in settings: durations such as `15m`,
//! `2s`, `12h`, `30d`, `7y` and sizes such as `100MiB`. The grammar is the
//! libraries' (`humantime`, `bytesize`); hippo adds the error messages, which
//! name the value and the units, and refuses what the libraries would let
//! through unnoticed (months as `M`, sizes past `u64`).

use std::time::Duration;

/// The units a duration may use, for error messages.
const DURATION_UNITS: &str = "ms, s, m, h, d, w, y";

/// Parses `<number><unit>` where unit is one of `ms`, `s`, `m`, `h`, `d`, `w`,
/// `y` (or their spelled-out forms, `15 minutes`). A year is 365.25 days, so
/// `6y` never falls short of six calendar years. Several parts may be joined:
/// `1h30m`.
pub fn parse_duration(input: &str) -> Result<Duration, String> {
    use humantime::DurationError as E;
    let s = input.trim();
    // humantime reads `M` as a month of 30.44 days: one shift-key slip from
    // `m`, minutes. Retention is written in days or years.
    if s.contains('M') {
        return Err(format!(
            "`{input}`: unknown unit `M` (minutes are `m`; months are not a unit, use days: {DURATION_UNITS})"
        ));
    }
    humantime::parse_duration(s).map_err(|e| match e {
        E::Empty => "empty duration".to_owned(),
        E::UnknownUnit { unit, .. } if unit.is_empty() => {
            format!("`{input}`: missing unit ({DURATION_UNITS})")
        }
        E::UnknownUnit { unit, .. } => {
            format!("`{input}`: unknown unit `{unit}` ({DURATION_UNITS})")
        }
        E::NumberOverflow => format!("`{input}`: too large"),
        E::InvalidCharacter(_) | E::NumberExpected(_) => {
            format!("`{input}` is not a duration like 15m, 12h or 7y")
        }
    })
}

/// Parses a byte size: `100MiB`, `2GB`, `512KiB`, `1024` (bytes). Binary
/// units (`KiB`, `MiB`, `GiB`, …) are powers of 1024, decimal ones (`KB`,
/// `MB`, `GB`, …) powers of 1000; case does not matter.
pub fn parse_size(input: &str) -> Result<u64, String> {
    let s = input.trim();
    // bytesize's own messages speak of floats and SI units; say it plainly.
    let size: bytesize::ByteSize = s.parse().map_err(|_| {
        if s.starts_with(|c: char| c.is_ascii_digit()) {
            format!("`{input}`: unknown size unit (B, KB, KiB, MB, MiB, GB, GiB, TB, TiB)")
        } else {
            format!("`{input}` is not a size like 100MiB")
        }
    })?;
    // bytesize saturates instead of failing: u64::MAX bytes means the value
    // did not fit.
    match size.as_u64() {
        u64::MAX => Err(format!("`{input}`: too large")),
        n => Ok(n),
    }
}

/// Formats a duration back into a form [`parse_duration`] reads
/// (`15m`, `1h 30m`, `30days`, `7years`).
pub fn format_duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("12h"), Ok(Duration::from_secs(43_200)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(
            parse_duration("7y"),
            Ok(Duration::from_millis(7 * 31_557_600_000))
        );
        assert_eq!(parse_duration("15 minutes"), Ok(Duration::from_secs(900)));
        assert_eq!(
            parse_duration("15"),
            Err("`15`: missing unit (ms, s, m, h, d, w, y)".into())
        );
        assert_eq!(
            parse_duration("soon"),
            Err("`soon` is not a duration like 15m, 12h or 7y".into())
        );
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("").is_err());
        assert!(
            parse_duration("15x")
                .unwrap_err()
                .contains("unknown unit `x`")
        );
        assert!(parse_duration("99999999999999999999999y").is_err());
        // `M` would be months to humantime; hippo refuses it.
        assert!(
            parse_duration("15M")
                .unwrap_err()
                .contains("minutes are `m`")
        );
    }

    /// Every duration the example configuration, the settings' defaults and
    /// the docs show reads as it always has.
    #[test]
    fn documented_durations_keep_their_values() {
        for (text, secs) in [
            ("2s", 2),
            ("10s", 10),
            ("30s", 30),
            ("5m", 300),
            ("10m", 600),
            ("15m", 900),
            ("101m", 6_060),
            ("1h", 3_600),
            ("12h", 12 * 3_600),
            ("24h", 24 * 3_600),
            ("1h30m", 5_400),
            ("30d", 30 * DAY),
            ("90d", 90 * DAY),
            ("180d", 180 * DAY),
            ("365d", 365 * DAY),
            ("366d", 366 * DAY),
            ("2w", 14 * DAY),
            ("6y", 6 * 31_557_600),
            ("7y", 7 * 31_557_600),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    }

    #[test]
    fn formatted_durations_read_back() {
        assert_eq!(format_duration(Duration::from_secs(900)), "15m");
        for secs in [1, 900, 5_400, 30 * DAY, 7 * 31_557_600] {
            let d = Duration::from_secs(secs);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d), "{d:?}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100MiB"), Ok(100 * 1024 * 1024));
        assert_eq!(parse_size("100MB"), Ok(100 * 1_000_000));
        assert_eq!(parse_size("101MB"), Ok(101_000_000));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("2kB"), Ok(2_000));
        assert_eq!(parse_size("2B"), Ok(2));
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size(" 100MiB "), Ok(100 * 1024 * 1024));
        assert!(
            parse_size("lots")
                .unwrap_err()
                .contains("not a size like 100MiB")
        );
        assert_eq!(
            parse_size("5 parsecs"),
            Err("`5 parsecs`: unknown size unit (B, KB, KiB, MB, MiB, GB, GiB, TB, TiB)".into())
        );
        assert!(parse_size("-1MB").is_err());
        assert_eq!(
            parse_size("99999999999EiB"),
            Err("`99999999999EiB`: too large".into())
        );
    }
}
