//! Cursor pagination: `limit` + `starting_after`, answered with `has_more`.

use serde::Serialize;

use crate::error::ValidationError;

/// Default page size.
pub const DEFAULT_LIMIT: u32 = 20;
/// Largest page size.
pub const MAX_LIMIT: u32 = 100;

/// Which page to read: at most `limit` items strictly after the item whose id is `starting_after`,
/// in ascending id (= creation time) order unless the listing says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// 1..=100.
    pub limit: u32,
    /// The id of the last item of the previous page.
    pub starting_after: Option<String>,
}

impl PageRequest {
    /// Validates the raw query values.
    pub fn new(
        limit: Option<u32>,
        starting_after: Option<String>,
    ) -> Result<Self, ValidationError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ValidationError::new(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let starting_after = starting_after.filter(|s| !s.is_empty());
        if let Some(s) = &starting_after
            && (s.len() > 64 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        {
            return Err(ValidationError::new("starting_after", "is not an id"));
        }
        Ok(Self {
            limit,
            starting_after,
        })
    }

    /// The first page of `limit` items.
    pub fn first(limit: u32) -> Self {
        Self {
            limit: limit.clamp(1, MAX_LIMIT),
            starting_after: None,
        }
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::first(DEFAULT_LIMIT)
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    /// The items, at most `limit`.
    pub data: Vec<T>,
    /// Whether another page follows the last item.
    pub has_more: bool,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched rows: the extra row only tells `has_more`.
    pub fn from_overfetch(mut rows: Vec<T>, limit: u32) -> Self {
        let limit = limit as usize;
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        Self {
            data: rows,
            has_more,
        }
    }

    /// Maps the items.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            data: self.data.into_iter().map(f).collect(),
            has_more: self.has_more,
        }
    }
}
