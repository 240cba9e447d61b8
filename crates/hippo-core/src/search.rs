//! Folding text for "contains" searches: case and accents ignored, so
//! `jose` finds "José" and `MULLER` finds "Müller".

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lower case, accents removed (canonical decomposition, then combining
/// marks dropped), white space collapsed to single spaces.
pub fn fold(text: &str) -> String {
    let stripped: String = text
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    stripped.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn case_and_accents_are_ignored() {
        assert_eq!(fold("José  Álvarez"), "jose alvarez");
        assert_eq!(fold("MÜLLER"), "muller");
        assert_eq!(fold("Zoë Ångström"), "zoe angstrom");
        assert!(fold("Dr. Ana Sánchez").contains(&fold("sanch")));
    }
}
