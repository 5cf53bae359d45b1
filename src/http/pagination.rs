//! Cursor pagination: `?limit=` (default 20, max 100) and an opaque `?cursor=`; responses are
//! `{items, next_cursor}`. A cursor is the base64url JSON of the last row's sort key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, AppResult};

pub const DEFAULT_LIMIT: i64 = 20;

/// The usual cursor: the sort time and id of the last row.
pub type TimeCursor = (chrono::DateTime<chrono::Utc>, uuid::Uuid);
pub const MAX_LIMIT: i64 = 100;

/// The query parameters of every list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Checks `?limit=&cursor=` given as separate fields of a query struct.
pub fn parse<C: DeserializeOwned>(
    limit: Option<i64>,
    cursor: Option<String>,
) -> AppResult<(i64, Option<C>)> {
    let page = PageParams { limit, cursor };
    Ok((page.limit()?, page.cursor()?))
}

impl PageParams {
    /// The page size, checked.
    pub fn limit(&self) -> AppResult<i64> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(AppError::invalid("limit", "must be between 1 and 100")),
        }
    }

    /// The decoded cursor, if any; a cursor that does not decode is 422 on `cursor`.
    pub fn cursor<C: DeserializeOwned>(&self) -> AppResult<Option<C>> {
        let Some(raw) = &self.cursor else {
            return Ok(None);
        };
        URL_SAFE_NO_PAD
            .decode(raw)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .map(Some)
            .ok_or_else(|| AppError::invalid("cursor", "is not a cursor this list issued"))
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in order: the extra row only tells
    /// that another page exists, and the cursor is the key of the last row kept.
    pub fn from_rows<C: Serialize>(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> C) -> Self {
        let limit = usize::try_from(limit).unwrap_or(0);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more {
            rows.last()
                .and_then(|last| serde_json::to_vec(&key(last)).ok())
                .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }

    /// The same page with its items turned by one call over all of them (a batched lookup).
    pub fn try_map_all<U, E>(
        self,
        f: impl FnOnce(Vec<T>) -> Result<Vec<U>, E>,
    ) -> Result<Page<U>, E> {
        Ok(Page {
            items: f(self.items)?,
            next_cursor: self.next_cursor,
        })
    }

    /// Converts the items, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_page_has_a_cursor_that_decodes_to_its_last_key() {
        let page = Page::from_rows(vec![1, 2, 3], 2, |n| *n);
        assert_eq!(page.items, vec![1, 2]);
        let params = PageParams {
            limit: Some(2),
            cursor: page.next_cursor,
        };
        assert_eq!(params.cursor::<i32>().unwrap(), Some(2));
    }

    #[test]
    fn the_last_page_has_no_cursor() {
        assert!(Page::from_rows(vec![1, 2], 2, |n| *n).next_cursor.is_none());
    }

    #[test]
    fn limits_and_cursors_are_checked() {
        assert_eq!(PageParams::default().limit().unwrap(), 20);
        assert!(PageParams {
            limit: Some(0),
            cursor: None
        }
        .limit()
        .is_err());
        assert!(PageParams {
            limit: Some(101),
            cursor: None
        }
        .limit()
        .is_err());
        let bad = PageParams {
            limit: None,
            cursor: Some("%%%".into()),
        };
        assert!(bad.cursor::<i32>().is_err());
    }
}
