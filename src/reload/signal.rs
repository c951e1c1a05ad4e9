//! Reloading on `SIGHUP` ([`Builder::reload_on_sighup`](crate::Builder::reload_on_sighup)):
//! a thread of its own waits for the signal (through `signal-hook`, so the
//! handler itself only wakes it) and reloads; nothing runs in the handler.

use std::sync::Weak;
use std::thread::JoinHandle;

use signal_hook::consts::SIGHUP;
use signal_hook::iterator::{Handle, Signals};

use super::Reloader;
use crate::{Error, ErrorKind, Result};

/// The thread that reloads on each `SIGHUP`, until [`Listener::stop`].
pub(super) struct Listener {
    handle: Handle,
    thread: JoinHandle<()>,
}

impl Listener {
    /// Installs the handler and starts the thread. A refused reload is
    /// reported by its record; the thread goes on waiting.
    pub(super) fn start(reloader: Weak<Reloader>) -> Result<Listener> {
        let cannot = |e: std::io::Error| {
            Error::new(ErrorKind::Reload, "cannot install the SIGHUP handler").with_source(e)
        };
        let mut signals = Signals::new([SIGHUP]).map_err(cannot)?;
        let handle = signals.handle();
        let thread = std::thread::Builder::new()
            .name("logward reload".to_string())
            .spawn(move || {
                for _ in signals.forever() {
                    let Some(reloader) = reloader.upgrade() else {
                        break;
                    };
                    let _ = reloader.reload();
                }
            })
            .map_err(cannot)?;
        Ok(Listener { handle, thread })
    }

    /// Stops waiting for the signal and joins the thread. The process keeps
    /// a handler that does nothing, so a later `SIGHUP` is ignored rather
    /// than ending it.
    pub(super) fn stop(self) {
        self.handle.close();
        let _ = self.thread.join();
    }
}
