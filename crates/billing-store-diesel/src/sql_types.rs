//! `UtcTimestamp`: one SQL type for instants on both backends.
//!
//! PostgreSQL stores it as `TIMESTAMPTZ` (oid 1184); SQLite as `TEXT` in one fixed-width UTC
//! form, `YYYY-MM-DD HH:MM:SS.ffffff+00:00`, so text comparison and ordering agree with time
//! order. Both keep microseconds (PostgreSQL's precision); finer digits are truncated.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{HasSqlType, SqlType, Timestamptz, TimestamptzSqlite};
use diesel::sqlite::Sqlite;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::pool::MultiBackend;

/// An instant with time zone: `TIMESTAMPTZ` on PostgreSQL, fixed-width UTC text on SQLite.
#[derive(Debug, Clone, Copy, Default, diesel::query_builder::QueryId, SqlType)]
#[diesel(postgres_type(oid = 1184, array_oid = 1185))]
#[diesel(sqlite_type(name = "Text"))]
pub struct UtcTimestamp;

/// An `OffsetDateTime` stored through [`UtcTimestamp`]; read back in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = UtcTimestamp)]
pub struct UtcDateTime(pub OffsetDateTime);

impl From<OffsetDateTime> for UtcDateTime {
    fn from(t: OffsetDateTime) -> Self {
        Self(t)
    }
}

impl From<UtcDateTime> for OffsetDateTime {
    fn from(t: UtcDateTime) -> Self {
        t.0
    }
}

const SQLITE_FORMAT: &[time::format_description::BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:6]+00:00");

/// The SQLite text form of an instant (also used in raw SQL binds and tests).
pub fn sqlite_text(t: OffsetDateTime) -> Result<String, time::error::Format> {
    t.to_offset(UtcOffset::UTC).format(SQLITE_FORMAT)
}

impl ToSql<UtcTimestamp, Pg> for UtcDateTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <OffsetDateTime as ToSql<Timestamptz, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<UtcTimestamp, Pg> for UtcDateTime {
    fn from_sql(bytes: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <OffsetDateTime as FromSql<Timestamptz, Pg>>::from_sql(bytes)
            .map(|t| Self(t.to_offset(UtcOffset::UTC)))
    }
}

impl ToSql<UtcTimestamp, Sqlite> for UtcDateTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(sqlite_text(self.0)?);
        Ok(IsNull::No)
    }
}

impl FromSql<UtcTimestamp, Sqlite> for UtcDateTime {
    fn from_sql(bytes: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <OffsetDateTime as FromSql<TimestamptzSqlite, Sqlite>>::from_sql(bytes)
            .map(|t| Self(t.to_offset(UtcOffset::UTC)))
    }
}

impl HasSqlType<UtcTimestamp> for MultiBackend {
    fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
        MultiBackend::lookup_sql_type::<UtcTimestamp>(lookup)
    }
}

impl FromSql<UtcTimestamp, MultiBackend> for UtcDateTime {
    fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        bytes.from_sql::<UtcDateTime, UtcTimestamp>()
    }
}

impl ToSql<UtcTimestamp, MultiBackend> for UtcDateTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((UtcTimestamp, self));
        Ok(IsNull::No)
    }
}
