//! The `billing` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// The billing platform: HTTP API server and administration commands.
#[derive(Debug, Parser)]
#[command(name = "billing", version, about)]
pub struct Cli {
    /// Optional TOML configuration file (environment variables override it).
    #[arg(long, global = true, env = "BILLING_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, then serve the HTTP API until SIGINT/SIGTERM.
    Serve {
        /// Address to listen on (overrides BILLING_BIND).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Create the sample packages and payment method configs (idempotent).
    Seed,
    /// Copy the SQLite database to FILE while the service runs (a consistent snapshot;
    /// restore by stopping the service and putting FILE in the database's place). For
    /// PostgreSQL use `pg_dump`.
    Backup {
        /// Where to write the copy; must not exist.
        #[arg(long)]
        to: PathBuf,
    },
    /// Print a one-time billing-portal link (10 minutes) for an account, or for the seeded
    /// sample account with `--sample` (created if missing).
    PortalLink {
        /// The account (`acct_…`).
        #[arg(long, conflicts_with = "sample", required_unless_present = "sample")]
        account: Option<String>,
        /// Use the sample account `make run` seeds.
        #[arg(long)]
        sample: bool,
        /// Where the portal's "Return to app" link leads.
        #[arg(long, default_value = "http://localhost:3000/")]
        return_url: String,
        /// The base of the link (default: `BILLING_PUBLIC_URL`, else `http://<bind>`).
        #[arg(long)]
        base_url: Option<String>,
    },
    /// API key administration.
    ApiKey {
        /// What to do with keys.
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
}

/// API key subcommands.
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key; prints the secret alone on one line of stdout (shown once).
    Create {
        /// The key's scope.
        #[arg(long, value_enum)]
        scope: ScopeArg,
        /// The account an `account` key is bound to.
        #[arg(long)]
        account: Option<String>,
        /// What the key is for.
        #[arg(long)]
        name: Option<String>,
    },
}

/// Key scopes on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScopeArg {
    /// Operators: everything.
    Admin,
    /// The platform's backend: any account, no operator actions.
    Service,
    /// One account only.
    Account,
}

impl ScopeArg {
    /// The scope's API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Service => "service",
            Self::Account => "account",
        }
    }
}
