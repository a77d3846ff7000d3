//! The manual payment workflow over HTTP: the payer confirms a transfer (with an optional
//! proof file, sent as base64 in the JSON body), an operator approves or rejects.

use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, post};
use base64::Engine as _;
use billing_domain::entities::Payment;
use billing_domain::services::invoices::ReasonInput;
use billing_domain::services::manual_payments::{ApproveInput, ConfirmationInput, ProofUpload};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{OptionalJsonBody, UploadJsonBody};
use crate::openapi::PostErrors;
use crate::routes::{HandlerResult, path_ids};

/// An uploaded proof of payment, inline in the JSON body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProofFileInput {
    /// The file's name (≤ 200).
    pub filename: String,
    /// `application/pdf`, `image/png` or `image/jpeg`; checked against the bytes.
    pub content_type: String,
    /// The file, standard base64. At most `max_proof_bytes` (default 5 MiB) once decoded.
    pub content_base64: String,
}

/// A payer's confirmation that they paid.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmationBody {
    /// The payment reference they quoted (dashes, spaces and case do not matter).
    pub reference: Option<String>,
    /// What they paid, minor units.
    pub amount: Option<i64>,
    /// The day they paid, `YYYY-MM-DD`.
    pub paid_on: Option<String>,
    /// Name on the sending account (≤ 200).
    pub payer_name: Option<String>,
    /// Link to a receipt (http/https, ≤ 500).
    pub proof_url: Option<String>,
    /// Free text (≤ 1000).
    pub note: Option<String>,
    /// An uploaded receipt (PDF, PNG or JPEG), kept in the store.
    #[serde(default, deserialize_with = "billing_domain::services::input::object")]
    pub proof_file: Option<ProofFileInput>,
}

impl ConfirmationBody {
    /// Splits into the use case's input and the decoded upload.
    fn into_parts(self) -> Result<(ConfirmationInput, Option<ProofUpload>), ApiError> {
        let proof = self
            .proof_file
            .map(|f| {
                // Padded standard base64, as the document's pattern says; unused bits of the
                // last symbol are ignored as most encoders' readers do.
                let engine = base64::engine::GeneralPurpose::new(
                    &base64::alphabet::STANDARD,
                    base64::engine::GeneralPurposeConfig::new()
                        .with_decode_allow_trailing_bits(true),
                );
                let bytes = engine.decode(f.content_base64.trim()).map_err(|e| {
                    ApiError::invalid(
                        "proof_file.content_base64",
                        format!("proof_file.content_base64 is not valid base64: {e}"),
                    )
                })?;
                Ok::<_, ApiError>(ProofUpload {
                    filename: f.filename,
                    content_type: f.content_type,
                    bytes,
                })
            })
            .transpose()?;
        let input = ConfirmationInput {
            reference: self.reference,
            amount: self.amount,
            paid_on: self.paid_on,
            payer_name: self.payer_name,
            proof_url: self.proof_url,
            note: self.note,
        };
        Ok((input, proof))
    }
}

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(confirm).service(approve).service(reject);
}

/// The payer says they paid: `awaiting_transfer` (or `rejected`, to try again) →
/// `pending_approval`. The reference must match the payment's (400 `reference`); another
/// state is 409 `payment_not_awaiting_transfer`. The body may be up to about
/// 4/3 × `max_proof_bytes` to carry the file; a file too large or of another type is a
/// 400 (or 413) naming `proof_file`.
#[utoipa::path(tag = "payments", request_body = ConfirmationBody, security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id"), ("pid" = String, Path, description = "Payment id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 200, body = Payment), (status = 413, description = "The proof file is too large", body = crate::error::ErrorResponse), PostErrors))]
#[post("/v1/accounts/{id}/payments/{pid}/confirmation")]
async fn confirm(
    state: Data<AppState>,
    auth: Auth,
    path: Path<(String, String)>,
    body: UploadJsonBody<ConfirmationBody>,
) -> HandlerResult {
    let (id, pid) = path.into_inner();
    let (input, proof) = body.0.into_parts()?;
    let p = state
        .payments
        .manual
        .submit_confirmation(auth.ctx(), &id, &pid, input, proof)
        .await
        .map_err(path_ids(&["payment_id"]))?;
    Ok(HttpResponse::Ok().json(p))
}

/// Approve a manual payment (admin): payment succeeded, invoice paid (or partly, if
/// `amount_received` is less than due; any excess is recorded on the payment), credits granted
/// exactly once however often this is sent. A rejected or canceled payment is 409.
#[utoipa::path(tag = "payments", request_body(content = ApproveInput, description = "Optional"), security(("bearer" = [])),
    params(("id" = String, Path, description = "Payment id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 200, body = Payment), PostErrors))]
#[post("/v1/admin/payments/{id}/approve")]
async fn approve(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    body: OptionalJsonBody<ApproveInput>,
) -> HandlerResult {
    Ok(HttpResponse::Ok().json(
        state
            .payments
            .manual
            .approve(auth.ctx(), &id, body.0)
            .await?,
    ))
}

/// Reject a manual payment (admin; `reason` required, shown to the payer and audited). The
/// invoice stays pending and the payer may submit a new confirmation.
#[utoipa::path(tag = "payments", request_body = ReasonInput, security(("bearer" = [])),
    params(("id" = String, Path, description = "Payment id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 200, body = Payment), PostErrors))]
#[post("/v1/admin/payments/{id}/reject")]
async fn reject(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    body: OptionalJsonBody<ReasonInput>,
) -> HandlerResult {
    Ok(HttpResponse::Ok().json(
        state
            .payments
            .manual
            .reject(auth.ctx(), &id, body.0.reason.as_deref())
            .await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_base64_names_the_field() {
        let body: ConfirmationBody = serde_json::from_str(
            r#"{"proof_file": {"filename": "a.png", "content_type": "image/png", "content_base64": "%%%"}}"#,
        )
        .expect("parses");
        let e = body.into_parts().expect_err("refused");
        assert_eq!(e.error.param.as_deref(), Some("proof_file.content_base64"));
    }
}
