//! Retention: which checkpoints a prune may remove.

use std::collections::{BTreeSet, HashMap};

use stategraph_core::checkpoint::{CheckpointId, CheckpointRecord, RecordKind};

/// The checkpoints of a thread (its `history`, newest first) that a prune
/// keeping the newest `keep_last` (at least 1) may remove: every one except
/// those and the checkpoints they need to be rebuilt, their delta chains
/// back to a snapshot. The latest checkpoint is always kept, so an
/// interrupted or unfinished run stays resumable.
pub(crate) fn removable(history: &[CheckpointRecord], keep_last: usize) -> Vec<CheckpointId> {
    let by_id: HashMap<CheckpointId, &CheckpointRecord> = history.iter().map(|r| (r.id, r)).collect();
    let mut keep: BTreeSet<CheckpointId> = BTreeSet::new();
    for record in history.iter().take(keep_last.max(1)) {
        let mut at = Some(record);
        while let Some(record) = at {
            if !keep.insert(record.id) {
                break;
            }
            at = match record.kind {
                RecordKind::Snapshot => None,
                RecordKind::Delta => record.parent.and_then(|p| by_id.get(&p).copied()),
            };
        }
    }
    history.iter().map(|r| r.id).filter(|id| !keep.contains(id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u64, kind: RecordKind) -> CheckpointRecord {
        CheckpointRecord {
            id: CheckpointId::new(id),
            parent: id.checked_sub(1).filter(|&p| p > 0).map(CheckpointId::new),
            step: id,
            created_at_ms: 0,
            kind,
            body: Vec::new(),
        }
    }

    #[test]
    fn keeps_the_newest_and_the_chains_they_need() {
        use RecordKind::{Delta, Snapshot};
        // 1 S, 2 D, 3 D, 4 S, 5 D, 6 D; newest first.
        let kinds = [Snapshot, Delta, Delta, Snapshot, Delta, Delta];
        let mut history: Vec<_> = kinds.iter().enumerate().map(|(i, &k)| record(i as u64 + 1, k)).collect();
        history.reverse();
        let ids = |v: Vec<CheckpointId>| v.into_iter().map(CheckpointId::as_u64).collect::<Vec<_>>();
        assert_eq!(ids(removable(&history, 2)), [3, 2, 1], "6 and 5 need 4");
        assert!(removable(&history, 4).is_empty(), "3 is kept, and with it the chain 2, 1 it needs");
        assert_eq!(ids(removable(&history, 0)), [3, 2, 1], "the latest is always kept");
    }
}
