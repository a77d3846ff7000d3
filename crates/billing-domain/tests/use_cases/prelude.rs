//! What every use-case test names: the domain's public types, ports and services.
#![allow(unused_imports)]

pub(crate) use billing_domain::entities::*;
pub(crate) use billing_domain::error::*;
pub(crate) use billing_domain::ports::gateway::*;
pub(crate) use billing_domain::ports::*;
pub(crate) use billing_domain::services::gateway_events::*;
pub(crate) use billing_domain::services::payment_method_resolver::*;
pub(crate) use billing_domain::services::*;
pub(crate) use billing_domain::types::*;
pub(crate) use time::Duration;
