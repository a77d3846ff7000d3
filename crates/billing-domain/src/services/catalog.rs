//! What the operator-managed catalogs (credit packages, plans) share: the order a public
//! listing shows them in, and how a taken slug is answered.

use crate::error::{BillingError, RepoError};
use crate::types::Slug;

/// The key of the public order: featured first, then `sort_order`, then id (a total order,
/// so listings are stable).
pub(crate) fn listing_key(featured: bool, sort_order: i32, id: &str) -> (bool, i32, &str) {
    (!featured, sort_order, id)
}

/// A store `Conflict` on insert or update of a catalog item is its slug being taken:
/// 409 `slug_taken` naming `slug`; other errors pass through.
pub(crate) fn slug_conflict(e: RepoError, what: &str, slug: &Slug) -> BillingError {
    match e {
        RepoError::Conflict(_) => BillingError::conflict_on(
            "slug",
            "slug_taken",
            format!("a {what} with slug `{slug}` exists"),
        ),
        other => other.into(),
    }
}
