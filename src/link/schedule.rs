//! When each chunk of a link direction leaves: the link is one shared
//! resource per direction, free again once a chunk's serialization time has
//! passed, and readers are paced so they stay just ahead of it.

use super::LinkSpec;
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

/// How late a tokio timer may wake on a busy machine: a few of its
/// millisecond ticks.
const TIMER_SLACK: std::time::Duration = std::time::Duration::from_millis(5);

/// One direction of the link: when it is next free.
pub struct Direction {
    free_at: Mutex<Instant>,
}

impl Direction {
    pub fn new() -> Arc<Direction> {
        Arc::new(Direction {
            free_at: Mutex::new(Instant::now()),
        })
    }

    /// Books the link for `bytes` read now; returns when they have left.
    pub fn depart(&self, spec: &LinkSpec, bytes: usize) -> Instant {
        let mut free_at = self.free_at.lock().unwrap_or_else(|e| e.into_inner());
        let start = (*free_at).max(Instant::now());
        *free_at = start + spec.serialization(bytes);
        *free_at
    }

    /// The sender's queue drains at the link's pace: push back on it, but
    /// stay ahead of the link by a chunk or by the timer's slack (tokio
    /// wakes sleepers on millisecond ticks, often a tick late), whichever is
    /// longer, so a lone busy connection never leaves the link idle.
    pub async fn pace(&self, spec: &LinkSpec, departed: Instant, chunk: usize) {
        let lookahead = spec.serialization(chunk).max(TIMER_SLACK);
        if departed > Instant::now() + lookahead {
            tokio::time::sleep_until(departed - lookahead).await;
        }
    }
}
