//! Which files hippo accepts, and whether a file's bytes are what its
//! declared content type says.
//!
//! Deny by default: only the types a care team exchanges (documents, images,
//! DICOM, plain text and CSV, office documents) are accepted, and each is
//! checked against its signature ("magic bytes"), so a renamed executable or
//! an HTML page declared as a PDF is refused. Text must be UTF-8 without NUL
//! bytes all the way through ([`TextCheck`]).
//!
//! The signatures are hippo's own, not the `infer` crate's (0.22): its
//! matchers are looser where a looser one lets through what hippo refuses
//! (`%PDF` anywhere in the first KiB, so an HTML page quoting it passes as a
//! PDF; PNG on 4 of its 8 bytes, GIF on `GIF`, WebP without `RIFF`), and
//! stricter where hippo accepts real files (TIFFs whose ninth byte is `C`,
//! HEIC with major brand `hevc`, ISO media brands outside its MP4 list); and
//! using `infer::get` to keep binaries out of text would refuse clinical notes
//! (a CSV starting `BMI` is a BMP to it, `%!` PostScript, `BZh` bzip2). The
//! tests below hold these cases.

/// How many leading bytes [`FileKind::matches_head`] needs at most.
pub const HEAD_LEN: usize = 132;

/// The kinds of file hippo accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Png,
    Jpeg,
    Gif,
    Webp,
    Tiff,
    Heic,
    Mp4,
    Dicom,
    /// A ZIP container: the Office Open XML formats.
    OfficeOpenXml,
    /// UTF-8 text (plain or CSV).
    Text,
}

/// Accepted content types (lower-case, without parameters) and their kinds.
pub const ACCEPTED: &[(&str, FileKind)] = &[
    ("application/pdf", FileKind::Pdf),
    ("image/png", FileKind::Png),
    ("image/jpeg", FileKind::Jpeg),
    ("image/gif", FileKind::Gif),
    ("image/webp", FileKind::Webp),
    ("image/tiff", FileKind::Tiff),
    ("image/heic", FileKind::Heic),
    ("image/heif", FileKind::Heic),
    ("video/mp4", FileKind::Mp4),
    ("application/dicom", FileKind::Dicom),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        FileKind::OfficeOpenXml,
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        FileKind::OfficeOpenXml,
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        FileKind::OfficeOpenXml,
    ),
    ("text/plain", FileKind::Text),
    ("text/csv", FileKind::Text),
];

/// Why a declared content type is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentTypeError {
    /// Not one of [`ACCEPTED`].
    NotAccepted(String),
    /// A text type with a charset other than UTF-8 (or its ASCII subset).
    Charset(String),
}

impl std::fmt::Display for ContentTypeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContentTypeError::NotAccepted(t) => write!(
                f,
                "files of type {t:?} are not accepted; accepted: {}",
                ACCEPTED
                    .iter()
                    .map(|(t, _)| *t)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ContentTypeError::Charset(c) => {
                write!(f, "text files must be UTF-8, not charset {c:?}")
            }
        }
    }
}

/// Parses a `Content-Type` header value into the canonical type hippo
/// stores (lower-case, no parameters) and its kind.
pub fn classify(content_type: &str) -> Result<(&'static str, FileKind), ContentTypeError> {
    let mut parts = content_type.split(';');
    let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let Some(&(canonical, kind)) = ACCEPTED.iter().find(|(t, _)| *t == essence) else {
        return Err(ContentTypeError::NotAccepted(essence));
    };
    for param in parts {
        let Some((name, value)) = param.split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("charset") {
            let value = value.trim().trim_matches('"').to_ascii_lowercase();
            if kind != FileKind::Text || !matches!(value.as_str(), "utf-8" | "utf8" | "us-ascii") {
                return Err(ContentTypeError::Charset(value));
            }
        }
    }
    Ok((canonical, kind))
}

/// Signatures of binary formats; text must start with none of them.
fn binary_signature(head: &[u8]) -> bool {
    [
        FileKind::Pdf,
        FileKind::Png,
        FileKind::Jpeg,
        FileKind::Gif,
        FileKind::Webp,
        FileKind::Tiff,
        FileKind::Mp4,
        FileKind::Dicom,
        FileKind::OfficeOpenXml,
    ]
    .iter()
    .any(|k| k.matches_head(head))
        || head.starts_with(b"\x7fELF")
        || head.starts_with(b"MZ")
}

impl FileKind {
    /// Whether a file starting with `head` (its first [`HEAD_LEN`] bytes, or
    /// all of it when shorter) can be of this kind. For [`FileKind::Text`]
    /// this only rules out binary signatures; [`TextCheck`] checks the rest.
    pub fn matches_head(self, head: &[u8]) -> bool {
        let at = |offset: usize, sig: &[u8]| {
            head.get(offset..offset + sig.len())
                .is_some_and(|s| s == sig)
        };
        match self {
            FileKind::Pdf => at(0, b"%PDF-"),
            FileKind::Png => at(0, b"\x89PNG\r\n\x1a\n"),
            FileKind::Jpeg => at(0, b"\xff\xd8\xff"),
            FileKind::Gif => at(0, b"GIF87a") || at(0, b"GIF89a"),
            FileKind::Webp => at(0, b"RIFF") && at(8, b"WEBP"),
            FileKind::Tiff => at(0, b"II*\0") || at(0, b"MM\0*"),
            FileKind::Heic => {
                at(4, b"ftyp")
                    && [
                        &b"heic"[..],
                        b"heix",
                        b"hevc",
                        b"heim",
                        b"heis",
                        b"mif1",
                        b"msf1",
                    ]
                    .iter()
                    .any(|brand| at(8, brand))
            }
            FileKind::Mp4 => at(4, b"ftyp"),
            FileKind::Dicom => at(128, b"DICM"),
            FileKind::OfficeOpenXml => at(0, b"PK\x03\x04"),
            FileKind::Text => !binary_signature(head),
        }
    }
}

