//! Shapes attackers try before anything else: one chunk repeated
//! (`iloveyouiloveyou`, `abcabcabc`), runs of sequential characters
//! (`123456789012345`, `abcdefgh`, keyboard rows such as `qwertyuiopasdfgh`),
//! and the decorations people put around a word (`Summer2026`, `Hippo123!`,
//! `P@ssw0rd`): the undecorated candidates are then looked up in the
//! blocklist and compared with context words by the policy.

/// Strings whose neighbouring characters count as "sequential", read either
/// way. The digit row wraps (`…890` then `1…`).
const SEQUENCES: [&str; 6] = [
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
];

/// Whether the whole of `s` is one chunk repeated (at least twice).
pub fn is_repeated_chunk(s: &str) -> bool {
    let c: Vec<char> = s.chars().collect();
    let n = c.len();
    (1..=n / 2).any(|k| n.is_multiple_of(k) && (k..n).all(|i| c[i] == c[i - k]))
}

fn is_step(a: char, b: char) -> bool {
    SEQUENCES.iter().any(|s| {
        let s = s.as_bytes();
        s.windows(2).any(|w| {
            let (x, y) = (char::from(w[0]), char::from(w[1]));
            (x == a && y == b) || (x == b && y == a)
        })
    })
}

/// Whether `s` (lower case) is made entirely of sequential runs of three or
/// more characters, optionally followed by non-letters (`abcdefgh`,
/// `qwertyuiopasdfgh`, `987654321!`).
pub fn is_sequential(s: &str) -> bool {
    let c: Vec<char> = s.chars().collect();
    if c.len() < 3 {
        return false;
    }
    let mut covered = vec![false; c.len()];
    let mut start = 0;
    for i in 1..=c.len() {
        if i == c.len() || !is_step(c[i - 1], c[i]) {
            if i - start >= 3 {
                covered[start..i].iter_mut().for_each(|x| *x = true);
            }
            start = i;
        }
    }
    let last = covered.iter().rposition(|x| *x);
    match last {
        None => false,
        Some(last) => {
            covered[..=last].iter().all(|x| *x)
                && c[last + 1..].iter().all(|ch| !ch.is_alphabetic())
        }
    }
}

/// Common leetspeak substitutions. `1` is read both as `i` and as `l`.
fn unleet(s: &str, one: char) -> String {
    s.chars()
        .map(|c| match c {
            '@' | '4' => 'a',
            '0' => 'o',
            '1' | '!' => one,
            '3' => 'e',
            '$' | '5' => 's',
            '7' => 't',
            c => c,
        })
        .collect()
}

/// The undecorated forms of `lower` to compare with lists: with leading and
/// trailing digits and punctuation stripped (every split of a trailing
/// run, so `h1pp0123` yields `h1pp0`), each also with leetspeak undone.
/// Candidates shorter than `min` characters are left out.
pub fn candidates(lower: &str, min: usize) -> Vec<String> {
    let decoration = |c: char| !c.is_alphabetic() && !c.is_whitespace();
    let body = lower.trim_start_matches(decoration);
    let chars: Vec<char> = body.chars().collect();
    let core_end = chars
        .iter()
        .rposition(|c| !decoration(*c))
        .map_or(0, |i| i + 1);
    let mut out: Vec<String> = Vec::new();
    for end in (core_end..=chars.len()).rev() {
        let base: String = chars[..end].iter().collect();
        for form in [unleet(&base, 'i'), unleet(&base, 'l'), base] {
            if form.chars().count() >= min && !out.contains(&form) {
                out.push(form);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_chunks() {
        assert!(is_repeated_chunk("iloveyouiloveyou"));
        assert!(is_repeated_chunk("abcabcabc"));
        assert!(is_repeated_chunk("zzzz"));
        assert!(!is_repeated_chunk("abcabcab"));
        assert!(!is_repeated_chunk("a"));
    }

    #[test]
    fn sequences() {
        for s in [
            "123456789012345",
            "abcdefgh",
            "qwertyuiopasdfgh",
            "987654321",
            "zyxwvu",
            "1qaz2wsx",
            "qwerty123!",
        ] {
            assert!(is_sequential(s), "{s}");
        }
        for s in ["abcxyz1q", "kettle-drum", "ab", "x7#kq"] {
            assert!(!is_sequential(s), "{s}");
        }
    }

    #[test]
    fn decorations_come_off() {
        assert!(candidates("summer2026", 3).contains(&"summer".to_string()));
        assert!(candidates("hippo123!", 3).contains(&"hippo".to_string()));
        assert!(candidates("p@ssw0rd1", 3).contains(&"password".to_string()));
        assert!(candidates("h1pp0123", 3).contains(&"hippo".to_string()));
        assert!(candidates("!!2026", 3).is_empty());
    }
}
