//! The rule "which payment methods does an account in country X, paying amount Y in currency
//! Z, see, and in which order". Pure: configs in, decisions out, with a reason for every
//! method left out.
//!
//! 1. A config applies to the account's country, or to every country (`country: null`).
//!    For a method that has at least one config for the account's country, the default
//!    configs of that method are *overridden* (so an operator can disable PayPal in one country).
//! 2. An applicable config is offered when it is enabled, its gateway is usable in this
//!    deployment, it accepts the currency, and the amount (if known) is within its limits.
//! 3. Offered methods are ordered by `sort_order`, then country-specific before default,
//!    then method name, then id — a total order, so the list is stable.

use serde::Serialize;

use crate::entities::PaymentMethodConfig;
use crate::services::GatewayAvailability;
use crate::types::{CountryCode, Currency};

/// Why a config is not offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ExclusionReason {
    /// The config is for another country.
    OtherCountry {
        /// The config's country.
        country: CountryCode,
    },
    /// The account has no billing country yet, and the config is country-specific.
    NoBillingCountry,
    /// A config of the same method for the account's country replaces this default.
    OverriddenByCountryConfig,
    /// Switched off by an operator.
    Disabled,
    /// Stripe or PayPal credentials are not configured in this deployment.
    GatewayUnavailable {
        /// The detail.
        detail: String,
    },
    /// The currency is not accepted.
    CurrencyNotAccepted {
        /// What is accepted.
        accepted: Vec<Currency>,
    },
    /// The amount is below the method's minimum.
    BelowMinimum {
        /// Minimum in minor units.
        min: i64,
    },
    /// The amount is above the method's maximum.
    AboveMaximum {
        /// Maximum in minor units.
        max: i64,
    },
}

impl ExclusionReason {
    /// A sentence for people.
    pub fn message(&self) -> String {
        match self {
            Self::OtherCountry { country } => format!("configured for {country} only"),
            Self::NoBillingCountry => {
                "the account has no billing country; add a billing profile".into()
            }
            Self::OverriddenByCountryConfig => {
                "replaced by a configuration for the account's country".into()
            }
            Self::Disabled => "disabled by an operator".into(),
            Self::GatewayUnavailable { detail } => detail.clone(),
            Self::CurrencyNotAccepted { accepted } => {
                format!(
                    "accepts only {}",
                    accepted
                        .iter()
                        .map(Currency::code)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            Self::BelowMinimum { min } => format!("amount below the minimum of {min} minor units"),
            Self::AboveMaximum { max } => format!("amount above the maximum of {max} minor units"),
        }
    }
}

/// The decision for one config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MethodDecision {
    /// The config.
    pub config: PaymentMethodConfig,
    /// Offered to the account.
    pub offered: bool,
    /// Why not, when not offered.
    pub reason: Option<ExclusionReason>,
    /// The reason as a sentence.
    pub message: Option<String>,
}

/// Decides every config for an account in `country` paying `amount` (if known) in `currency`.
/// Offered configs come first in the payer's order; excluded ones follow, in the same order.
pub fn resolve(
    country: Option<CountryCode>,
    currency: Currency,
    amount: Option<i64>,
    configs: &[PaymentMethodConfig],
    gateways: &GatewayAvailability,
) -> Vec<MethodDecision> {
    let overridden = |c: &PaymentMethodConfig| {
        c.country.is_none()
            && country.is_some()
            && configs
                .iter()
                .any(|o| o.method == c.method && o.country == country)
    };
    let reason_for = |c: &PaymentMethodConfig| -> Option<ExclusionReason> {
        match (c.country, country) {
            (Some(_), None) => return Some(ExclusionReason::NoBillingCountry),
            (Some(cc), Some(ac)) if cc != ac => {
                return Some(ExclusionReason::OtherCountry { country: cc });
            }
            _ => {}
        }
        if overridden(c) {
            return Some(ExclusionReason::OverriddenByCountryConfig);
        }
        if !c.enabled {
            return Some(ExclusionReason::Disabled);
        }
        if let Some(detail) = gateways.reason_unavailable(c.method) {
            return Some(ExclusionReason::GatewayUnavailable {
                detail: detail.to_owned(),
            });
        }
        if !c.accepts(currency) {
            return Some(ExclusionReason::CurrencyNotAccepted {
                accepted: c.currencies.clone(),
            });
        }
        if let (Some(limit), Some(amount)) = (c.limit_for(currency), amount) {
            if let Some(min) = limit.min.filter(|m| amount < *m) {
                return Some(ExclusionReason::BelowMinimum { min });
            }
            if let Some(max) = limit.max.filter(|m| amount > *m) {
                return Some(ExclusionReason::AboveMaximum { max });
            }
        }
        None
    };
    let mut decisions: Vec<MethodDecision> = configs
        .iter()
        .map(|c| {
            let reason = reason_for(c);
            MethodDecision {
                config: c.clone(),
                offered: reason.is_none(),
                message: reason.as_ref().map(ExclusionReason::message),
                reason,
            }
        })
        .collect();
    decisions.sort_by(|a, b| {
        (
            !a.offered,
            a.config.sort_order,
            a.config.country.is_none(),
            a.config.method,
            a.config.id.as_str(),
        )
            .cmp(&(
                !b.offered,
                b.config.sort_order,
                b.config.country.is_none(),
                b.config.method,
                b.config.id.as_str(),
            ))
    });
    decisions
}
