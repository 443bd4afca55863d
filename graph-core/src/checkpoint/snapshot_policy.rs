/// When a checkpoint stores the whole state rather than its step's writes.
///
/// A delta costs the bytes of its step's writes; rebuilding its state replays
/// the deltas back to the last snapshot. A snapshot is taken when the writes
/// since the last one reach twice its size, so snapshots never cost more
/// than half the bytes of the writes, however large the state grows, and a
/// rebuild decodes at most about three times the state's size; and, while
/// the state is small, at least every `interval` checkpoints, which keeps
/// rebuilds of small states to a few dozen deltas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotPolicy {
    /// Snapshot at least this often while the state is small (default 64).
    pub interval: u32,
    /// "Small": a last snapshot of at most this many bytes (default 1 KiB).
    pub small_state_bytes: usize,
}

impl Default for SnapshotPolicy {
    fn default() -> Self {
        Self { interval: 64, small_state_bytes: 1024 }
    }
}

impl SnapshotPolicy {
    /// Always snapshot: every checkpoint holds the whole state.
    pub fn always() -> Self {
        Self { interval: 1, small_state_bytes: usize::MAX }
    }

    /// Whether the next checkpoint should be a snapshot, given the deltas since
    /// the last snapshot (`deltas`, their write bytes `delta_bytes`, the next
    /// delta included) and that snapshot's size.
    pub fn wants_snapshot(&self, deltas: u32, delta_bytes: usize, snapshot_bytes: usize) -> bool {
        delta_bytes >= snapshot_bytes.saturating_mul(2)
            || (deltas >= self.interval && snapshot_bytes <= self.small_state_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_outgrowing_the_snapshot_trigger_one() {
        let p = SnapshotPolicy::default();
        assert!(!p.wants_snapshot(3, 190, 100));
        assert!(p.wants_snapshot(4, 200, 100));
    }

    #[test]
    fn interval_applies_to_small_states_only() {
        let p = SnapshotPolicy::default();
        assert!(p.wants_snapshot(64, 64 * 10, 1000));
        assert!(!p.wants_snapshot(64, 64 * 10, 4000));
        assert!(SnapshotPolicy::always().wants_snapshot(1, 0, 1 << 30));
    }
}
