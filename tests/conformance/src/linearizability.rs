//! Linearizability of concurrent histories against the sequential reference model.
//!
//! A [`History`] is what concurrent clients saw: for every call, the operation, its
//! answer and when it was invoked and when it returned ([`Event`]). It is linearizable
//! when the calls can be put in one sequential order that respects real time (a call that
//! returned before another was invoked comes first) and in which the reference
//! [`Model`] gives every call exactly the answer it got. [`check`] decides that with the
//! Wing–Gong search: depth first over the calls that may come next, applying each to a
//! copy of the model, with memoisation of (calls done, model state) so a configuration
//! that failed once is never explored again.
//!
//! [`record_history`] runs concurrent clients against a [`RuntimeStore`] and records
//! what they saw; [`client_plans`] generates their operations (mixed operations on a few
//! games, deterministic for a seed). Events serialise to JSON ([`Event::to_line`],
//! [`Event::from_line`]) so histories from several processes can be merged; every
//! process stamps times with a [`Clock`] on the machine's wall clock, kept monotonic
//! within the process.
//!
//! ```
//! use runtime_store_conformance::linearizability::{Clock, check, client_plans, record_history};
//! use runtime_store_host::RuntimeStore;
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! let store = RuntimeStore::builder().backend_url("memory:").build().await.unwrap();
//! let plans = client_plans(7, 8, 10, &["g1", "g2"]);
//! let history = record_history(&store, &Clock::new(), 0, plans).await.unwrap();
//! assert!(check(&history, 1_000_000).is_linearizable());
//! # });
//! ```

use std::collections::HashSet;
use std::fmt;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use runtime_store_host::{
    RuntimeRecord, RuntimeStore, Status, StoreError, Timestamp, UpdateEngineHealthInput,
    UpdateImageInput, UpdateSchedulingInput, UpdateStatusInput,
};
use serde::{Deserialize, Serialize};

use crate::model::{self, Model, Op, Outcome};
use crate::vectors::OkValue;

/// What a call answered, as the model predicts it (the operation and game id of
/// not-found and conflict follow from the call; invalid-input messages are not compared).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    /// Success with this value.
    Ok(OkValue),
    /// Success with a page of these records, with a next cursor or not.
    Page {
        /// The page's records.
        records: Vec<RuntimeRecord>,
        /// Whether it has a next cursor.
        has_next_cursor: bool,
    },
    /// `not-found`.
    NotFound,
    /// `conflict`.
    Conflict,
    /// `invalid-input`.
    InvalidInput,
    /// `invalid-transition` with this message.
    InvalidTransition(String),
}

impl From<Outcome> for Answer {
    fn from(outcome: Outcome) -> Answer {
        match outcome {
            Outcome::Ok(value) => Answer::Ok(value),
            Outcome::Page {
                records,
                has_next_cursor,
            } => Answer::Page {
                records,
                has_next_cursor,
            },
            Outcome::NotFound { .. } => Answer::NotFound,
            Outcome::Conflict { .. } => Answer::Conflict,
            Outcome::InvalidInput => Answer::InvalidInput,
            Outcome::InvalidTransition(message) => Answer::InvalidTransition(message),
        }
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Ok(value) => write!(f, "ok {}", crate::describe::ok_value(value)),
            Answer::Page {
                records,
                has_next_cursor,
            } => write!(
                f,
                "ok page {}",
                crate::describe::page(records, *has_next_cursor)
            ),
            Answer::NotFound => f.write_str("not-found"),
            Answer::Conflict => f.write_str("conflict"),
            Answer::InvalidInput => f.write_str("invalid-input"),
            Answer::InvalidTransition(message) => write!(f, "invalid-transition {message:?}"),
        }
    }
}

/// One completed call of a concurrent history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Which client made the call (a client's calls are sequential).
    pub client: u32,
    /// The call.
    pub op: Op,
    /// What it answered.
    pub answer: Answer,
    /// When it was invoked, in nanoseconds of the [`Clock`].
    pub invoked: u64,
    /// When it returned.
    pub returned: u64,
}

