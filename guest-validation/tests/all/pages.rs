//! The page functions (`list-page`, `list-by-status-page`, `list-due-running-page`): the
//! limit range and its messages, cursors that are refused, the order of the checks, the
//! check of every backend page, and iteration over a store that changes between pages.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{CREATED, Call, LATER, RecordingStorage, ZERO, at, record};
use proptest::prelude::*;
use runtime_store_rules::memory::MemoryStorage;
use runtime_store_rules::ordering::ListOrder;
use runtime_store_rules::store::{self, Storage};
use runtime_store_rules::types::{
    BackendError, InsertOutcome, PatchOutcome, RecordPatch, RuntimePage, RuntimeRecord, ScanFilter,
    ScanKey, Scheduling, Status, StatusChange, StoreError, Timestamp,
};
use runtime_store_vocabulary::page::SCAN_OUT_OF_ORDER;

/// The three page functions, as one call shape.
#[derive(Clone, Copy, Debug)]
enum Paged {
    List,
    ByStatus(Status),
    Due(Timestamp),
}

impl Paged {
    const ALL: [Paged; 3] = [
        Paged::List,
        Paged::ByStatus(Status::Running),
        Paged::Due(LATER),
    ];

    fn words(self) -> &'static str {
        match self {
            Paged::List => "list runtimes",
            Paged::ByStatus(_) => "list runtimes by status",
            Paged::Due(_) => "list due runtimes",
        }
    }

    fn page<S: Storage>(
        self,
        storage: &mut S,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<RuntimePage, StoreError> {
        match self {
            Paged::List => store::list_page(storage, cursor, limit),
            Paged::ByStatus(status) => store::list_by_status_page(storage, status, cursor, limit),
            Paged::Due(now) => store::list_due_running_page(storage, now, cursor, limit),
        }
    }

    fn whole<S: Storage>(self, storage: &mut S) -> Result<Vec<RuntimeRecord>, StoreError> {
        match self {
            Paged::List => store::list(storage),
            Paged::ByStatus(status) => store::list_by_status(storage, status),
            Paged::Due(now) => store::list_due_running(storage, now),
        }
    }

    fn filter(self) -> ScanFilter {
        match self {
            Paged::List => ScanFilter::All,
            Paged::ByStatus(status) => ScanFilter::ByStatus(status),
            Paged::Due(now) => ScanFilter::DueRunning(now),
        }
    }

    fn order(self) -> ListOrder {
        ListOrder::of(self.filter())
    }
}

fn invalid(message: String) -> Result<RuntimePage, StoreError> {
    Err(StoreError::InvalidInput(message))
}

fn out_of_order() -> StoreError {
    StoreError::Backend(BackendError::Failed(SCAN_OUT_OF_ORDER.into()))
}

/// A running record due at `due`, created `created` seconds after `CREATED`.
fn due_record(game_id: &str, created: i64, due: Timestamp) -> RuntimeRecord {
    let created_at = at(CREATED.seconds + created, 0);
    RuntimeRecord {
        status: Status::Running,
        next_generation_at: Some(due),
        created_at,
        updated_at: created_at,
        ..record(game_id)
    }
}

/// Five running records due before `LATER`, selected by all three page functions.
fn five() -> MemoryStorage {
    let mut storage = MemoryStorage::default();
    for (index, game_id) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
        let index = i64::try_from(index).unwrap();
        let record = due_record(game_id, index, at(100 - index, 0));
        assert_eq!(store::insert(&mut storage, record), Ok(()));
    }
    storage
}

fn ids(records: &[RuntimeRecord]) -> Vec<&str> {
    records.iter().map(|r| r.game_id.as_str()).collect()
}

/// A cursor `paged` handed out: the one after its first record.
fn handed_out(paged: Paged) -> String {
    let page = paged.page(&mut five(), None, 1).unwrap();
    page.next_cursor
        .expect("five records make more than one page")
}

#[test]
fn limits_outside_1_to_500_are_refused_before_storage_with_the_operation_words() {
    for paged in Paged::ALL {
        for limit in [0, 501, 1_000, u32::MAX] {
            let mut storage = RecordingStorage::default();
            let message = format!("{}: limit must be between 1 and 500", paged.words());
            assert_eq!(paged.page(&mut storage, None, limit), invalid(message));
            assert!(storage.calls.is_empty(), "{paged:?} {limit}");
        }
        for limit in [1, 2, 499, 500] {
            let mut storage = RecordingStorage::default();
            let page = paged.page(&mut storage, None, limit).unwrap();
            assert!(page.records.is_empty() && page.next_cursor.is_none());
            // One record more than the page holds tells whether a next page exists.
            assert_eq!(storage.calls, [Call::Scan(paged.filter(), None, limit + 1)]);
        }
    }
}

