//! Tests of the error mapping.

use super::*;

#[test]
fn internal_errors_never_leak_their_detail() {
    let e = ApiError::from(BillingError::Internal(
        "relation \"ledger\" does not exist at 10.0.0.5".into(),
    ));
    assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(&e.body()).unwrap_or_default();
    assert!(
        !body.contains("ledger") && !body.contains("10.0.0.5"),
        "{body}"
    );
    assert!(body.contains("\"type\":\"api_error\""));
    let e = ApiError::from(RepoError::Unavailable(
        "connection refused to db:5432".into(),
    ));
    assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(e.error.code, "service_unavailable");
    assert!(
        !serde_json::to_string(&e.body())
            .unwrap_or_default()
            .contains("5432")
    );
}

#[test]
fn domain_errors_map_to_statuses_and_codes() {
    let v = ApiError::from(BillingError::invalid(
        "billing_profile.address.country",
        "is not a country",
    ));
    assert_eq!(
        (
            v.status.as_u16(),
            v.error.code.as_ref(),
            v.error.param.as_deref()
        ),
        (
            400,
            "parameter_invalid",
            Some("billing_profile.address.country")
        )
    );
    assert_eq!(
        ApiError::from(BillingError::invalid("name", "is required"))
            .error
            .code,
        "parameter_missing"
    );
    let e = ApiError::from(BillingError::InsufficientCredits {
        balance: 5,
        available: 3,
        requested: 10,
        shortfall: 7,
    });
    assert_eq!(
        (e.status.as_u16(), e.error.code.as_ref(), e.error.shortfall),
        (402, "insufficient_credits", Some(7))
    );
    assert_eq!(
        ApiError::from(BillingError::Forbidden("no".into()))
            .status
            .as_u16(),
        403
    );
    assert_eq!(
        ApiError::from(BillingError::Unauthenticated("no".into()))
            .status
            .as_u16(),
        401
    );
    assert_eq!(
        ApiError::from(BillingError::conflict("slug_taken", "x"))
            .status
            .as_u16(),
        409
    );
    assert_eq!(
        ApiError::from(BillingError::not_found("account", "acct_x"))
            .error
            .kind,
        ErrorType::NotFound
    );
    assert_eq!(
        ApiError::from(BillingError::invalid("id", "bad"))
            .status
            .as_u16(),
        404,
        "malformed path ids are not found"
    );
}
