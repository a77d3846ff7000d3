//! Starting the HTTP server: open and migrate the store, bind, start the background sweeps,
//! shut down gracefully. [`start`] runs it on its own thread (tests start the real server on
//! port 0 with it); [`run`] blocks until SIGINT/SIGTERM, then drains and stops in order
//! ([`crate::lifecycle`]; the `serve` command).

use std::net::SocketAddr;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::web::Data;
use actix_web::{HttpServer, rt};
use billing_domain::ports::{Clock, SystemClock, TestClock};

use crate::app::{self, AppState};
use crate::config::Config;
use crate::store::{StoreError, StoreHandle};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The address could not be bound.
    #[error("cannot listen on {bind}: {source}")]
    Bind {
        /// The address.
        bind: String,
        /// Why.
        source: std::io::Error,
    },
    /// The server thread died.
    #[error("the server thread stopped unexpectedly: {0}")]
    Thread(String),
}

/// A server running on its own thread.
pub struct RunningServer {
    /// The bound address (the real port when configured with port 0).
    pub addr: SocketAddr,
    /// `postgres`, `sqlite` or `memory`.
    pub backend: &'static str,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops gracefully (in-flight requests finish) and waits for the thread.
    pub async fn stop(mut self) {
        self.handle.stop(true).await;
        if let Some(t) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if self.thread.is_some() {
            // Sends the stop command at once; the thread winds down on its own.
            drop(self.handle.stop(false));
        }
    }
}

/// Opens and migrates the store, and wires the application state (blocking).
pub fn prepare(config: &Config) -> Result<Data<AppState>, ServerError> {
    let store = StoreHandle::open(&config.database_url, config.db_pool_size)?;
    store.migrate()?;
    tracing::info!(backend = store.backend, "store ready");
    if config.test_mode {
        tracing::warn!(
            "BILLING_TEST_MODE is on: POST /v1/test/clock moves this server's clock forward \
             (renewals, retries and expiries follow it); never run production like this"
        );
        return Ok(Data::new(AppState::with_test_clock(
            store,
            config,
            Arc::new(TestClock::new()),
        )));
    }
    Ok(Data::new(AppState::new(store, config)))
}

/// A bound server, its address and its sweeps task.
type Bound = (
    actix_web::dev::Server,
    SocketAddr,
    tokio::task::JoinHandle<()>,
);

/// Binds the server (signals are handled by [`run`], in order) and starts the sweeps.
fn bind(config: &Config, state: Data<AppState>) -> Result<Bound, ServerError> {
    let factory_state = state.clone();
    let mut server = HttpServer::new(move || app::build(factory_state.clone()))
        .workers(config.workers)
        .backlog(4096)
        .shutdown_timeout(10)
        .client_request_timeout(config.client_request_timeout)
        .bind(&config.bind)
        .map_err(|source| ServerError::Bind {
            bind: config.bind.clone(),
            source,
        })?;
    server = server.disable_signals();
    let addr = server
        .addrs()
        .first()
        .copied()
        .ok_or_else(|| ServerError::Bind {
            bind: config.bind.clone(),
            source: std::io::Error::other("no address"),
        })?;
    let server = server.run();
    let sweeps = rt::spawn(sweeps(
        state,
        config.sweep_interval,
        config.idempotency_retention,
        !config.test_mode,
    ));
    Ok((server, addr, sweeps))
}

