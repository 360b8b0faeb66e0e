//! Redis's BUSY state, and how a busy script's thread hands over its
//! other connections.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

/// Redis's BUSY state: a script (EVAL) or function (FCALL) that runs
/// longer than `busy-reply-threshold` makes every other client's command
/// answer -BUSY, except those flagged `allow_busy` (SCRIPT KILL, FUNCTION
/// KILL, SHUTDOWN ...). The script's runner sets it from its instruction
/// hook; one relaxed load per command reads it.
#[derive(Debug, Default)]
pub(crate) struct Busy {
    /// 0: no busy script; 1: a script; 2: a function.
    kind: AtomicU8,
    /// The busy function, for FUNCTION STATS' running_script.
    function: std::sync::Mutex<Option<RunningFunction>>,
    /// A KILL asked the busy script to stop.
    kill: AtomicBool,
    /// The busy script has written: it may not be killed.
    wrote: AtomicBool,
}

/// A function past `busy-reply-threshold`: its name, the command that
/// called it and when it started.
#[derive(Debug, Clone)]
pub(crate) struct RunningFunction {
    pub(crate) name: String,
    pub(crate) command: Vec<Vec<u8>>,
    pub(crate) started: std::time::Instant,
}

/// What is busy, for the error texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BusyKind {
    Script,
    Function,
}

/// Why [`Busy::request_kill`] could not stop the busy run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KillRefused {
    /// Nothing is busy.
    NotBusy,
    /// The busy run has written.
    Unkillable,
    /// The busy run is of this other kind (a function for SCRIPT KILL, a
    /// script for FUNCTION KILL).
    OtherKind(BusyKind),
}

impl Busy {
    /// What runs past the threshold, if anything.
    pub(crate) fn current(&self) -> Option<BusyKind> {
        match self.kind.load(Ordering::Relaxed) {
            0 => None,
            1 => Some(BusyKind::Script),
            _ => Some(BusyKind::Function),
        }
    }

    /// The runner's script passed the threshold; `wrote` says whether it
    /// has written yet.
    pub(crate) fn enter(&self, kind: BusyKind, wrote: bool) {
        self.wrote.store(wrote, Ordering::Relaxed);
        self.kind.store(
            match kind {
                BusyKind::Script => 1,
                BusyKind::Function => 2,
            },
            Ordering::Release,
        );
    }

    /// A busy function describes itself (FUNCTION STATS).
    pub(crate) fn describe(&self, f: RunningFunction) {
        *crate::util::sync::lock(&self.function) = Some(f);
    }

    /// The busy function, while one is.
    pub(crate) fn running_function(&self) -> Option<RunningFunction> {
        match self.current() {
            Some(BusyKind::Function) => crate::util::sync::lock(&self.function).clone(),
            _ => None,
        }
    }

    /// The busy script wrote: from now on it cannot be killed.
    pub(crate) fn wrote(&self) {
        self.wrote.store(true, Ordering::Relaxed);
    }

    /// The script ended.
    pub(crate) fn leave(&self) {
        self.kind.store(0, Ordering::Release);
        *crate::util::sync::lock(&self.function) = None;
        self.kill.store(false, Ordering::Relaxed);
    }

    /// Asks the busy script to stop (SCRIPT KILL for a script, FUNCTION
    /// KILL for a function); why it cannot, checked in Redis's order.
    pub(crate) fn request_kill(&self, by: BusyKind) -> Result<(), KillRefused> {
        let Some(kind) = self.current() else {
            return Err(KillRefused::NotBusy);
        };
        if self.wrote.load(Ordering::Relaxed) {
            return Err(KillRefused::Unkillable);
        }
        if by != kind {
            return Err(KillRefused::OtherKind(kind));
        }
        self.kill.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// The runner's hook asks whether to stop.
    pub(crate) fn kill_requested(&self) -> bool {
        self.kill.load(Ordering::Relaxed)
    }
}

/// Called by a command that will keep its thread for long (a script past
/// `busy-reply-threshold`): the worker's other connections move to another
/// thread, so they are answered meanwhile (-BUSY, SCRIPT KILL), and this
/// thread leaves the runtime once the command returns. Does nothing outside
/// a multi-thread runtime (the handler tests), or when the thread has
/// left already.
pub(crate) fn leave_worker() {
    use tokio::runtime::{Handle, RuntimeFlavor};
    if !Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread) {
        return;
    }
    // block_in_place hands the worker's queue to a new thread and takes it
    // back when its closure returns, if that thread has not taken it yet:
    // the pause lets it start. A thread that left already has no queue to
    // hand over, and just pauses once more.
    tokio::task::block_in_place(|| std::thread::sleep(HAND_OVER_WAIT));
}

/// How long [`leave_worker`] waits for the new thread to take the queue.
const HAND_OVER_WAIT: Duration = Duration::from_millis(50);
