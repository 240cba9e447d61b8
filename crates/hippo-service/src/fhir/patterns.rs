//! The regular expressions of FHIR R4's JSON schema, as matchers: the
//! schema names a pattern, [`matches`] answers for it. Each matcher is the
//! expression written out (no regex engine in the server for a dozen fixed
//! patterns); the integration tests feed the same strings to the
//! `jsonschema` crate's regex engine and require the same verdicts. A
//! pattern this module does not know answers `None`, which the validator
//! treats as a violation (fail closed).

/// `string`, `markdown`: not empty, no whitespace but space, CR, LF, tab.
pub const STRING: &str = r"^[ \r\n\t\S]+$";
/// `uri`, `url`, `canonical`: no whitespace.
pub const URI: &str = r"^\S*$";
/// `code`: tokens separated by single whitespace characters.
pub const CODE: &str = r"^[^\s]+(\s[^\s]+)*$";
/// `id`.
pub const ID: &str = r"^[A-Za-z0-9\-\.]{1,64}$";
/// `dateTime`: a year, then optionally month, day, and a time with zone.
pub const DATE_TIME: &str = r"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$";
/// `instant`: a full date and time with zone.
pub const INSTANT: &str = r"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$";
/// `date`.
pub const DATE: &str = r"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?$";
/// `time`.
pub const TIME: &str = r"^([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?$";
/// `base64Binary` (in Extension's `valueBase64Binary`).
pub const BASE64: &str = r"^(\s*([0-9a-zA-Z\+/=]){4}\s*)+$";
/// `oid`.
pub const OID: &str = r"^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$";
/// `uuid`.
pub const UUID: &str = r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/// Every pattern [`matches`] knows.
pub const KNOWN: &[&str] = &[
    STRING, URI, CODE, ID, DATE_TIME, INSTANT, DATE, TIME, BASE64, OID, UUID,
];

/// Whether `s` matches `pattern`; `None` for a pattern not in [`KNOWN`].
pub fn matches(pattern: &str, s: &str) -> Option<bool> {
    let b = s.as_bytes();
    Some(match pattern {
        STRING => {
            !s.is_empty()
                && s.chars()
                    .all(|c| matches!(c, ' ' | '\r' | '\n' | '\t') || !c.is_whitespace())
        }
        URI => !s.chars().any(char::is_whitespace),
        CODE => code(s),
        ID => {
            (1..=64).contains(&b.len())
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.')
        }
        DATE_TIME => Cursor(b).date_time(Precision::Any),
        INSTANT => Cursor(b).date_time(Precision::Instant),
        DATE => Cursor(b).date_time(Precision::Date),
        TIME => {
            let mut c = Cursor(b);
            c.time() && c.done()
        }
        BASE64 => base64(s),
        OID => s.strip_prefix("urn:oid:").is_some_and(oid),
        UUID => s.strip_prefix("urn:uuid:").is_some_and(uuid),
        _ => return None,
    })
}

fn code(s: &str) -> bool {
    // Starts and ends with a non-space; never two spaces in a row.
    let mut after_space = true;
    for c in s.chars() {
        let space = c.is_whitespace();
        if space && after_space {
            return false;
        }
        after_space = space;
    }
    !s.is_empty() && !after_space
}

fn base64(s: &str) -> bool {
    // Groups of four alphabet characters, whitespace only between groups.
    let mut groups = 0;
    let mut run = 0;
    for c in s.chars() {
        if c.is_whitespace() {
            if run != 0 {
                return false;
            }
        } else if c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=') {
            run += 1;
            if run == 4 {
                run = 0;
                groups += 1;
            }
        } else {
            return false;
        }
    }
    groups > 0 && run == 0
}

fn oid(rest: &str) -> bool {
    let mut parts = rest.split('.');
    let first_ok = matches!(parts.next(), Some("0" | "1" | "2"));
    let mut arcs = 0;
    for arc in parts {
        let ok = arc == "0"
            || (arc.starts_with(|c: char| ('1'..='9').contains(&c))
                && arc.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            return false;
        }
        arcs += 1;
    }
    first_ok && arcs > 0
}

