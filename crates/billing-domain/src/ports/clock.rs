//! Time as a port, so tests can travel.

use std::sync::Mutex;

use time::OffsetDateTime;

/// The source of "now" for every use case.
pub trait Clock: Send + Sync {
    /// Current UTC time.
    fn now(&self) -> OffsetDateTime;
}

/// The real clock, truncated to microseconds: both stores keep microseconds, so a value
/// written and read back compares equal.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
            .unwrap_or(now)
    }
}

/// A clock that stands still until moved.
#[derive(Debug)]
pub struct FixedClock(Mutex<OffsetDateTime>);

impl FixedClock {
    /// A clock at `at`.
    pub fn new(at: OffsetDateTime) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock forward (or back) by `by`.
    pub fn advance(&self, by: time::Duration) {
        let mut t = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *t += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The system clock moved forward by an offset that only grows: the test clock of
/// `BILLING_TEST_MODE`. Time keeps flowing between moves, so timestamps stay distinct.
#[derive(Debug, Default)]
pub struct TestClock(Mutex<time::Duration>);

impl TestClock {
    /// A clock reading the system time.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves every later reading forward by `by` (negative moves are ignored).
    pub fn advance(&self, by: time::Duration) {
        let mut offset = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *offset += by.max(time::Duration::ZERO);
    }

    /// Makes `now()` read `to` (and flow on from there). Refused with the current time when
    /// `to` is before it: the clock never moves backwards.
    pub fn set(&self, to: OffsetDateTime) -> Result<(), OffsetDateTime> {
        let mut offset = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let real = SystemClock.now();
        let now = real + *offset;
        if to < now {
            return Err(now);
        }
        *offset = to - real;
        Ok(())
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        SystemClock.now()
            + *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
