//! The `billing` binary: `serve`, `migrate`, `seed`, `backup`, `portal-link`, `api-key create`.

use anyhow::Context as _;
use billing_api::cli::{ApiKeyCommand, Cli, Command};
use billing_api::config::Config;
use billing_api::store::StoreHandle;
use billing_domain::entities::audit::RequestContext;
use billing_domain::services::Services;
use billing_domain::services::api_keys::CreateApiKeyInput;
use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut config = Config::load(cli.config.as_deref()).context("loading configuration")?;
    billing_api::telemetry::init(&config);
    match cli.command {
        Command::Serve { bind } => {
            if let Some(b) = bind {
                config.bind = b;
            }
            billing_api::server::run(config).context("serving")?;
        }
        Command::Migrate => {
            open(&config)?;
        }
        Command::Seed => {
            let services = services(&config)?;
            let rt = runtime()?;
            let report = rt
                .block_on(billing_api::seed::run(&services))
                .map_err(|e| anyhow::anyhow!("seeding: {e}"))?;
            let tax_rates = rt
                .block_on(billing_api::seed_tax::run(&services))
                .map_err(|e| anyhow::anyhow!("seeding tax rates: {e}"))?;
            tracing::info!(
                packages = report.packages_created,
                plans = report.plans_created,
                payment_method_configs = report.payment_method_configs_created,
                tax_rates,
                "seed finished"
            );
        }
        Command::PortalLink {
            account,
            sample,
            return_url,
            base_url,
        } => {
            // The two use cases it needs, not the whole server state (no OpenAPI, no gateways).
            let services = services(&config)?;
            let sessions = billing_domain::services::PortalSessionService::new(
                services.repos.clone(),
                services.clock.clone(),
                config.portal.sessions.clone(),
            );
            let rt = runtime()?;
            let account = match (account, sample) {
                (Some(a), _) => a,
                (None, _) => rt
                    .block_on(billing_api::seed_sample::sample_account(&services))
                    .map_err(|e| anyhow::anyhow!("creating the sample account: {e}"))?
                    .to_string(),
            };
            let input = billing_domain::services::portal_sessions::CreatePortalSessionInput {
                account_id: Some(account),
                return_url: Some(return_url),
                flow: None,
            };
            let (token, link) = rt
                .block_on(sessions.create_link(&RequestContext::system(), input))
                .map_err(|e| anyhow::anyhow!("creating the portal link: {e}"))?;
            let base = base_url
                .or_else(|| config.portal.public_url.clone())
                .unwrap_or_else(|| format!("http://{}", config.bind));
            tracing::info!(account = %link.account_id, expires_at = %link.expires_at, "portal link created; it works once, for 10 minutes");
            println!("{}/portal/s/{}", base.trim_end_matches('/'), token.0);
        }
        Command::Backup { to } => {
            let store = StoreHandle::open(&config.database_url, 1)?;
            store
                .backup_to(&to)
                .with_context(|| format!("backing up to {}", to.display()))?;
            tracing::info!(to = %to.display(), "backup written");
        }
        Command::ApiKey {
            command:
                ApiKeyCommand::Create {
                    scope,
                    account,
                    name,
                },
        } => {
            let services = services(&config)?;
            let input = CreateApiKeyInput {
                name,
                scope: Some(scope.as_str().to_owned()),
                account_id: account,
            };
            let (key, secret) = runtime()?
                .block_on(services.api_keys.create(&RequestContext::system(), input))
                .map_err(|e| anyhow::anyhow!("creating the API key: {e}"))?;
            tracing::info!(id = %key.id, scope = %key.scope, "API key created; the secret is printed once on stdout");
            println!("{}", secret.0);
        }
    }
    Ok(())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Opens and migrates the store.
fn open(config: &Config) -> anyhow::Result<StoreHandle> {
    let store = StoreHandle::open(&config.database_url, config.db_pool_size.min(4))?;
    store.migrate()?;
    Ok(store)
}

fn services(config: &Config) -> anyhow::Result<Services> {
    let store = open(config)?;
    Ok(billing_api::app::services(
        store.repos.clone(),
        config,
        std::sync::Arc::new(billing_domain::ports::SystemClock),
    ))
}
