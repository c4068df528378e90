//! [`CancellationToken`]: how a caller stops a long-running task of this crate (the poller).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

/// A token that asks a task to stop; clones share the state, cancelling one cancels them all.
///
/// The crate's own type and part of its semver promise (no runtime library's type is exposed).
///
/// ```
/// use classroom_api::CancellationToken;
///
/// let shutdown = CancellationToken::new();
/// let child = shutdown.child_token();
/// shutdown.cancel();
/// assert!(child.is_cancelled());
/// ```
#[derive(Clone, Default)]
pub struct CancellationToken(Arc<Node>);

#[derive(Default)]
struct Node {
    cancelled: AtomicBool,
    notify: Notify,
    /// Children not yet cancelled, held strongly so that a grandchild still follows this token
    /// after its own parent's handles are dropped; unreachable ones are pruned when a child is added.
    children: Mutex<Vec<Arc<Node>>>,
}

impl Node {
    fn cancel(&self) {
        if self.cancelled.swap(true, Ordering::AcqRel) {
            return;
        }
        self.notify.notify_waiters();
        // Taken after the flag is set: a child added concurrently either sees the flag or is here.
        let children = std::mem::take(&mut *lock(&self.children));
        for child in children {
            child.cancel();
        }
    }

    /// Whether no handle can observe this node any more: only its parent holds it, and the same
    /// holds for all its descendants.
    fn unreachable(self: &Arc<Self>) -> bool {
        Arc::strong_count(self) == 1 && lock(&self.children).iter().all(Node::unreachable)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl CancellationToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels this token, its clones and its children; idempotent.
    pub fn cancel(&self) {
        self.0.cancel();
    }

    /// Whether this token (or a parent) was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::Acquire)
    }

    /// Completes once the token is cancelled (at once if it already is).
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            // Registered before the check, so a `cancel` between the two is not missed.
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }

    /// A token cancelled with this one, that can also be cancelled alone without touching this one.
    pub fn child_token(&self) -> Self {
        let child = Self::new();
        let mut children = lock(&self.0.children);
        if self.is_cancelled() {
            child.0.cancelled.store(true, Ordering::Release);
        } else {
            children.retain(|c| !c.unreachable());
            children.push(Arc::clone(&child.0));
        }
        child
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("is_cancelled", &self.is_cancelled())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_child_stops_with_its_parent_but_not_the_reverse() {
        let parent = CancellationToken::new();
        let child = parent.child_token();
        let other_child = parent.child_token();
        child.cancel();
        assert!(child.is_cancelled());
        assert!(!parent.is_cancelled() && !other_child.is_cancelled());
        let waiter = tokio::spawn({
            let clone = parent.clone();
            async move { clone.cancelled().await }
        });
        parent.cancel();
        waiter.await.unwrap();
        assert!(other_child.is_cancelled());
        assert_eq!(
            format!("{other_child:?}"),
            "CancellationToken { is_cancelled: true }"
        );
        // A child of a cancelled token is born cancelled; a grandchild follows its grandparent.
        assert!(parent.child_token().is_cancelled());
        let root = CancellationToken::new();
        let grandchild = root.child_token().child_token();
        let waiter = tokio::spawn(async move { grandchild.cancelled().await });
        tokio::task::yield_now().await;
        root.cancel();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("the grandchild was not woken")
            .unwrap();
    }

    #[test]
    fn dropped_children_are_pruned() {
        let parent = CancellationToken::new();
        for _ in 0..100 {
            drop(parent.child_token());
        }
        let kept = parent.child_token();
        assert_eq!(lock(&parent.0.children).len(), 1);
        parent.cancel();
        assert!(kept.is_cancelled());
        assert!(lock(&parent.0.children).is_empty());
    }
}
