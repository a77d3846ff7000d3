//! Shutting down without dropping work: on SIGTERM the process first reports itself not
//! ready (`/readyz` answers 503 `shutting_down`, so a load balancer stops sending it
//! traffic) while it keeps serving for the drain period (SIGINT, Ctrl-C, skips the wait); then the background sweeps stop
//! after the pass they are in (the scheduler releases each claim as it finishes, so none is
//! left held), the server stops accepting and lets in-flight requests finish (bounded by the
//! server's shutdown timeout), and the store's pool closes with the last reference to it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// The process's shutdown state, shared by the signal task, `/readyz` and the sweeps.
#[derive(Debug, Default)]
pub struct Lifecycle {
    draining: AtomicBool,
    stop_sweeps: Notify,
    sweeps_stopped: AtomicBool,
}

impl Lifecycle {
    /// Whether shutdown has begun (`/readyz` then answers 503).
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Begins shutdown: not ready from now on.
    pub fn begin_drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Asks the sweeps to stop after their current pass.
    pub fn stop_sweeps(&self) {
        self.sweeps_stopped.store(true, Ordering::SeqCst);
        self.stop_sweeps.notify_waiters();
    }

    /// Resolves once [`Self::stop_sweeps`] was called (at once if it already was).
    pub async fn sweeps_stopping(&self) {
        let notified = self.stop_sweeps.notified();
        if self.sweeps_stopped.load(Ordering::SeqCst) {
            return;
        }
        notified.await;
    }

    /// Whether the sweeps were asked to stop.
    pub fn sweeps_should_stop(&self) -> bool {
        self.sweeps_stopped.load(Ordering::SeqCst)
    }
}

/// The signal that asked the process to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    /// SIGTERM: an orchestrator or a load balancer's deploy; drain first.
    Terminate,
    /// SIGINT (Ctrl-C at a terminal): a person waiting; no drain period.
    Interrupt,
}

/// Resolves on SIGTERM or SIGINT, saying which.
pub async fn termination() -> Termination {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            return tokio::select! {
                _ = term.recv() => Termination::Terminate,
                _ = int.recv() => Termination::Interrupt,
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    Termination::Interrupt
}

/// How long a draining process keeps serving before it stops accepting.
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(5);
