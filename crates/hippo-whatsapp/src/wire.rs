//! Type-tolerant serde helpers for Meta's JSON: a field of the wrong type
//! becomes `None` (or is skipped) instead of failing the whole document.
//!
//! Use with `#[serde(default, deserialize_with = "...")]`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Any `T`, or `None` when the value does not fit.
pub(crate) fn opt<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Value::deserialize(deserializer)?;
    Ok(T::deserialize(value).ok())
}

/// A string, or a number written as one (ids are sometimes numbers).
pub(crate) fn opt_str<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// An integer, or a string holding one (timestamps come as strings).
pub(crate) fn opt_i64<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(crate::error::as_i64(&Value::deserialize(deserializer)?))
}

/// An array whose items are each `Some(T)` or `None` when they do not fit;
/// anything but an array is an empty list.
pub(crate) fn list<'de, D, T>(deserializer: D) -> Result<Vec<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(match Value::deserialize(deserializer)? {
        Value::Array(items) => items
            .into_iter()
            .map(|item| T::deserialize(item).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// The number of distinct placeholders (`{{1}}`, `{{first_name}}`) in
/// template text.
pub(crate) fn placeholder_count(text: &str) -> u32 {
    u32::try_from(placeholders(text).len()).unwrap_or(u32::MAX)
}

/// The distinct placeholder names (`1`, `first_name`) in template text.
pub(crate) fn placeholders(text: &str) -> std::collections::BTreeSet<&str> {
    let mut names = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            break;
        };
        let name = after[..end].trim();
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            names.insert(name);
            rest = &after[end + 2..];
        } else {
            // Not a placeholder: step past this "{{" and keep looking.
            rest = &rest[start + 1..];
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::placeholder_count;

    #[test]
    fn counts_distinct_placeholders() {
        assert_eq!(placeholder_count("Hi {{1}}, from {{2}} and {{1}}"), 2);
        assert_eq!(
            placeholder_count("{{clinic_name}} says {{confirm_word}}"),
            2
        );
        assert_eq!(placeholder_count("no params"), 0);
        assert_eq!(placeholder_count("{{ 1 }} spaced"), 1);
        assert_eq!(placeholder_count("{{{1}}}"), 1);
        assert_eq!(placeholder_count("{{not valid!}} {{1"), 0);
        assert_eq!(placeholder_count("{{}}"), 0);
    }
}