/// Background sweeps every `interval`: the subscription scheduler, then the janitors
/// ([`sweep_once`]); old idempotency records are purged hourly. The first pass runs at once
/// when `first_pass_now` (a restarted process catches up), else after one interval: in test
/// mode the test clock drives the passes, and a pass of its own at start would race a test
/// that moves the clock right after starting the server.
async fn sweeps(
    state: Data<AppState>,
    interval: Duration,
    retention: Duration,
    first_pass_now: bool,
) {
    let mut ticker = pass_ticker(interval, first_pass_now);
    let mut last_purge: Option<std::time::Instant> = None;
    // The janitors are singletons across processes on one database: this process runs them
    // while it holds their lease, renewed every pass (the scheduler claims per subscription).
    let lease = time::Duration::try_from(interval * 3)
        .unwrap_or(time::Duration::seconds(30))
        .max(time::Duration::seconds(30));
    let holder = state.process_id.clone();
    // Mail runs beside the sweeps in every process (the queue's leases share it out) and
    // stops with them.
    let mail = rt::spawn(crate::mail_worker::run(
        state.clone(),
        interval,
        first_pass_now,
    ));
    while next_pass(&mut ticker, &state.lifecycle).await {
        match state.payments.subscriptions.run_due().await {
            Ok(r) if r.steps == 0 && r.failures == 0 => {}
            Ok(r) => tracing::info!(
                steps = r.steps,
                failures = r.failures,
                "subscription scheduler ran"
            ),
            Err(e) => tracing::warn!(error = %e, "subscription scheduler failed"),
        }
        let now = state.services.clock.now();
        match state
            .services
            .repos
            .job_leases
            .acquire(JANITORS, &holder, now, now + lease)
            .await
        {
            Ok(true) => {}
            // Another process runs them now.
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "could not take the janitors' lease");
                continue;
            }
        }
        sweep_once(&state).await;
        if last_purge.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600)) {
            let cutoff = state.services.clock.now()
                - time::Duration::try_from(retention).unwrap_or(time::Duration::DAY);
            match state.services.repos.idempotency.purge_before(cutoff).await {
                Ok(n) => {
                    last_purge = Some(std::time::Instant::now());
                    if n > 0 {
                        tracing::info!(purged = n, "purged old idempotency records");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "idempotency purge failed"),
            }
            match state.portal.sessions.prune().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(pruned = n, "pruned ended portal links and sessions"),
                Err(e) => tracing::warn!(error = %e, "portal session prune failed"),
            }
        }
    }
    let _ = mail.await;
    // Shutting down: another process may take the janitors over at once.
    if let Err(e) = state
        .services
        .repos
        .job_leases
        .release(JANITORS, &holder)
        .await
    {
        tracing::warn!(error = %e, "could not give the janitors' lease up");
    }
}

/// A ticker of background passes every `interval`, the first at once when `first_pass_now`;
/// a pass that overruns delays the next instead of bunching them up.
pub(crate) fn pass_ticker(interval: Duration, first_pass_now: bool) -> tokio::time::Interval {
    let start = if first_pass_now {
        tokio::time::Instant::now()
    } else {
        tokio::time::Instant::now() + interval
    };
    let mut ticker = tokio::time::interval_at(start, interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker
}

/// Waits for the next tick of `ticker`; `false` once the sweeps are stopping.
pub(crate) async fn next_pass(
    ticker: &mut tokio::time::Interval,
    lifecycle: &crate::lifecycle::Lifecycle,
) -> bool {
    tokio::select! {
        _ = ticker.tick() => {}
        () = lifecycle.sweeps_stopping() => return false,
    }
    !lifecycle.sweeps_should_stop()
}

/// The lease name of the janitor passes ([`sweep_once`] and the idempotency purge).
pub const JANITORS: &str = "janitors";

/// One pass of the janitors: expire due holds, cancel unpaid manual payments, ask the
/// gateways about uncertain payments and unacknowledged refunds. The test clock runs it at
/// every instant it stops at.
pub async fn sweep_once(state: &AppState) {
    match state.services.credits.expire_due(500).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(expired = n, "expired due reservations"),
        Err(e) => tracing::warn!(error = %e, "reservation expiry sweep failed"),
    }
    match state.services.lots.expire_due(500).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(expired = n, "expired due credit lots"),
        Err(e) => tracing::warn!(error = %e, "credit lot expiry sweep failed"),
    }
    match state.payments.manual.expire_due(500).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(canceled = n, "canceled expired manual payments"),
        Err(e) => tracing::warn!(error = %e, "manual payment expiry sweep failed"),
    }
    match state.payments.events.resolve_uncertain(50).await {
        Ok(r) if r.examined == 0 => {}
        Ok(r) => tracing::info!(
            examined = r.examined,
            resolved = r.resolved,
            remaining = r.remaining,
            "asked the gateways about uncertain payments"
        ),
        Err(e) => tracing::warn!(error = %e, "uncertain-payment janitor failed"),
    }
    // Refunds whose call timed out: asked again after a minute, for up to 23 hours (Stripe
    // forgets idempotency keys after 24); older ones need an operator.
    let (min_age, max_age) = (time::Duration::MINUTE, time::Duration::hours(23));
    match state
        .payments
        .refunds
        .retry_unacknowledged(min_age, max_age, 50)
        .await
    {
        Ok((0, _)) => {}
        Ok((asked, known)) => {
            tracing::info!(
                asked,
                known,
                "asked the gateways again about unacknowledged refunds"
            );
        }
        Err(e) => tracing::warn!(error = %e, "refund janitor failed"),
    }
}