#[test]
fn cursors_not_handed_out_by_the_same_list_order_are_malformed() {
    for paged in Paged::ALL {
        let good = handed_out(paged);
        let other_order = handed_out(match paged {
            Paged::Due(_) => Paged::List,
            _ => Paged::Due(LATER),
        });
        let mut bad = vec![
            String::new(),
            "not a cursor".to_owned(),
            " ".to_owned(),
            "\u{0}".to_owned(),
            other_order,
            format!("{good}0"),
            format!("{good} "),
            format!(" {good}"),
            good[..good.len() - 1].to_owned(),
            good.to_uppercase(),
            good.replace('.', ","),
        ];
        bad.retain(|cursor| cursor != &good);
        for cursor in bad {
            let mut storage = RecordingStorage::default();
            let message = format!("{}: cursor is malformed", paged.words());
            assert_eq!(
                paged.page(&mut storage, Some(&cursor), 5),
                invalid(message),
                "{paged:?} {cursor:?}"
            );
            assert!(storage.calls.is_empty());
        }
        let page = paged.page(&mut five(), Some(&good), 500).unwrap();
        assert_eq!(page.records.len(), 4, "{paged:?}");
    }
}

#[test]
fn the_due_page_checks_now_first_then_the_limit_then_the_cursor() {
    let zero = "list due runtimes: now must not be zero".to_owned();
    let limit = "list due runtimes: limit must be between 1 and 500".to_owned();
    let cursor = "list due runtimes: cursor is malformed".to_owned();
    let overflowing = at(LATER.seconds, 1_000_000_000);
    let cases = [
        (ZERO, Some("bad"), 0, zero.clone()),
        (ZERO, None, 501, zero.clone()),
        (ZERO, Some("bad"), 1, zero),
        (
            overflowing,
            Some("bad"),
            0,
            "list due runtimes: now is not a valid timestamp".into(),
        ),
        (LATER, Some("bad"), 0, limit.clone()),
        (LATER, Some("bad"), 501, limit),
        (LATER, Some("bad"), 1, cursor),
    ];
    for (now, bad_cursor, bad_limit, message) in cases {
        let mut storage = RecordingStorage::default();
        let answer = store::list_due_running_page(&mut storage, now, bad_cursor, bad_limit);
        assert_eq!(answer, invalid(message));
        assert!(storage.calls.is_empty());
    }
    // The other two lists check the limit before the cursor as well.
    for paged in [Paged::List, Paged::ByStatus(Status::Stopped)] {
        let message = format!("{}: limit must be between 1 and 500", paged.words());
        let mut storage = RecordingStorage::default();
        assert_eq!(paged.page(&mut storage, Some("bad"), 0), invalid(message));
    }
}

#[test]
fn a_page_starts_after_its_cursor_and_truncates_now_for_the_backend() {
    let mut storage = RecordingStorage::default();
    for record in five().scan(ScanFilter::All, None, 10).unwrap() {
        assert_eq!(store::insert(&mut storage, record), Ok(()));
    }
    let fine = at(LATER.seconds, 123_456_789);
    let first = store::list_due_running_page(&mut storage, fine, None, 2).unwrap();
    assert_eq!(ids(&first.records), ["e", "d"]);
    storage.calls.clear();
    let cursor = first.next_cursor.unwrap();
    let second = store::list_due_running_page(&mut storage, fine, Some(&cursor), 2).unwrap();
    assert_eq!(ids(&second.records), ["c", "b"]);
    let truncated = ScanFilter::DueRunning(at(LATER.seconds, 123_456_000));
    let after_d = ScanKey {
        at: at(97, 0),
        game_id: "d".into(),
    };
    assert_eq!(storage.calls, [Call::Scan(truncated, Some(after_d), 3)]);
    let cursor = second.next_cursor.unwrap();
    let last = store::list_due_running_page(&mut storage, fine, Some(&cursor), 2).unwrap();
    assert_eq!(ids(&last.records), ["a"]);
    assert_eq!(last.next_cursor, None);
    // A page that ends exactly where the list ends has no next cursor either.
    let whole = store::list_page(&mut storage, None, 5).unwrap();
    assert_eq!(ids(&whole.records), ["e", "d", "c", "b", "a"]);
    assert_eq!(whole.next_cursor, None);
}

/// Storage whose scan answers `scanned`, whatever it is asked.
struct Canned {
    scanned: Vec<RuntimeRecord>,
}