impl Event {
    /// The event as one line of JSON.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("an event serialises")
    }

    /// An event from a line of [`Event::to_line`].
    pub fn from_line(line: &str) -> Result<Event, serde_json::Error> {
        serde_json::from_str(line)
    }
}

/// A concurrent history: every call of every client, in any order.
pub type History = Vec<Event>;

/// Time stamps for events: nanoseconds since the Unix epoch, read from the wall clock
/// once at [`Clock::new`] and advanced with the monotonic clock after, so stamps within
/// a process never go backwards and stamps of processes on one machine compare.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    base: Instant,
    base_nanos: u64,
}

impl Clock {
    /// A clock starting at the wall clock's present reading.
    pub fn new() -> Clock {
        let base = Instant::now();
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the wall clock is after 1970");
        Clock {
            base,
            base_nanos: u64::try_from(since_epoch.as_nanos()).expect("before year 2554"),
        }
    }

    /// The present instant.
    pub fn now(&self) -> u64 {
        let elapsed = u64::try_from(self.base.elapsed().as_nanos()).expect("a short run");
        self.base_nanos + elapsed
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::new()
    }
}

/// Runs every client's operations concurrently on `store` (one task per client, numbered
/// from `first_client`), each client's in order, and records what they saw. A backend or
/// sandbox failure, which the model never predicts, is returned as the error.
pub async fn record_history(
    store: &RuntimeStore,
    clock: &Clock,
    first_client: u32,
    plans: Vec<Vec<Op>>,
) -> Result<History, StoreError> {
    // The clients run as local tasks of one thread, interleaving at every await: the
    // whole-list futures of `RuntimeStore` (`list`, `list-by-status`, `list-due-running`,
    // assembled from pages by an async closure) are not provably `Send`, so
    // `tokio::spawn` cannot take them.
    let local = tokio::task::LocalSet::new();
    let tasks: Vec<_> = plans
        .into_iter()
        .zip(first_client..)
        .map(|(ops, client)| {
            let store = store.clone();
            let clock = *clock;
            local.spawn_local(async move {
                let mut events = Vec::with_capacity(ops.len());
                for op in ops {
                    let invoked = clock.now();
                    let outcome = model::execute(&store, &op).await?;
                    let returned = clock.now();
                    events.push(Event {
                        client,
                        op,
                        answer: outcome.into(),
                        invoked,
                        returned,
                    });
                }
                Ok::<_, StoreError>(events)
            })
        })
        .collect();
    local
        .run_until(async move {
            let mut history = Vec::new();
            for task in tasks {
                history.extend(task.await.expect("a client task never panics")?);
            }
            Ok(history)
        })
        .await
}

/// The statuses the plans move between: a cycle through the table, so compare-and-swaps
/// from the same status race and some win.
const CYCLE: [(Status, Status); 7] = [
    (Status::Starting, Status::Running),
    (Status::Running, Status::GenerationInProgress),
    (Status::GenerationInProgress, Status::Running),
    (Status::Running, Status::EngineUnreachable),
    (Status::EngineUnreachable, Status::Running),
    (Status::Running, Status::Stopped),
    (Status::Stopped, Status::Starting),
];

fn game(games: &[&str]) -> impl Strategy<Value = String> + use<> {
    let games: Vec<String> = games.iter().map(|game| (*game).to_owned()).collect();
    select(games)
}

