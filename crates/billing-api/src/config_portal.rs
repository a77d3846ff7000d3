//! The billing portal's settings, from `BILLING_PUBLIC_URL` and `BILLING_PORTAL_*`.
//!
//! | env                              | meaning                                                        |
//! |----------------------------------|----------------------------------------------------------------|
//! | `BILLING_PUBLIC_URL`             | the base of portal links (`https://billing.example.com`); default: the scheme and host the API request came to |
//! | `BILLING_PORTAL_RETURN_ORIGINS`  | comma-separated origins a `return_url` must start with; default: any http(s) URL |
//! | `BILLING_PORTAL_FRAME_ANCESTORS` | space- or comma-separated origins allowed to embed the portal in a frame; default: none |
//! | `BILLING_PORTAL_IDLE_MINUTES`    | a session ends after this long without a request (default 30) |
//! | `BILLING_PORTAL_LIFETIME_HOURS`  | a session ends this long after it began (default 4)           |

use billing_domain::services::PortalSettings;

use crate::config::{ConfigError, parse_env};

/// The portal's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PortalConfig {
    /// Base URL of links; `None`: the API request's own scheme and host.
    pub public_url: Option<String>,
    /// Link and session lifetimes, allowed return origins.
    pub sessions: PortalSettings,
    /// Origins allowed to frame the portal.
    pub frame_ancestors: Vec<String>,
}

fn origins(name: &'static str, v: &str) -> Result<Vec<String>, ConfigError> {
    v.split([',', ' '])
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|o| {
            let ok = (o.starts_with("https://") || o.starts_with("http://"))
                && !o.trim_end_matches('/').contains(['?', '#', ';', '\'', '"']);
            if ok {
                Ok(o.trim_end_matches('/').to_owned())
            } else {
                Err(ConfigError::Env {
                    name,
                    value: v.to_owned(),
                    message: "must be http(s) origins such as https://app.example.com",
                })
            }
        })
        .collect()
}

/// Reads the portal's settings from the environment.
pub(crate) fn portal_config(
    env: &impl Fn(&str) -> Option<String>,
) -> Result<PortalConfig, ConfigError> {
    let mut c = PortalConfig::default();
    if let Some(v) = env("BILLING_PUBLIC_URL") {
        let url = origins("BILLING_PUBLIC_URL", &v)?;
        c.public_url = url.into_iter().next();
    }
    if let Some(v) = env("BILLING_PORTAL_RETURN_ORIGINS") {
        c.sessions.return_origins = origins("BILLING_PORTAL_RETURN_ORIGINS", &v)?;
    }
    if let Some(v) = env("BILLING_PORTAL_FRAME_ANCESTORS") {
        c.frame_ancestors = origins("BILLING_PORTAL_FRAME_ANCESTORS", &v)?;
    }
    if let Some(v) = env("BILLING_PORTAL_IDLE_MINUTES") {
        let m: u16 = parse_env(
            "BILLING_PORTAL_IDLE_MINUTES",
            v,
            "must be 1 to 1440 minutes",
        )?;
        c.sessions.idle_timeout = time::Duration::minutes(i64::from(m.clamp(1, 1440)));
    }
    if let Some(v) = env("BILLING_PORTAL_LIFETIME_HOURS") {
        let h: u16 = parse_env("BILLING_PORTAL_LIFETIME_HOURS", v, "must be 1 to 72 hours")?;
        c.sessions.lifetime = time::Duration::hours(i64::from(h.clamp(1, 72)));
    }
    Ok(c)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_checks_the_portal_settings() {
        let env = |k: &str| match k {
            "BILLING_PUBLIC_URL" => Some("https://billing.example.com/".to_owned()),
            "BILLING_PORTAL_RETURN_ORIGINS" => {
                Some("https://app.example.com, https://www.example.com".to_owned())
            }
            "BILLING_PORTAL_IDLE_MINUTES" => Some("15".to_owned()),
            _ => None,
        };
        let c = portal_config(&env).unwrap();
        assert_eq!(c.public_url.as_deref(), Some("https://billing.example.com"));
        assert_eq!(c.sessions.return_origins.len(), 2);
        assert_eq!(c.sessions.idle_timeout, time::Duration::minutes(15));
        assert!(c.frame_ancestors.is_empty());
        let bad =
            |k: &str| (k == "BILLING_PORTAL_FRAME_ANCESTORS").then(|| "javascript:x".to_owned());
        assert!(portal_config(&bad).is_err());
    }
}