impl Storage for Canned {
    fn fetch(&mut self, _: &str) -> Result<Option<RuntimeRecord>, BackendError> {
        Ok(None)
    }
    fn insert(&mut self, _: RuntimeRecord) -> Result<InsertOutcome, BackendError> {
        Ok(InsertOutcome::Inserted)
    }
    fn patch(
        &mut self,
        _: &str,
        _: Option<Status>,
        _: RecordPatch,
    ) -> Result<PatchOutcome, BackendError> {
        Ok(PatchOutcome::NotFound)
    }
    fn remove(&mut self, _: &str) -> Result<(), BackendError> {
        Ok(())
    }
    fn scan(
        &mut self,
        _: ScanFilter,
        _: Option<&ScanKey>,
        _: u32,
    ) -> Result<Vec<RuntimeRecord>, BackendError> {
        Ok(self.scanned.clone())
    }
}

#[test]
fn a_backend_page_breaking_the_scan_contract_is_a_failed_backend_error() {
    for paged in Paged::ALL {
        let mut reference = five();
        let all = paged.whole(&mut reference).unwrap();
        assert_eq!(all.len(), 5);
        // The cursor after the list's second record; the page of 2 after it asks for 3.
        let first = paged.page(&mut reference, None, 2).unwrap();
        let cursor = first.next_cursor.unwrap();
        let answer =
            |scanned: Vec<RuntimeRecord>| paged.page(&mut Canned { scanned }, Some(&cursor), 2);
        // What the reference answers is accepted.
        let good = answer(all[2..].to_vec()).unwrap();
        assert_eq!(good.records, all[2..4]);
        assert!(good.next_cursor.is_some());
        assert_eq!(answer(Vec::new()).unwrap().records, []);
        let stranger = match paged {
            Paged::List => None,
            Paged::ByStatus(_) => Some(RuntimeRecord {
                status: Status::Stopped,
                ..all[4].clone()
            }),
            Paged::Due(_) => Some(RuntimeRecord {
                next_generation_at: Some(at(LATER.seconds, 1_000)),
                ..all[4].clone()
            }),
        };
        let mut broken = vec![
            ("out of order", vec![all[3].clone(), all[2].clone()]),
            ("a record twice", vec![all[2].clone(), all[2].clone()]),
            (
                "the cursor's own record",
                vec![all[1].clone(), all[2].clone()],
            ),
            ("a record before the cursor", vec![all[0].clone()]),
        ];
        // Over the limit: the page asks for 3 and gets 4, each in order and selected.
        let mut beyond = all[2..].to_vec();
        beyond.push(RuntimeRecord {
            game_id: "f".into(),
            next_generation_at: Some(at(200, 0)),
            created_at: at(CREATED.seconds - 1, 0),
            updated_at: at(CREATED.seconds - 1, 0),
            ..all[4].clone()
        });
        broken.push(("over the limit", beyond));
        if let Some(stranger) = stranger {
            broken.push(("not matching the filter", vec![all[2].clone(), stranger]));
        }
        for (what, scanned) in broken {
            assert_eq!(answer(scanned), Err(out_of_order()), "{paged:?}: {what}");
        }
    }
}

/// A change a concurrent writer makes between two pages.
#[derive(Clone, Debug)]
enum Write {
    Insert(Box<RuntimeRecord>),
    Remove(usize),
    Reschedule(usize, Option<Timestamp>),
    Restatus(usize, Status),
}

fn game_id() -> impl Strategy<Value = String> {
    "[abé]{1,3}"
}

/// Positions from few values, so ties (broken by game id) are common.
fn instant() -> impl Strategy<Value = Timestamp> {
    (0..4_i64, 0..2_u32).prop_map(|(seconds, micros)| at(1_000 + seconds, micros * 1_000))
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![Just(Status::Running), Just(Status::Stopped)]
}

prop_compose! {
    fn stored()(
        game_id in game_id(),
        status in status(),
        created_at in instant(),
        due in proptest::option::weighted(0.8, instant()),
    ) -> RuntimeRecord {
        RuntimeRecord {
            status,
            next_generation_at: due,
            created_at,
            updated_at: created_at,
            ..record(&game_id)
        }
    }
}

fn paged() -> impl Strategy<Value = Paged> {
    prop_oneof![
        Just(Paged::List),
        status().prop_map(Paged::ByStatus),
        instant().prop_map(Paged::Due),
    ]
}

fn write() -> impl Strategy<Value = Write> {
    prop_oneof![
        stored().prop_map(|record| Write::Insert(Box::new(record))),
        any::<usize>().prop_map(Write::Remove),
        (any::<usize>(), proptest::option::of(instant()))
            .prop_map(|(index, due)| Write::Reschedule(index, due)),
        (any::<usize>(), status()).prop_map(|(index, to)| Write::Restatus(index, to)),
    ]
}

