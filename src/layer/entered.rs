//! The spans entered on each thread, kept by the layer itself.
//!
//! An event inside one request span is the common case, and its context is
//! that span's rendered text. Asking the registry for it costs two lookups
//! in its span slab and a lock on the span's extensions per event; the
//! layer sees every enter and exit, so it keeps its own per-thread stack of
//! entered spans with a shared [`Snapshot`] of each one's context, and an
//! event reads the top of that stack.
//!
//! The stack mirrors the registry's: entering a span that is already on the
//! stack pushes a duplicate that does not change the current span, and an
//! exit removes the last entry of that span. A span that records a value
//! gets a new snapshot; every record bumps an epoch, and a frame cached
//! before it is looked up again (through the registry) before use.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use thread_local::ThreadLocal;
use tracing::span::Id;

/// What an event needs of its span to use the span's context as it is.
#[derive(Debug, Default)]
pub(super) struct Snapshot {
    /// The span's context text when it is the only span around an event.
    pub(super) alone: Vec<u8>,
    /// The bloom set of the span's keys.
    pub(super) bloom: u64,
    /// The span has no parent.
    pub(super) root: bool,
}

/// One entered span on a thread's stack.
struct Frame {
    id: Id,
    /// The span was already on the stack when entered again.
    duplicate: bool,
    snapshot: Arc<Snapshot>,
    /// The record epoch the snapshot was taken in.
    epoch: u64,
}

/// The entered spans of every thread, for one layer.
#[derive(Default)]
pub(super) struct Entered {
    stacks: ThreadLocal<RefCell<Vec<Frame>>>,
    /// Bumped whenever a span records a value.
    epoch: AtomicU64,
}

/// What the current span's snapshot says, as far as this layer knows.
pub(super) enum Current<'a> {
    /// No span is entered on this thread.
    None,
    /// The current span and its snapshot, up to date.
    Span(&'a Snapshot),
    /// A span is entered but its snapshot may be outdated.
    Unknown,
}

impl Entered {
    /// The epoch to take a new snapshot in; read before reading the span.
    pub(super) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// A span recorded a value: snapshots taken before are outdated.
    pub(super) fn recorded(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// `id` was entered on this thread; `snapshot` is its context, taken
    /// in `epoch`.
    pub(super) fn enter(&self, id: &Id, snapshot: Arc<Snapshot>, epoch: u64) {
        let mut stack = self.stacks.get_or_default().borrow_mut();
        let duplicate = stack.iter().any(|f| f.id == *id);
        stack.push(Frame {
            id: id.clone(),
            duplicate,
            snapshot,
            epoch,
        });
    }

    /// `id` was exited on this thread.
    pub(super) fn exit(&self, id: &Id) {
        if let Some(stack) = self.stacks.get() {
            let mut stack = stack.borrow_mut();
            if let Some(i) = stack.iter().rposition(|f| f.id == *id) {
                stack.remove(i);
            }
        }
    }

    /// Calls `f` with what is known of this thread's current span.
    pub(super) fn current<R>(&self, f: impl FnOnce(Current<'_>) -> R) -> R {
        let Some(stack) = self.stacks.get() else {
            return f(Current::None);
        };
        let Ok(stack) = stack.try_borrow() else {
            return f(Current::Unknown);
        };
        match stack.iter().rev().find(|frame| !frame.duplicate) {
            None => f(Current::None),
            Some(frame) if frame.epoch == self.epoch() => f(Current::Span(&frame.snapshot)),
            Some(_) => f(Current::Unknown),
        }
    }

    /// Replaces an outdated snapshot of `id`, the current span, with
    /// `snapshot` taken in `epoch`.
    pub(super) fn refresh(&self, id: &Id, snapshot: &Arc<Snapshot>, epoch: u64) {
        let Some(stack) = self.stacks.get() else {
            return;
        };
        let Ok(mut stack) = stack.try_borrow_mut() else {
            return;
        };
        for frame in stack.iter_mut().filter(|f| f.id == *id) {
            frame.snapshot = Arc::clone(snapshot);
            frame.epoch = epoch;
        }
    }
}