/// Opens the configured store, then [`start_with_store`].
pub fn start(config: Config) -> Result<RunningServer, ServerError> {
    let store = StoreHandle::open(&config.database_url, config.db_pool_size)?;
    start_with_store(config, store)
}

/// Migrates `store` and serves it on its own thread; returns once it listens. Tests use this
/// to share the store with the server (e.g. to create the first admin key).
pub fn start_with_store(config: Config, store: StoreHandle) -> Result<RunningServer, ServerError> {
    start_with_clock(config, store, Arc::new(SystemClock))
}

/// Like [`start_with_store`], on a test clock that `POST /v1/test/clock` moves when
/// `config.test_mode` is on (tests may also move it directly).
pub fn start_with_test_clock(
    config: Config,
    store: StoreHandle,
    clock: Arc<TestClock>,
) -> Result<RunningServer, ServerError> {
    store.migrate()?;
    let state = Data::new(AppState::with_test_clock(store, &config, clock));
    serve_state(config, state)
}

/// Like [`start_with_store`], with the clock every use case and sweep reads (tests move it).
pub fn start_with_clock(
    config: Config,
    store: StoreHandle,
    clock: Arc<dyn Clock>,
) -> Result<RunningServer, ServerError> {
    store.migrate()?;
    let state = Data::new(AppState::with_clock(store, &config, clock));
    serve_state(config, state)
}

fn serve_state(config: Config, state: Data<AppState>) -> Result<RunningServer, ServerError> {
    let backend = state.store.backend;
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("billing-server".into())
        .spawn(move || {
            rt::System::new().block_on(async move {
                match bind(&config, state) {
                    Ok((server, addr, _sweeps)) => {
                        let _ = tx.send(Ok((server.handle(), addr)));
                        if let Err(e) = server.await {
                            tracing::error!(error = %e, "server stopped with an error");
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            });
        })
        .map_err(|e| ServerError::Thread(e.to_string()))?;
    match rx.recv() {
        Ok(Ok((handle, addr))) => Ok(RunningServer {
            addr,
            backend,
            handle,
            thread: Some(thread),
        }),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => Err(ServerError::Thread("it exited before listening".into())),
    }
}

/// How long shutdown waits for the sweeps' current pass.
const SWEEPS_GRACE: Duration = Duration::from_secs(60);

/// Serves until SIGINT or SIGTERM, then shuts down in order (see [`crate::lifecycle`]).
pub fn run(config: Config) -> Result<(), ServerError> {
    rt::System::new().block_on(async move {
        let state = prepare(&config)?;
        let (server, addr, sweeps) = bind(&config, state.clone())?;
        tracing::info!(%addr, workers = config.workers, "billing API listening");
        let handle = server.handle();
        let drain = config.shutdown_drain;
        rt::spawn(async move {
            let signal = crate::lifecycle::termination().await;
            state.lifecycle.begin_drain();
            if signal == crate::lifecycle::Termination::Terminate {
                tracing::info!(
                    drain_seconds = drain.as_secs(),
                    "shutting down: not ready, still serving while the load balancer drains"
                );
                tokio::time::sleep(drain).await;
            } else {
                tracing::info!("interrupted: shutting down without a drain period");
            }
            state.lifecycle.stop_sweeps();
            if tokio::time::timeout(SWEEPS_GRACE, sweeps).await.is_err() {
                tracing::warn!("the sweeps did not finish their pass in time");
            }
            tracing::info!("no longer accepting; finishing requests in flight");
            handle.stop(true).await;
        });
        server
            .await
            .map_err(|e| ServerError::Thread(e.to_string()))?;
        tracing::info!("server stopped");
        Ok(())
    })
}
