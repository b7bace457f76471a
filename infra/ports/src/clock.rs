use std::sync::RwLock;

use jiff::{SignedDuration, Timestamp};

/// The only source of "now": rules are handed it, and the local runner and tests move it.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// Real time shifted by an offset that can be moved forward or set outright, or held still at a
/// moment (while the local runner runs a schedule at its firing time).
#[derive(Default)]
pub struct MovableClock {
    offset: RwLock<SignedDuration>,
    held: RwLock<Option<Timestamp>>,
}

impl MovableClock {
    pub fn advance(&self, by: SignedDuration) {
        let mut offset = self.offset.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        *offset = offset.saturating_add(by);
        let mut held = self.held.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        *held = held.map(|at| at.saturating_add(by).unwrap_or(Timestamp::MAX));
    }

    pub fn set(&self, to: Timestamp) {
        let mut offset = self.offset.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        *offset = to.duration_since(Timestamp::now());
        let mut held = self.held.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        *held = held.map(|_| to);
    }

    /// Stops the clock at `at` until `resume`: every reading is `at`.
    pub fn hold(&self, at: Timestamp) {
        self.set(at);
        *self.held.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(at);
    }

    /// Lets the clock run on from where it is held (or is, if it is not).
    pub fn resume(&self) {
        let at = self.now();
        *self.held.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
        self.set(at);
    }
}

impl Clock for MovableClock {
    fn now(&self) -> Timestamp {
        if let Some(at) = *self.held.read().unwrap_or_else(|poisoned| poisoned.into_inner()) {
            return at;
        }
        let offset = *self.offset.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        Timestamp::now().saturating_add(offset).unwrap_or(Timestamp::MAX)
    }
}

/// Identifiers: a type prefix and a ULID (`sel_01J…`), sortable by creation time.
pub trait Ids: Send + Sync {
    fn new_id(&self, prefix: &str) -> String;
}

pub struct RandomIds;

impl Ids for RandomIds {
    fn new_id(&self, prefix: &str) -> String {
        format!("{prefix}_{}", ulid::Ulid::generate().to_string().to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn movable_clock_moves() {
        let clock = MovableClock::default();
        let start = clock.now();
        clock.advance(SignedDuration::from_hours(24 * 8));
        assert!(clock.now().duration_since(start) >= SignedDuration::from_hours(24 * 8));
        let target: Timestamp = "2030-01-01T00:00:00Z".parse().expect("valid timestamp");
        clock.set(target);
        assert!(clock.now().duration_since(target).abs() < SignedDuration::from_secs(5));
    }

    #[test]
    fn a_held_clock_stands_still_until_it_resumes() {
        let clock = MovableClock::default();
        let at: Timestamp = "2026-11-26T03:00:00Z".parse().expect("valid timestamp");
        clock.hold(at);
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(clock.now(), at);
        clock.advance(SignedDuration::from_hours(1));
        assert_eq!(clock.now(), at.checked_add(SignedDuration::from_hours(1)).expect("a time"));
        clock.resume();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(clock.now() > at.checked_add(SignedDuration::from_hours(1)).expect("a time"), "runs on");
    }

    #[test]
    fn ids_carry_their_prefix() {
        let id = RandomIds.new_id("sel");
        assert!(id.starts_with("sel_") && id.len() == 30, "{id}");
        assert_ne!(id, RandomIds.new_id("sel"));
    }
}
