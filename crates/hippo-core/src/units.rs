//! Parsing of the human units used in settings: durations such as `15m`,
//! `2s`, `12h`, `30d`, `7y` and sizes such as `100MiB`.

use std::time::Duration;

/// Parses `<number><unit>` where unit is one of `ms`, `s`, `m`, `h`, `d`, `w`,
/// `y`. A year is 365.25 days, so `6y` never falls short of six calendar years.
/// Several parts may be joined: `1h30m`.
pub fn parse_duration(input: &str) -> Result<Duration, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    let mut total: u128 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!("`{input}` is not a duration like 15m, 12h or 7y"));
        }
        let n: u128 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{input}`: number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let ms: u128 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "y" => 31_557_600_000,
            "" => return Err(format!("`{input}`: missing unit (ms, s, m, h, d, w, y)")),
            other => return Err(format!("`{input}`: unknown unit `{other}`")),
        };
        total = n
            .checked_mul(ms)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("`{input}`: too large"))?;
    }
    let ms = u64::try_from(total).map_err(|_| format!("`{input}`: too large"))?;
    Ok(Duration::from_millis(ms))
}

/// Parses a byte size: `100MiB`, `2GB`, `512KiB`, `1024` (bytes).
pub fn parse_size(input: &str) -> Result<u64, String> {
    let s = input.trim();
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(format!("`{input}` is not a size like 100MiB"));
    }
    let n: u64 = s[..digits]
        .parse()
        .map_err(|_| format!("`{input}`: number too large"))?;
    let mult: u64 = match s[digits..].trim() {
        "" | "B" => 1,
        "KB" | "kB" => 1_000,
        "KiB" => 1 << 10,
        "MB" => 1_000_000,
        "MiB" => 1 << 20,
        "GB" => 1_000_000_000,
        "GiB" => 1 << 30,
        other => return Err(format!("`{input}`: unknown size unit `{other}`")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{input}`: too large"))
}

/// Formats a duration back into the settings notation (largest exact unit).
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    for (unit, size) in [
        ("d", 86_400_000u128),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if ms >= size && ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(parse_duration("15").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("15 minutes").is_err());
        assert!(parse_duration("99999999999999999999999y").is_err());
        assert_eq!(format_duration(Duration::from_secs(900)), "15m");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100MiB"), Ok(100 * 1024 * 1024));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert_eq!(parse_size("512"), Ok(512));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5PB").is_err());
    }
}
