//! The process's one ticker thread. Every [`TICK`] it advances the coarse clock
//! ([`ticks`]), the epoch of every live engine (the running guests' deadline checks and
//! yield points) and wakes the [`Sleep`]s that are due. It runs while an engine or a timer
//! exists and stops after that, so the host needs no timer from the caller's async runtime.
//!
//! Call deadlines are counted in ticks of the coarse clock: reading it is one atomic load,
//! where the hot path of a call would otherwise read the system clock several times.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use wasmtime::{Engine, EngineWeak};

/// How often the epoch advances: the granularity of call deadlines and of instance-wait
/// timeouts, and the longest a guest runs between two yields to the executor.
pub(crate) const TICK: Duration = Duration::from_millis(10);

/// Whole [`TICK`]s since [`origin`], as of the last tick (or engine registration).
static TICKS: AtomicU64 = AtomicU64::new(0);

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// Brings the coarse clock up to date from the system clock, so sleeps that overran do
/// not slow it down.
fn advance_ticks() {
    let elapsed = origin().elapsed().as_nanos() / TICK.as_nanos();
    TICKS.fetch_max(
        u64::try_from(elapsed).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
}

/// The coarse clock: whole [`TICK`]s since the process's first engine, at most a tick
/// behind the system clock while an engine lives.
pub(crate) fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// `duration` in whole ticks, rounded up.
pub(crate) fn ticks_in(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos().div_ceil(TICK.as_nanos())).unwrap_or(u64::MAX)
}

struct Ticker {
    running: bool,
    engines: Vec<EngineWeak>,
    timers: BTreeMap<u64, (Instant, Waker)>,
    next_timer: u64,
}

static TICKER: Mutex<Ticker> = Mutex::new(Ticker {
    running: false,
    engines: Vec::new(),
    timers: BTreeMap::new(),
    next_timer: 0,
});

fn ticker() -> MutexGuard<'static, Ticker> {
    // Nothing panics while the lock is held; a poisoned state is still consistent.
    TICKER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Ticker {
    fn ensure_running(&mut self) {
        if !self.running {
            self.running = true;
            thread::Builder::new()
                .name("runtime-store-ticker".into())
                .stack_size(64 << 10)
                .spawn(tick_forever)
                .expect("the ticker thread starts");
        }
    }
}

fn tick_forever() {
    loop {
        thread::sleep(TICK);
        advance_ticks();
        let mut state = ticker();
        state.engines.retain(|weak| match weak.upgrade() {
            Some(engine) => {
                engine.increment_epoch();
                true
            }
            None => false,
        });
        let now = Instant::now();
        let due: Vec<u64> = state
            .timers
            .iter()
            .filter(|(_, (at, _))| *at <= now)
            .map(|(id, _)| *id)
            .collect();
        let wakers: Vec<Waker> = due
            .into_iter()
            .filter_map(|id| state.timers.remove(&id))
            .map(|(_, waker)| waker)
            .collect();
        if state.engines.is_empty() && state.timers.is_empty() {
            state.running = false;
            drop(state);
            wakers.into_iter().for_each(Waker::wake);
            return;
        }
        drop(state);
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// Has the ticker advance `engine`'s epoch from now on, for as long as the engine lives.
pub(crate) fn tick(engine: &Engine) {
    advance_ticks();
    let mut state = ticker();
    state.engines.push(engine.weak());
    state.ensure_running();
}

/// A future ready at `at` (to within a [`TICK`]), woken by the ticker thread.
pub(crate) struct Sleep {
    at: Instant,
    id: Option<u64>,
}

impl Sleep {
    pub(crate) fn until(at: Instant) -> Self {
        Sleep { at, id: None }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        let mut state = ticker();
        if Instant::now() >= self.at {
            if let Some(id) = self.id.take() {
                state.timers.remove(&id);
            }
            return Poll::Ready(());
        }
        let id = match self.id {
            Some(id) => id,
            None => {
                let id = state.next_timer;
                state.next_timer += 1;
                self.id = Some(id);
                id
            }
        };
        state.timers.insert(id, (self.at, context.waker().clone()));
        state.ensure_running();
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            ticker().timers.remove(&id);
        }
    }
}