fn concurrent_op(games: &[&str]) -> impl Strategy<Value = Op> + use<> {
    let at = model::valid_timestamp;
    let status_pair = prop_oneof![
        8 => select(&CYCLE[..]),
        1 => (model::status(), model::status()),
    ];
    let insert = (
        game(games),
        select(&[Status::Starting, Status::Running][..]),
        at(),
    )
        .prop_map(|(game_id, status, created_at)| {
            Op::Insert(RuntimeRecord {
                game_id: game_id.clone(),
                status,
                engine_endpoint: format!("http://{game_id}:8080"),
                current_image_ref: "registry.local/engine:1.0".into(),
                current_engine_version: "1.0.0".into(),
                engine_health: String::new(),
                current_turn: 0,
                next_generation_at: None,
                skip_next_tick: false,
                created_at,
                updated_at: created_at,
                started_at: None,
                stopped_at: None,
                finished_at: None,
            })
        });
    let update_status = (game(games), status_pair, at(), any::<bool>()).prop_map(
        |(game_id, (expected_from, to), now, healthy)| {
            Op::UpdateStatus(UpdateStatusInput {
                game_id,
                expected_from,
                to,
                now,
                engine_health_summary: healthy.then(|| "healthy".into()),
                current_image_ref: None,
                current_engine_version: None,
            })
        },
    );
    let update_scheduling = (
        game(games),
        prop::option::of(at()),
        any::<bool>(),
        0_u32..10,
        at(),
    )
        .prop_map(
            |(game_id, next_generation_at, skip_next_tick, current_turn, now)| {
                Op::UpdateScheduling(UpdateSchedulingInput {
                    game_id,
                    next_generation_at,
                    skip_next_tick,
                    current_turn,
                    now,
                })
            },
        );
    let update_image = (
        game(games),
        select(&[Status::Running, Status::Starting, Status::Stopped][..]),
        select(&["registry.local/engine:1.0", "registry.local/engine:2.0"][..]),
        at(),
    )
        .prop_map(|(game_id, expected_status, image, now)| {
            Op::UpdateImage(UpdateImageInput {
                game_id,
                expected_status,
                current_image_ref: image.into(),
                current_engine_version: image.rsplit(':').next().unwrap_or("1").into(),
                now,
            })
        });
    let update_engine_health = (game(games), select(&["", "healthy", "degraded"][..]), at())
        .prop_map(|(game_id, health, now)| {
            Op::UpdateEngineHealth(UpdateEngineHealthInput {
                game_id,
                engine_health_summary: health.into(),
                now,
            })
        });
    prop_oneof![
        3 => insert,
        6 => update_status,
        2 => update_scheduling,
        2 => update_image,
        2 => update_engine_health,
        3 => game(games).prop_map(Op::Get),
        1 => game(games).prop_map(Op::Delete),
        1 => Just(Op::List),
        1 => model::status().prop_map(Op::ListByStatus),
        1 => at().prop_map(Op::ListDueRunning),
    ]
}

/// `clients` lists of `ops_per_client` operations on `games`, the same for the same
/// `seed`: inserts, status changes along a cycle of allowed moves (sometimes a forbidden
/// pair), scheduling, image and health updates, gets, deletes and the three lists.
pub fn client_plans(
    seed: u64,
    clients: u32,
    ops_per_client: usize,
    games: &[&str],
) -> Vec<Vec<Op>> {
    let mut seed_bytes = [0_u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let plan = prop::collection::vec(concurrent_op(games), ops_per_client);
    (0..clients)
        .map(|_| {
            plan.new_tree(&mut runner)
                .expect("plans generate")
                .current()
        })
        .collect()
}

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A sequential order that explains every answer: event indices into the history as
    /// given.
    Linearizable(Vec<usize>),
    /// No such order exists; the explanation shows the longest order found and why no
    /// pending call could come next.
    NotLinearizable(String),
    /// The search visited `max_states` configurations without deciding.
    Inconclusive,
}

impl Verdict {
    /// Whether the history was shown linearizable.
    pub fn is_linearizable(&self) -> bool {
        matches!(self, Verdict::Linearizable(_))
    }
}

/// A set of event indices.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Done(Vec<u64>);

impl Done {
    fn new(events: usize) -> Done {
        Done(vec![0; events.div_ceil(64)])
    }
    fn contains(&self, index: usize) -> bool {
        self.0[index / 64] & (1 << (index % 64)) != 0
    }
    fn flip(&mut self, index: usize) {
        self.0[index / 64] ^= 1 << (index % 64);
    }
}

