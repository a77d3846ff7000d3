//! Value types: once parsed, they cannot hold bad data.

pub mod address;
pub mod billing_interval;
pub mod country;
pub mod credits;
pub mod currency;
pub mod email;
pub mod ids;
pub(crate) mod iso_date;
pub mod money;
pub mod page;
pub mod price_list;
pub mod tax_id;
pub mod text;

pub use address::Address;
pub use billing_interval::{BillingInterval, IntervalUnit};
pub use country::CountryCode;
pub use credits::Credits;
pub use currency::Currency;
pub use email::Email;
pub use ids::*;
pub use money::Money;
pub use page::{Page, PageRequest};
pub use price_list::{PriceInput, PriceList};
pub use tax_id::{TaxId, TaxIdKind};
pub use text::{BoundedText, Slug};
