//! Concurrent histories checked for linearizability against the reference model: the
//! checker on hand-made histories, random histories of 8 clients on the in-memory
//! adapter, and a deliberately non-atomic adapter the checker must catch.

use std::sync::Arc;
use std::time::Duration;

use runtime_store_backend::{
    Backend, BackendError, InsertOutcome, PatchOutcome, RecordPatch, ScanFilter, ScanKey,
    async_trait,
};
use runtime_store_conformance::OkValue;
use runtime_store_conformance::linearizability::{
    Answer, Clock, Event, History, Verdict, at, check, client_plans, overlapping_pairs,
    record_history,
};
use runtime_store_conformance::model::Op;
use runtime_store_host::{RuntimeRecord, RuntimeStore, Status, UpdateStatusInput};
use runtime_store_memory::MemoryBackend;

/// Histories per run; `RUNTIME_STORE_LINEARIZABILITY_HISTORIES` replaces it.
const HISTORIES: u32 = 24;
const CLIENTS: u32 = 8;
const OPS_PER_CLIENT: usize = 20;
const GAMES: [&str; 3] = ["game-a", "game-b", "Game-A"];
/// Dead configurations the checker may visit per history before giving up.
const MAX_STATES: usize = 2_000_000;

fn histories() -> u32 {
    std::env::var("RUNTIME_STORE_LINEARIZABILITY_HISTORIES")
        .ok()
        .map(|text| text.parse().expect("a positive integer"))
        .unwrap_or(HISTORIES)
}

fn record(game_id: &str) -> RuntimeRecord {
    RuntimeRecord {
        game_id: game_id.into(),
        status: Status::Starting,
        engine_endpoint: "http://e:8080".into(),
        current_image_ref: "i:1".into(),
        current_engine_version: "1".into(),
        engine_health: String::new(),
        current_turn: 0,
        next_generation_at: None,
        skip_next_tick: false,
        created_at: at(100),
        updated_at: at(100),
        started_at: None,
        stopped_at: None,
        finished_at: None,
    }
}

fn start(game_id: &str, seconds: i64) -> Op {
    Op::UpdateStatus(UpdateStatusInput {
        game_id: game_id.into(),
        expected_from: Status::Starting,
        to: Status::Running,
        now: at(seconds),
        engine_health_summary: None,
        current_image_ref: None,
        current_engine_version: None,
    })
}

fn event(client: u32, op: Op, answer: Answer, invoked: u64, returned: u64) -> Event {
    Event {
        client,
        op,
        answer,
        invoked,
        returned,
    }
}

#[test]
fn the_checker_accepts_what_some_order_explains_and_rejects_the_rest() {
    let insert = event(0, Op::Insert(record("g")), Answer::Ok(OkValue::Unit), 0, 10);
    let mut running = record("g");
    running.status = Status::Running;
    running.updated_at = at(200);
    running.started_at = Some(at(200));

    // Two overlapping compare-and-swaps from the same status: one may win.
    let one_wins = vec![
        insert.clone(),
        event(1, start("g", 200), Answer::Conflict, 20, 40),
        event(2, start("g", 200), Answer::Ok(OkValue::Unit), 25, 35),
    ];
    let Verdict::Linearizable(order) = check(&one_wins, MAX_STATES) else {
        panic!("one winner is linearizable");
    };
    assert_eq!(order, [0, 2, 1], "the winner comes first");

    // Both winning is what a lost update looks like.
    let both_win = vec![
        insert.clone(),
        event(1, start("g", 200), Answer::Ok(OkValue::Unit), 20, 40),
        event(2, start("g", 200), Answer::Ok(OkValue::Unit), 25, 35),
    ];
    let Verdict::NotLinearizable(why) = check(&both_win, MAX_STATES) else {
        panic!("two winners are not linearizable");
    };
    assert!(
        why.contains("answered ok null, the model says conflict"),
        "{why}"
    );

    // A read that overlaps a write may see either state...
    let read = |answer, invoked, returned| {
        vec![
            insert.clone(),
            event(1, start("g", 200), Answer::Ok(OkValue::Unit), 20, 40),
            event(2, Op::Get("g".into()), answer, invoked, returned),
        ]
    };
    let before = Answer::Ok(OkValue::Record(Box::new(record("g"))));
    let after = Answer::Ok(OkValue::Record(Box::new(running)));
    assert!(check(&read(before.clone(), 30, 50), MAX_STATES).is_linearizable());
    assert!(check(&read(after.clone(), 30, 50), MAX_STATES).is_linearizable());
    // ...but one invoked after the write returned must see it, and one that returned
    // before the write was invoked must not.
    assert!(!check(&read(before, 41, 50), MAX_STATES).is_linearizable());
    assert!(!check(&read(after, 12, 19), MAX_STATES).is_linearizable());
}

