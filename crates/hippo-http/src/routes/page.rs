//! Pagination of list endpoints: `limit` and an opaque `cursor`, answered
//! with `next_cursor` (null on the last page).
//!
//! The lists paged here (a caller's conversations, accounts, patients,
//! directory matches) are built whole and in a stable order by their use
//! case, so a page is a slice of it. The cursor names the last item of the
//! previous page by id and position: the next page starts after that item
//! where it is now, or at its old position if it has gone (never an error
//! for a list that changed in between; an item that moved may be seen
//! twice or not at all, as with any keyset over a live list).

use crate::problem::ApiError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hippo_core::ErrorCode;
use serde::Deserialize;
use utoipa::IntoParams;

/// `?limit=&cursor=`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// At most this many (each endpoint states its default and maximum).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn bad_cursor() -> ApiError {
    ApiError::new(
        ErrorCode::ValidationFailed,
        "cursor is not one this server gave; start from the first page",
    )
}

fn encode(position: usize, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{position}:{id}"))
}

fn decode(cursor: &str) -> Result<(usize, String), ApiError> {
    let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad_cursor())?;
    let text = String::from_utf8(raw).map_err(|_| bad_cursor())?;
    let (pos, id) = text.split_once(':').ok_or_else(bad_cursor)?;
    Ok((pos.parse().map_err(|_| bad_cursor())?, id.to_owned()))
}

/// The page of `items` (in their order) that `params` asks for, and the
/// cursor of the next one. `limit` defaults to `default` and may be 1 to
/// `max`.
pub fn page<T>(
    items: Vec<T>,
    id: impl Fn(&T) -> String,
    params: &PageParams,
    default: usize,
    max: usize,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let limit = params.limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            format!("limit must be 1 to {max}"),
        ));
    }
    let start = match params.cursor.as_deref() {
        None => 0,
        Some(c) => {
            let (position, last) = decode(c)?;
            items
                .iter()
                .position(|item| id(item) == last)
                .map_or(position, |i| i + 1)
        }
    };
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(limit).collect();
    let end = start + page.len();
    let next = (end < total)
        .then(|| page.last().map(|last| encode(end - 1, &id(last))))
        .flatten();
    Ok((page, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn pages_follow_each_other_and_survive_changes() {
        let all = ids(&["a", "b", "c", "d", "e"]);
        let q = |limit, cursor: Option<String>| PageParams {
            limit: Some(limit),
            cursor,
        };
        let (p1, c1) = page(all.clone(), Clone::clone, &q(2, None), 50, 100).unwrap();
        assert_eq!(p1, ids(&["a", "b"]));
        let (p2, c2) = page(all.clone(), Clone::clone, &q(2, c1.clone()), 50, 100).unwrap();
        assert_eq!(p2, ids(&["c", "d"]));
        let (p3, c3) = page(all.clone(), Clone::clone, &q(2, c2), 50, 100).unwrap();
        assert_eq!((p3, c3), (ids(&["e"]), None));
        // "b" went away: the next page starts where it was.
        let fewer = ids(&["a", "c", "d", "e"]);
        let (p, _) = page(fewer, Clone::clone, &q(2, c1), 50, 100).unwrap();
        assert_eq!(p, ids(&["c", "d"]));
        // Exactly a page: no cursor.
        let (_, c) = page(ids(&["a", "b"]), Clone::clone, &q(2, None), 50, 100).unwrap();
        assert_eq!(c, None);
        assert!(page(all.clone(), Clone::clone, &q(0, None), 50, 100).is_err());
        assert!(page(all.clone(), Clone::clone, &q(101, None), 50, 100).is_err());
        let bad = PageParams {
            limit: None,
            cursor: Some("!!".into()),
        };
        assert!(page(all, Clone::clone, &bad, 50, 100).is_err());
    }
}