/// Checks, chunk by chunk, that a stream of bytes is UTF-8 text without NUL
/// bytes. Characters split across chunks are carried over.
#[derive(Debug, Default)]
pub struct TextCheck {
    carry: Vec<u8>,
    bad: bool,
}

impl TextCheck {
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.bad {
            return;
        }
        if bytes.contains(&0) {
            self.bad = true;
            return;
        }
        let mut joined;
        let data = if self.carry.is_empty() {
            bytes
        } else {
            joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(bytes);
            &joined[..]
        };
        match std::str::from_utf8(data) {
            Ok(_) => self.carry.clear(),
            // An incomplete character at the end: keep it for the next chunk.
            Err(e) if e.error_len().is_none() => {
                self.carry = data[e.valid_up_to()..].to_vec();
            }
            Err(_) => self.bad = true,
        }
    }

    /// True when everything fed was UTF-8 text without NUL bytes.
    pub fn finish(self) -> bool {
        !self.bad && self.carry.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_are_normalised_and_denied_by_default() {
        assert_eq!(
            classify("Application/PDF").unwrap(),
            ("application/pdf", FileKind::Pdf)
        );
        assert_eq!(
            classify("text/plain; charset=UTF-8").unwrap(),
            ("text/plain", FileKind::Text)
        );
        assert!(matches!(
            classify("text/html"),
            Err(ContentTypeError::NotAccepted(_))
        ));
        assert!(matches!(
            classify("application/octet-stream"),
            Err(ContentTypeError::NotAccepted(_))
        ));
        assert!(matches!(
            classify("text/plain; charset=latin1"),
            Err(ContentTypeError::Charset(_))
        ));
        assert!(matches!(
            classify("image/png; charset=utf-8"),
            Err(ContentTypeError::Charset(_))
        ));
    }

    #[test]
    fn signatures() {
        assert!(FileKind::Pdf.matches_head(b"%PDF-1.7\n"));
        assert!(!FileKind::Pdf.matches_head(b"<html>"));
        assert!(FileKind::Png.matches_head(b"\x89PNG\r\n\x1a\n...."));
        assert!(FileKind::Jpeg.matches_head(b"\xff\xd8\xff\xe0"));
        assert!(FileKind::Webp.matches_head(b"RIFF\0\0\0\0WEBPVP8 "));
        assert!(!FileKind::Webp.matches_head(b"RIFF\0\0\0\0WAVEfmt "));
        assert!(FileKind::Heic.matches_head(b"\0\0\0\x18ftypheic"));
        assert!(!FileKind::Heic.matches_head(b"\0\0\0\x18ftypisom"));
        assert!(FileKind::Mp4.matches_head(b"\0\0\0\x18ftypisom"));
        let mut dicom = vec![0u8; 128];
        dicom.extend_from_slice(b"DICM");
        assert!(FileKind::Dicom.matches_head(&dicom));
        assert!(!FileKind::Dicom.matches_head(&dicom[..130]));
        assert!(FileKind::Text.matches_head(b"glucose 5.4 mmol/L"));
        assert!(!FileKind::Text.matches_head(b"%PDF-1.4"));
        assert!(!FileKind::Text.matches_head(b"MZ\x90\0"));
        assert!(!FileKind::Text.matches_head(b"\x7fELF\x02"));
    }

    /// Where a general-purpose sniffer (the `infer` crate) decides
    /// otherwise, hippo's answer stands.
    #[test]
    fn signatures_are_exact_where_sniffers_guess() {
        // Refused: a signature must be whole and where the format puts it.
        assert!(!FileKind::Pdf.matches_head(b"<html><body>%PDF-1.7 attached</body></html>"));
        assert!(!FileKind::Png.matches_head(b"\x89PNGnot-a-png-at-all"));
        assert!(!FileKind::Gif.matches_head(b"GIF is how I feel"));
        assert!(!FileKind::Webp.matches_head(b"XXXX\0\0\0\0WEBPVP8 "));
        // Accepted: real files and real notes.
        assert!(FileKind::Tiff.matches_head(b"II*\0\x08\0\0\0C\0\x01\0"));
        assert!(FileKind::Heic.matches_head(b"\0\0\0\x18ftyphevc\0\0\0\0mif1hevc"));
        for note in [
            &b"BMI,BP\n31.2,140/90\n"[..],
            b"%! urgent",
            b"BZh tube",
            b"CWS 4h",
        ] {
            assert!(FileKind::Text.matches_head(note), "{note:?}");
        }
    }

    #[test]
    fn text_check_handles_split_characters_and_rejects_binary() {
        let text = "Temperatur 38,5 °C — Überwachung";
        let bytes = text.as_bytes();
        for split in 0..bytes.len() {
            let mut c = TextCheck::default();
            c.feed(&bytes[..split]);
            c.feed(&bytes[split..]);
            assert!(c.finish(), "split at {split}");
        }
        let mut c = TextCheck::default();
        c.feed(b"abc\0def");
        assert!(!c.finish());
        let mut c = TextCheck::default();
        c.feed(b"abc\xff");
        assert!(!c.finish());
        let mut c = TextCheck::default();
        c.feed("ab°".as_bytes().split_last().unwrap().1);
        assert!(!c.finish(), "a truncated character at the end is not text");
    }
}