async fn memory_store(backend: Arc<dyn Backend>) -> RuntimeStore {
    RuntimeStore::builder()
        .backend(backend)
        .build()
        .await
        .expect("build a store")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_histories_on_memory_are_linearizable() {
    let clock = Clock::new();
    let (mut events, mut overlaps, mut wins, mut conflicts) = (0, 0, 0, 0);
    for seed in 0..u64::from(histories()) {
        let store = memory_store(Arc::new(MemoryBackend::new())).await;
        let plans = client_plans(seed, CLIENTS, OPS_PER_CLIENT, &GAMES);
        let history = record_history(&store, &clock, 0, plans)
            .await
            .expect("no backend or sandbox failure");
        match check(&history, MAX_STATES) {
            Verdict::Linearizable(_) => {}
            Verdict::NotLinearizable(why) => panic!("seed {seed}: {why}"),
            Verdict::Inconclusive => panic!("seed {seed}: the search ran out of states"),
        }
        events += history.len();
        overlaps += overlapping_pairs(&history);
        for event in &history {
            if matches!(event.op, Op::UpdateStatus(_)) {
                match event.answer {
                    Answer::Ok(_) => wins += 1,
                    Answer::Conflict => conflicts += 1,
                    _ => {}
                }
            }
        }
    }
    println!(
        "{} histories, {events} calls, {overlaps} overlapping pairs, {wins} status changes won, {conflicts} lost: all linearizable",
        histories()
    );
    assert!(overlaps > 0, "the clients never overlapped");
    assert!(wins > 0 && conflicts > 0, "{wins} won, {conflicts} lost");
}

/// The memory adapter with a non-atomic compare-and-swap: `patch` reads the record,
/// compares its status, yields for `pause`, then writes without comparing again.
struct NonAtomicPatch {
    inner: MemoryBackend,
    pause: Duration,
}

#[async_trait]
impl Backend for NonAtomicPatch {
    async fn fetch(&self, game_id: &str) -> Result<Option<RuntimeRecord>, BackendError> {
        self.inner.fetch(game_id).await
    }
    async fn insert(&self, record: RuntimeRecord) -> Result<InsertOutcome, BackendError> {
        self.inner.insert(record).await
    }
    async fn patch(
        &self,
        game_id: &str,
        expected_status: Option<Status>,
        changes: RecordPatch,
    ) -> Result<PatchOutcome, BackendError> {
        let Some(stored) = self.inner.fetch(game_id).await? else {
            return Ok(PatchOutcome::NotFound);
        };
        if let Some(expected) = expected_status
            && expected != stored.status
        {
            return Ok(PatchOutcome::StatusMismatch(stored.status));
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(self.pause).await;
        self.inner.patch(game_id, None, changes).await
    }
    async fn remove(&self, game_id: &str) -> Result<(), BackendError> {
        self.inner.remove(game_id).await
    }
    async fn scan(
        &self,
        filter: ScanFilter,
        after: Option<&ScanKey>,
        limit: u32,
    ) -> Result<Vec<RuntimeRecord>, BackendError> {
        self.inner.scan(filter, after, limit).await
    }
}

/// An insert, then every client tries starting -> running at once.
async fn start_race(store: &RuntimeStore) -> History {
    let clock = Clock::new();
    let mut history = record_history(store, &clock, 0, vec![vec![Op::Insert(record("g"))]])
        .await
        .expect("insert");
    let racers = (0..CLIENTS)
        .map(|client| vec![start("g", 200 + i64::from(client))])
        .collect();
    history.extend(
        record_history(store, &clock, 1, racers)
            .await
            .expect("race"),
    );
    history
}

fn wins(history: &History) -> usize {
    history
        .iter()
        .filter(|event| {
            matches!(event.op, Op::UpdateStatus(_)) && event.answer == Answer::Ok(OkValue::Unit)
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_atomic_compare_and_swap_is_caught() {
    let atomic = start_race(&memory_store(Arc::new(MemoryBackend::new())).await).await;
    assert_eq!(wins(&atomic), 1);
    assert!(check(&atomic, MAX_STATES).is_linearizable());

    let broken = Arc::new(NonAtomicPatch {
        inner: MemoryBackend::new(),
        pause: Duration::from_millis(20),
    });
    let history = start_race(&memory_store(broken).await).await;
    assert!(
        wins(&history) > 1,
        "the racers all read starting first: {history:?}"
    );
    let Verdict::NotLinearizable(why) = check(&history, MAX_STATES) else {
        panic!("lost updates must be rejected: {history:?}");
    };
    println!("{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_histories_on_a_non_atomic_adapter_are_rejected() {
    let clock = Clock::new();
    let mut rejected = 0;
    let attempts = 12;
    for seed in 0..attempts {
        let broken = Arc::new(NonAtomicPatch {
            inner: MemoryBackend::new(),
            pause: Duration::from_millis(2),
        });
        let store = memory_store(broken).await;
        let plans = client_plans(1_000 + seed, CLIENTS, OPS_PER_CLIENT, &GAMES);
        let history = record_history(&store, &clock, 0, plans)
            .await
            .expect("no backend or sandbox failure");
        match check(&history, MAX_STATES) {
            Verdict::NotLinearizable(_) => rejected += 1,
            Verdict::Linearizable(_) => {}
            Verdict::Inconclusive => panic!("seed {seed}: the search ran out of states"),
        }
    }
    println!("{rejected} of {attempts} random histories on the non-atomic adapter rejected");
    assert!(
        rejected > 0,
        "the checker never caught the non-atomic adapter"
    );
}

#[test]
fn events_survive_a_round_trip_through_json() {
    let plans = client_plans(3, 2, 30, &GAMES);
    for op in plans.into_iter().flatten() {
        let event = event(4, op, Answer::InvalidTransition("x".into()), 1, 2);
        assert_eq!(Event::from_line(&event.to_line()).unwrap(), event);
    }
    let listed = event(
        0,
        Op::List,
        Answer::Ok(OkValue::Records(vec![record("g\u{0}\u{1F600}")])),
        5,
        6,
    );
    assert_eq!(Event::from_line(&listed.to_line()).unwrap(), listed);
}