struct Search<'a> {
    events: &'a [Event],
    /// Event indices by invocation time.
    by_invocation: Vec<usize>,
    done: Done,
    order: Vec<usize>,
    /// Configurations known to lead nowhere.
    dead: HashSet<(Done, Model)>,
    max_states: usize,
    /// The longest order found, and what each call that could have come next answered
    /// versus what the model predicted there.
    deepest: (Vec<usize>, Vec<String>),
}

impl Search<'_> {
    /// The calls that may come next: not done, and invoked before every call not done
    /// has returned (nothing pending returned before they were invoked).
    fn candidates(&self) -> Vec<usize> {
        let first_return = self
            .by_invocation
            .iter()
            .filter(|index| !self.done.contains(**index))
            .map(|index| self.events[*index].returned)
            .min();
        let Some(first_return) = first_return else {
            return Vec::new();
        };
        self.by_invocation
            .iter()
            .copied()
            .filter(|index| !self.done.contains(*index))
            .take_while(|index| self.events[*index].invoked <= first_return)
            .collect()
    }

    /// Whether the calls not done yet can follow, from `model`; `None` when the state
    /// budget ran out.
    fn explore(&mut self, model: &Model) -> Option<bool> {
        if self.order.len() == self.events.len() {
            return Some(true);
        }
        let mut mismatches = Vec::new();
        for index in self.candidates() {
            let event = &self.events[index];
            let mut next = model.clone();
            let predicted = Answer::from(next.apply(&event.op));
            if predicted != event.answer {
                mismatches.push(format!(
                    "  client {} {}: answered {}, the model says {predicted}",
                    event.client, event.op, event.answer
                ));
                continue;
            }
            self.done.flip(index);
            let key = (self.done.clone(), next);
            if self.dead.contains(&key) {
                self.done.flip(index);
                continue;
            }
            if self.dead.len() >= self.max_states {
                return None;
            }
            self.order.push(index);
            let found = self.explore(&key.1)?;
            if found {
                return Some(true);
            }
            self.order.pop();
            self.dead.insert(key);
            self.done.flip(index);
        }
        if self.order.len() >= self.deepest.0.len() {
            self.deepest = (self.order.clone(), mismatches);
        }
        Some(false)
    }
}

/// Whether `history`, started on an empty store, is linearizable with respect to the
/// reference model. Gives up ([`Verdict::Inconclusive`]) after `max_states` dead
/// configurations.
pub fn check(history: &[Event], max_states: usize) -> Verdict {
    let mut by_invocation: Vec<usize> = (0..history.len()).collect();
    by_invocation.sort_by_key(|index| (history[*index].invoked, history[*index].returned));
    let mut search = Search {
        events: history,
        by_invocation,
        done: Done::new(history.len()),
        order: Vec::with_capacity(history.len()),
        dead: HashSet::new(),
        max_states,
        deepest: (Vec::new(), Vec::new()),
    };
    match search.explore(&Model::new()) {
        None => Verdict::Inconclusive,
        Some(true) => Verdict::Linearizable(search.order),
        Some(false) => {
            let (order, mismatches) = search.deepest;
            let mut explanation = format!(
                "no sequential order explains the {} calls; the longest explains {}:\n",
                history.len(),
                order.len()
            );
            for index in &order {
                let event = &history[*index];
                explanation.push_str(&format!(
                    "  client {} {} -> {}\n",
                    event.client, event.op, event.answer
                ));
            }
            explanation.push_str("then no pending call gets its answer:\n");
            explanation.push_str(&mismatches.join("\n"));
            Verdict::NotLinearizable(explanation)
        }
    }
}

/// How many pairs of events overlap in time: a history without any is sequential and
/// shows nothing about concurrency.
pub fn overlapping_pairs(history: &[Event]) -> usize {
    let mut count = 0;
    for (position, first) in history.iter().enumerate() {
        for second in &history[position + 1..] {
            if first.invoked <= second.returned && second.invoked <= first.returned {
                count += 1;
            }
        }
    }
    count
}

/// The same operation with a timestamp of `seconds`, for hand-made histories.
pub fn at(seconds: i64) -> Timestamp {
    Timestamp {
        seconds,
        nanoseconds: 0,
    }
}
