//! The `emails` row and its domain ⇄ row conversions.

use billing_domain::entities::{EmailKind, EmailStatus, OutgoingEmail};
use billing_domain::types::{AccountId, EmailId, EventId, InvoiceId};
use diesel::prelude::*;

use crate::convert::{from_json, parse_enum, to_json, ts};
use crate::error::DbResult;
use crate::schema::emails;
use crate::sql_types::UtcDateTime;

/// `emails`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = emails)]
pub(crate) struct EmailRow {
    pub id: String,
    pub account_id: String,
    pub event_id: String,
    pub kind: String,
    pub dedupe_key: String,
    pub to_address: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub invoice_id: Option<String>,
    pub message_id: String,
    pub status: String,
    pub attempts: String,
    pub next_attempt_at: UtcDateTime,
    pub lease_until: Option<UtcDateTime>,
    pub resent_from: Option<String>,
    pub created_at: UtcDateTime,
    pub updated_at: UtcDateTime,
    pub sent_at: Option<UtcDateTime>,
}

pub(crate) fn email_row(e: &OutgoingEmail) -> DbResult<EmailRow> {
    Ok(EmailRow {
        id: e.id.to_string(),
        account_id: e.account_id.to_string(),
        event_id: e.event_id.to_string(),
        kind: e.kind.as_str().to_owned(),
        dedupe_key: e.dedupe_key.clone(),
        to_address: e.to.clone(),
        to_name: e.to_name.clone(),
        subject: e.subject.clone(),
        body_text: e.text.clone(),
        body_html: e.html.clone(),
        invoice_id: e.invoice_id.as_ref().map(ToString::to_string),
        message_id: e.message_id.clone(),
        status: e.status.as_str().to_owned(),
        attempts: to_json(&e.attempts, "e-mail attempts")?,
        next_attempt_at: ts(e.next_attempt_at),
        lease_until: e.lease_until.map(ts),
        resent_from: e.resent_from.as_ref().map(ToString::to_string),
        created_at: ts(e.created_at),
        updated_at: ts(e.updated_at),
        sent_at: e.sent_at.map(ts),
    })
}

pub(crate) fn email(r: EmailRow) -> DbResult<OutgoingEmail> {
    Ok(OutgoingEmail {
        id: EmailId::from_trusted(r.id),
        account_id: AccountId::from_trusted(r.account_id),
        event_id: EventId::from_trusted(r.event_id),
        kind: parse_enum(&r.kind, "e-mail kind", EmailKind::parse)?,
        dedupe_key: r.dedupe_key,
        to: r.to_address,
        to_name: r.to_name,
        subject: r.subject,
        text: r.body_text,
        html: r.body_html,
        invoice_id: r.invoice_id.map(InvoiceId::from_trusted),
        message_id: r.message_id,
        status: parse_enum(&r.status, "e-mail status", EmailStatus::parse)?,
        attempts: from_json(&r.attempts, "e-mail attempts")?,
        next_attempt_at: r.next_attempt_at.0,
        lease_until: r.lease_until.map(|t| t.0),
        resent_from: r.resent_from.map(EmailId::from_trusted),
        created_at: r.created_at.0,
        updated_at: r.updated_at.0,
        sent_at: r.sent_at.map(|t| t.0),
    })
}