fn uuid(rest: &str) -> bool {
    let b = rest.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Precision {
    /// `date`: year, year-month or a full date.
    Date,
    /// `dateTime`: a date, or a full date with a time and zone.
    Any,
    /// `instant`: a full date, time and zone.
    Instant,
}

/// A position in an ASCII text being matched.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn done(&self) -> bool {
        self.0.is_empty()
    }

    fn eat(&mut self, c: u8) -> bool {
        match self.0.split_first() {
            Some((first, rest)) if *first == c => {
                self.0 = rest;
                true
            }
            _ => false,
        }
    }

    /// Exactly `n` digits, as a number.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let (head, rest) = self.0.split_at_checked(n)?;
        if !head.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.0 = rest;
        Some(head.iter().fold(0, |v, d| v * 10 + u32::from(d - b'0')))
    }

    fn two_in(&mut self, range: std::ops::RangeInclusive<u32>) -> bool {
        self.digits(2).is_some_and(|v| range.contains(&v))
    }

    /// `hh:mm:ss(.f+)?`
    fn time(&mut self) -> bool {
        if !(self.two_in(0..=23) && self.eat(b':') && self.two_in(0..=59) && self.eat(b':')) {
            return false;
        }
        if !self.two_in(0..=60) {
            return false;
        }
        if self.eat(b'.') {
            let n = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 {
                return false;
            }
            self.0 = &self.0[n..];
        }
        true
    }

    /// `Z`, or `±hh:mm` from -13:59 to +14:00.
    fn zone(&mut self) -> bool {
        if self.eat(b'Z') {
            return true;
        }
        if !(self.eat(b'+') || self.eat(b'-')) {
            return false;
        }
        match (self.digits(2), self.eat(b':'), self.digits(2)) {
            (Some(h), true, Some(m)) => (h <= 13 && m <= 59) || (h == 14 && m == 0),
            _ => false,
        }
    }

    fn date_time(&mut self, precision: Precision) -> bool {
        if self.digits(4).is_none_or(|y| y == 0) {
            return false;
        }
        if self.done() {
            return precision != Precision::Instant;
        }
        if !(self.eat(b'-') && self.two_in(1..=12)) {
            return false;
        }
        if self.done() {
            return precision != Precision::Instant;
        }
        if !(self.eat(b'-') && self.two_in(1..=31)) {
            return false;
        }
        if self.done() {
            return precision != Precision::Instant;
        }
        if precision == Precision::Date || !self.eat(b'T') {
            return false;
        }
        self.time() && self.zone() && self.done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times() {
        for (p, s, want) in [
            (DATE_TIME, "2026", true),
            (DATE_TIME, "0000", false),
            (DATE_TIME, "2026-11", true),
            (DATE_TIME, "2026-13", false),
            (DATE_TIME, "2026-11-30", true),
            (DATE_TIME, "2026-11-32", false),
            (DATE_TIME, "2026-11-30T10:00:00Z", true),
            (DATE_TIME, "2026-11-30T10:00Z", false),
            (DATE_TIME, "2026-11-30T10:00:00", false),
            (DATE_TIME, "2026-11-30T23:59:60.123+14:00", true),
            (DATE_TIME, "2026-11-30T10:00:00+14:01", false),
            (DATE_TIME, "2026-11-30T10:00:00-13:59", true),
            (DATE_TIME, "2026-11-30T24:00:00Z", false),
            (DATE_TIME, "2026-11-30T10:00:00.Z", false),
            (INSTANT, "2026-11-30T10:00:00.000Z", true),
            (INSTANT, "2026-11-30", false),
            (DATE, "2026-11-30", true),
            (DATE, "2026-11-30T10:00:00Z", false),
            (TIME, "23:59:60.5", true),
            (TIME, "23:60:00", false),
        ] {
            assert_eq!(matches(p, s), Some(want), "{s}");
        }
    }

    #[test]
    fn strings_codes_ids_and_the_rest() {
        for (p, s, want) in [
            (STRING, "a b\nc", true),
            (STRING, "", false),
            (STRING, "a\u{a0}b", false),
            (URI, "", true),
            (URI, "urn:x y", false),
            (CODE, "a b", true),
            (CODE, "a  b", false),
            (CODE, " a", false),
            (CODE, "a ", false),
            (ID, "Ab-1.2", true),
            (ID, "a_b", false),
            (ID, &"a".repeat(65), false),
            (BASE64, "QUJD RA==", true),
            (BASE64, "QUJ", false),
            (BASE64, "QU JD", false),
            (OID, "urn:oid:2.16.840", true),
            (OID, "urn:oid:2.016", false),
            (OID, "urn:oid:3.1", false),
            (UUID, "urn:uuid:0192f3c4-1d2e-7a3b-8c4d-5e6f7a8b9c0d", true),
            (UUID, "urn:uuid:0192F3C4-1d2e-7a3b-8c4d-5e6f7a8b9c0d", false),
        ] {
            assert_eq!(matches(p, s), Some(want), "{p} {s:?}");
        }
        assert_eq!(matches("^x$", "x"), None);
    }
}