fn fill(records: Vec<RuntimeRecord>) -> MemoryStorage {
    let mut storage = MemoryStorage::default();
    for record in records {
        storage.insert(record).unwrap();
    }
    storage
}

/// Applies `write` to one of `ids` (picked by index) and answers the game id it touched.
fn apply(storage: &mut MemoryStorage, ids: &[String], write: Write) -> String {
    let pick = |index: usize| ids[index % ids.len()].clone();
    let changes = RecordPatch {
        status: None,
        scheduling: None,
        current_image_ref: None,
        current_engine_version: None,
        engine_health: None,
        updated_at: LATER,
    };
    match write {
        Write::Insert(record) => {
            let game_id = record.game_id.clone();
            storage.insert(*record).unwrap();
            game_id
        }
        Write::Remove(index) => {
            let game_id = pick(index);
            storage.remove(&game_id).unwrap();
            game_id
        }
        Write::Reschedule(index, due) => {
            let game_id = pick(index);
            let scheduling = Scheduling {
                next_generation_at: due,
                skip_next_tick: false,
                current_turn: 1,
            };
            let changes = RecordPatch {
                scheduling: Some(scheduling),
                ..changes
            };
            storage.patch(&game_id, None, changes).unwrap();
            game_id
        }
        Write::Restatus(index, to) => {
            let game_id = pick(index);
            let change = StatusChange {
                to,
                started_at: None,
                stopped_at: None,
                finished_at: None,
            };
            let changes = RecordPatch {
                status: Some(change),
                ..changes
            };
            storage.patch(&game_id, None, changes).unwrap();
            game_id
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Following the cursors to the end gives exactly the whole list, every page but the
    /// last full, and no empty page after a full one.
    #[test]
    fn iterating_pages_gives_exactly_the_whole_list(
        records in proptest::collection::vec(stored(), 0..24),
        paged in paged(),
        limit in prop_oneof![1..=6_u32, Just(500_u32)],
    ) {
        let mut storage = fill(records);
        let whole = paged.whole(&mut storage).unwrap();
        let mut collected = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = paged.page(&mut storage, cursor.as_deref(), limit).unwrap();
            pages += 1;
            prop_assert!(page.records.len() <= limit as usize);
            let last = page.next_cursor.is_none();
            prop_assert!(last || page.records.len() == limit as usize);
            collected.extend(page.records);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        prop_assert_eq!(&collected, &whole);
        prop_assert_eq!(pages, whole.len().div_ceil(limit as usize).max(1));
    }

    /// With writes between pages: every answer's records are strictly in the list's order
    /// (so none appears twice), and each record that was selected at the start and left
    /// unchanged throughout appears exactly once.
    #[test]
    fn records_left_unchanged_while_others_change_appear_exactly_once_in_order(
        records in proptest::collection::vec(stored(), 1..24),
        paged in paged(),
        limit in 1..=4_u32,
        writes in proptest::collection::vec(proptest::collection::vec(write(), 0..3), 0..12),
    ) {
        let mut storage = fill(records);
        let order = paged.order();
        let at_start = paged.whole(&mut storage).unwrap();
        let ids: Vec<String> = storage
            .scan(ScanFilter::All, None, u32::MAX)
            .unwrap()
            .into_iter()
            .map(|r| r.game_id)
            .collect();
        let mut touched = BTreeSet::new();
        let mut writes = writes.into_iter();
        let mut collected: Vec<RuntimeRecord> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = paged.page(&mut storage, cursor.as_deref(), limit).unwrap();
            collected.extend(page.records);
            let Some(next) = page.next_cursor else { break };
            cursor = Some(next);
            for write in writes.next().unwrap_or_default() {
                touched.insert(apply(&mut storage, &ids, write));
            }
        }
        for pair in collected.windows(2) {
            let (a, b) = (order.position(&pair[0]), order.position(&pair[1]));
            prop_assert!(order.compare(a, b).is_lt(), "{:?} then {:?}", a, b);
        }
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for record in &collected {
            *seen.entry(record.game_id.as_str()).or_default() += 1;
        }
        let unchanged: Vec<&RuntimeRecord> = at_start
            .iter()
            .filter(|r| !touched.contains(&r.game_id))
            .collect();
        for record in &unchanged {
            prop_assert_eq!(seen.get(record.game_id.as_str()), Some(&1), "{}", record.game_id);
        }
        let unchanged_in_answer: Vec<&RuntimeRecord> = collected
            .iter()
            .filter(|r| !touched.contains(&r.game_id))
            .collect();
        prop_assert_eq!(unchanged_in_answer, unchanged);
    }
}
