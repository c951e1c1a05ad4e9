//! The caller's thread allocates nothing per record in the steady state.
//!
//! A counting global allocator counts allocations made on the test's own
//! thread while it logs; the writer thread's allocations are not counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use logward::{Emit, Level, Logward, audit};
use tracing_subscriber::layer::SubscriberExt;

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = COUNTING.try_with(|on| {
            if on.get() {
                let _ = COUNT.try_with(|c| c.set(c.get() + 1));
            }
        });
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = COUNTING.try_with(|on| {
            if on.get() {
                let _ = COUNT.try_with(|c| c.set(c.get() + 1));
            }
        });
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn log_one(i: u64) {
    audit::LoginAttempt::new(i % 2 == 0, "10.0.0.7")
        .forwarded_for("203.0.113.9")
        .message("login")
        .info();
    tracing::info!(attempt = i, user = "alice", "free-form event");
    tracing::debug!(i, "below the level: filtered");
}

#[test]
fn steady_state_logging_allocates_nothing_on_the_caller_thread() {
    let logward = Logward::builder()
        .with_writer(std::io::sink())
        .with_level(Level::Info)
        .with_panic_hook(false)
        .build()
        .expect("builds");
    let (layer, guard) = logward.into_parts();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("request", request_id = "0b1d6c1e", user_name = "alice");
        let _entered = span.enter();
        // Warm up: thread-local buffers grow, pooled buffers cycle once.
        for i in 0..2_000 {
            log_one(i);
        }
        guard.flush();
        COUNT.with(|c| c.set(0));
        COUNTING.with(|on| on.set(true));
        for i in 0..100 {
            log_one(i);
        }
        COUNTING.with(|on| on.set(false));
    });
    let allocations = COUNT.with(Cell::get);
    drop(guard);
    assert_eq!(
        allocations, 0,
        "allocations on the caller thread for 200 records"
    );
}
