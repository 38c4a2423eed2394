//! Timed loops for criterion's `iter_custom`: the async sides run on the benchmarks'
//! tokio runtime and only the calls themselves are inside the measured span.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

/// Awaits `op` `iters` times one after another on the calling thread.
pub fn sequential<F, Fut>(runtime: &Runtime, iters: u64, mut op: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    runtime.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            op().await;
        }
        start.elapsed()
    })
}

/// Spreads `iters` calls of `op` over `tasks` spawned tasks running at once (`op` gets
/// the task's index) and returns the time until the last one finished: with many tasks
/// the time per iteration is the inverse of the throughput.
pub fn concurrent<F, Fut>(runtime: &Runtime, tasks: usize, iters: u64, op: F) -> Duration
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let op = Arc::new(op);
    let task_count = u64::try_from(tasks).unwrap_or(u64::MAX);
    runtime.block_on(async move {
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .zip(0..task_count)
            .map(|(task, index)| {
                let share = iters / task_count + u64::from(index < iters % task_count);
                let op = Arc::clone(&op);
                tokio::spawn(async move {
                    for _ in 0..share {
                        op(task).await;
                    }
                })
            })
            .collect();
        for handle in handles {
            if let Err(failure) = handle.await {
                std::panic::resume_unwind(failure.into_panic());
            }
        }
        start.elapsed()
    })
}

/// Calls `op` `iters` times on the calling thread.
pub fn repeat<T>(iters: u64, mut op: impl FnMut() -> T) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        std::hint::black_box(op());
    }
    start.elapsed()
}
