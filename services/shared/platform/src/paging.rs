//! Paging for every List RPC: a request's `page_size` (0 = [`DEFAULT_PAGE_SIZE`], more
//! than [`MAX_PAGE_SIZE`] refused, not clamped, so a client never silently gets fewer
//! rows than it asked for per page) and `page_token`, and the response's
//! `next_page_token`.
//!
//! The token is a keyset cursor: the sort key of the last row sent, opaque to clients.
//! The next page is the rows whose key sorts after it, so rows added or removed between
//! two calls shift no page: no row that stays is lost or sent twice.

use serde::de::DeserializeOwned;
use serde::Serialize;
use tonic::Status;

use crate::error::invalid_argument;

/// Rows per page when a request sets none.
pub const DEFAULT_PAGE_SIZE: usize = 100;

/// The most rows a request may ask for per page.
pub const MAX_PAGE_SIZE: usize = 1_000;

/// One page of `rows` and the token of the next (empty on the last page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub next_page_token: String,
}

/// The page of `rows` that `page_size` and `page_token` ask for, in the order of `key`
/// (which must be unique per row: end it with the row's id). INVALID_ARGUMENT naming
/// `page_size` when it is over [`MAX_PAGE_SIZE`], or `page_token` when it is not one
/// this list issued.
pub fn page<T, K>(
    mut rows: Vec<T>,
    key: impl Fn(&T) -> K,
    page_size: u32,
    page_token: &str,
) -> Result<Page<T>, Status>
where
    K: Ord + Serialize + DeserializeOwned,
{
    let size = match usize::try_from(page_size).unwrap_or(usize::MAX) {
        0 => DEFAULT_PAGE_SIZE,
        n if n > MAX_PAGE_SIZE => {
            return Err(invalid_argument(
                "page_size",
                format!("must be at most {MAX_PAGE_SIZE}"),
            ))
        }
        n => n,
    };
    let after: Option<K> = match page_token {
        "" => None,
        token => Some(
            decode(token)
                .ok_or_else(|| invalid_argument("page_token", "is not a token from this list"))?,
        ),
    };
    rows.sort_by_cached_key(|row| key(row));
    let start = after.map_or(0, |after| rows.partition_point(|row| key(row) <= after));
    let mut rows: Vec<T> = rows.into_iter().skip(start).take(size + 1).collect();
    let next_page_token = if rows.len() > size {
        rows.truncate(size);
        rows.last()
            .map(|last| encode(&key(last)))
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(Page {
        rows,
        next_page_token,
    })
}

fn encode<K: Serialize>(key: &K) -> String {
    serde_json::to_vec(key).map(hex::encode).unwrap_or_default()
}

fn decode<K: DeserializeOwned>(token: &str) -> Option<K> {
    let bytes = hex::decode(token).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use std::cmp::Reverse;

    use tonic::Code;

    use super::*;

    /// Every page of `rows` at `size`, following the tokens.
    fn all_pages(rows: &[(i64, String)], size: u32) -> Vec<Vec<(i64, String)>> {
        let key = |r: &(i64, String)| (Reverse(r.0), r.1.clone());
        let mut pages = Vec::new();
        let mut token = String::new();
        loop {
            let page = page(rows.to_vec(), key, size, &token).unwrap();
            pages.push(page.rows);
            if page.next_page_token.is_empty() {
                return pages;
            }
            token = page.next_page_token;
        }
    }

    #[test]
    fn pages_cover_every_row_once_in_order() {
        let rows: Vec<(i64, String)> = (0..25).map(|i| (i % 7, format!("id-{i:02}"))).collect();
        let pages = all_pages(&rows, 10);
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 5]);
        let flat: Vec<_> = pages.concat();
        let mut expected = rows.clone();
        expected.sort_by_key(|r| (Reverse(r.0), r.1.clone()));
        assert_eq!(flat, expected);
        // An exact multiple ends without an empty page.
        assert_eq!(all_pages(&rows[..20], 10).len(), 2);
        assert_eq!(all_pages(&[], 10), [Vec::<(i64, String)>::new()]);
    }

    #[test]
    fn a_row_added_between_pages_shifts_nothing() {
        let key = |r: &(i64, String)| (r.0, r.1.clone());
        let rows: Vec<(i64, String)> = (0..6).map(|i| (i, format!("r{i}"))).collect();
        let first = page(rows.clone(), key, 3, "").unwrap();
        let mut changed = rows.clone();
        changed.push((0, "r-new".into()));
        changed.retain(|r| r.1 != "r1");
        let second = page(changed, key, 3, &first.next_page_token).unwrap();
        let ids: Vec<_> = first
            .rows
            .iter()
            .chain(&second.rows)
            .map(|r| &r.1)
            .collect();
        assert_eq!(ids, ["r0", "r1", "r2", "r3", "r4", "r5"]);
    }

    #[test]
    fn default_cap_and_bad_tokens() {
        let rows: Vec<(i64, String)> = (0..1_500).map(|i| (i, i.to_string())).collect();
        let key = |r: &(i64, String)| (r.0, r.1.clone());
        assert_eq!(page(rows.clone(), key, 0, "").unwrap().rows.len(), 100);
        assert_eq!(
            page(rows.clone(), key, 1_000, "").unwrap().rows.len(),
            1_000
        );
        let status = page(rows.clone(), key, 1_001, "").unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "invalid page_size: must be at most 1000");
        for token in ["zz", "00", &hex::encode(b"\"text\"")] {
            let status = page(rows.clone(), key, 10, token).unwrap_err();
            assert_eq!(
                status.message(),
                "invalid page_token: is not a token from this list"
            );
        }
    }
}
