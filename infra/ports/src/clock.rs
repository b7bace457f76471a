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

/// Real time shifted by an offset that can be moved forward or set outright.
#[derive(Default)]
pub struct MovableClock {
    offset: RwLock<SignedDuration>,
}

impl MovableClock {
    pub fn advance(&self, by: SignedDuration) {
        let mut offset = self.offset.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        *offset = offset.saturating_add(by);
    }

    pub fn set(&self, to: Timestamp) {
        let mut offset = self.offset.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        *offset = to.duration_since(Timestamp::now());
    }
}

impl Clock for MovableClock {
    fn now(&self) -> Timestamp {
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
    fn ids_carry_their_prefix() {
        let id = RandomIds.new_id("sel");
        assert!(id.starts_with("sel_") && id.len() == 30, "{id}");
        assert_ne!(id, RandomIds.new_id("sel"));
    }
}
