//! Keyset pages: every scan statement serves its filter's order, by bytes of the game id,
//! with ties on the time column, page after page; and each reads its index in that order
//! (no sort step, no sequential scan) on a table of some thousands of rows.

use runtime_store_backend::{Backend, RuntimeRecord, ScanFilter, ScanKey, Status, Timestamp};
use runtime_store_postgres::statements;
use runtime_store_postgres_tests::bulk::copy_records;
use runtime_store_postgres_tests::database::{isolated, store_on};
use runtime_store_postgres_tests::records::{at, record};

/// Game ids whose byte order differs from any linguistic collation: upper case before
/// lower case (`B` < `a`), every ASCII letter before every accented one (`z` < `é`), a
/// decomposed accent (`e` + U+0301) next to its plain letter, `ß`, and characters outside
/// the Basic Multilingual Plane (four UTF-8 bytes, and two UTF-16 units in other hosts).
const AWKWARD_IDS: [&str; 16] = [
    "B", "a", "Z", "z", "é", "e\u{301}", "ä", "ß", "ss", "𝔸", "😀", "\u{FFFD}", "a b", "a-b",
    "a_b", "A",
];

/// Where a record stands in `filter`'s order, as the key of a page after it.
fn key_of(filter: ScanFilter, record: &RuntimeRecord) -> ScanKey {
    let at = match filter {
        ScanFilter::All | ScanFilter::ByStatus(_) => record.created_at,
        ScanFilter::DueRunning(_) => record
            .next_generation_at
            .expect("a due record has a next generation time"),
    };
    ScanKey {
        at,
        game_id: record.game_id.clone(),
    }
}

/// Every filter the store scans with.
fn filters(now: Timestamp) -> Vec<ScanFilter> {
    let mut filters = vec![ScanFilter::All, ScanFilter::DueRunning(now)];
    filters.extend(Status::ALL.into_iter().map(ScanFilter::ByStatus));
    filters
}

/// Reads `filter` in pages of `size`, each after the last record of the one before, until
/// a page comes back short; returns the records and the number of scans.
async fn walk(
    backend: &impl Backend,
    filter: ScanFilter,
    size: u32,
) -> (Vec<RuntimeRecord>, usize) {
    let mut records: Vec<RuntimeRecord> = Vec::new();
    let mut scans = 0;
    loop {
        let after = records.last().map(|last| key_of(filter, last));
        let page = backend
            .scan(filter, after.as_ref(), size)
            .await
            .unwrap_or_else(|error| panic!("{filter:?} after {after:?}: {error}"));
        scans += 1;
        assert!(
            page.len() <= usize::try_from(size).unwrap(),
            "{filter:?}: {} records in a page of {size}",
            page.len()
        );
        let full = page.len() == usize::try_from(size).unwrap();
        records.extend(page);
        if !full {
            return (records, scans);
        }
    }
}

fn ids(records: &[RuntimeRecord]) -> Vec<&str> {
    records
        .iter()
        .map(|record| record.game_id.as_str())
        .collect()
}

/// The test population: each awkward id with three suffixes (48 records), three creation
/// instants and three due instants shared by many records, statuses in turn, some running
/// records due later than `now` and one running record with no tick.
fn population(now: Timestamp) -> Vec<RuntimeRecord> {
    let created = [
        at(1_000_000_000, 0),
        at(1_000_000_000, 1_000),
        at(999_999_999, 999_999_000),
    ];
    let due = [at(-1, 0), now, at(1_500_000_000, 500_000)];
    let mut records = Vec::new();
    for (index, (id, suffix)) in AWKWARD_IDS
        .iter()
        .flat_map(|id| ["", "1", "é"].map(|suffix| (id, suffix)))
        .enumerate()
    {
        let status = [
            Status::Running,
            Status::Stopped,
            Status::Running,
            Status::Starting,
        ][index % 4];
        let mut stored = record(&format!("{id}{suffix}"), status);
        stored.created_at = created[index % 3];
        stored.updated_at = stored.created_at;
        stored.next_generation_at = match index % 7 {
            6 => None,
            5 => Some(at(now.seconds + 60, 0)),
            _ => Some(due[index % 3]),
        };
        records.push(stored);
    }
    records
}

#[tokio::test]
async fn pages_follow_each_order_by_bytes_with_ties() {
    isolated("pages", |schema| async move {
        let backend = schema.backend().await;
        let now = at(1_600_000_000, 0);
        let records = population(now);
        for stored in &records {
            backend.insert(stored.clone()).await.unwrap();
        }

        // The byte order, stated outright: the ids without a suffix share one creation
        // instant, so `list` orders them by their UTF-8 bytes alone. A linguistic
        // collation would interleave cases and put accented letters next to their base.
        let all = backend.scan(ScanFilter::All, None, 500).await.unwrap();
        let bare: Vec<&str> = ids(&all)
            .into_iter()
            .filter(|id| AWKWARD_IDS.contains(id))
            .collect();
        assert_eq!(
            bare,
            [
                "A", "B", "Z", "a", "a b", "a-b", "a_b", "e\u{301}", "ss", "z", "ß", "ä", "é",
                "\u{FFFD}", "𝔸", "😀"
            ]
        );

        for filter in filters(now) {
            let expected = filter.page_of(&records, None, u32::MAX);
            for size in [1, 2, 3, 5, 7, 16, 500] {
                let (walked, scans) = walk(&backend, filter, size).await;
                assert_eq!(
                    ids(&walked),
                    ids(&expected),
                    "{filter:?} in pages of {size}"
                );
                assert_eq!(
                    walked, expected,
                    "{filter:?} in pages of {size}: whole records"
                );
                let size = usize::try_from(size).unwrap();
                assert_eq!(
                    scans,
                    expected.len() / size + 1,
                    "{filter:?} in pages of {size}"
                );
            }
        }

        // A key that is no record's starts the page at its place in the order.
        let filter = ScanFilter::All;
        let key = ScanKey {
            at: at(1_000_000_000, 0),
            game_id: "a".to_owned(),
        };
        assert_eq!(
            backend.scan(filter, Some(&key), 500).await.unwrap(),
            filter.page_of(&records, Some(&key), 500)
        );

        // Through the wasm host: the pages of each list, walked by cursor, are the order.
        let store = store_on(backend).await;
        for size in [1, 7, 500] {
            let mut walked = Vec::new();
            let mut cursor = None;
            loop {
                let page = store.list_page(cursor.as_deref(), size).await.unwrap();
                walked.extend(page.records);
                cursor = page.next_cursor;
                if cursor.is_none() {
                    break;
                }
            }
            assert_eq!(walked, ScanFilter::All.page_of(&records, None, u32::MAX));
            let mut walked = Vec::new();
            let mut cursor = None;
            loop {
                let page = store
                    .list_due_running_page(now, cursor.as_deref(), size)
                    .await
                    .unwrap();
                walked.extend(page.records);
                cursor = page.next_cursor;
                if cursor.is_none() {
                    break;
                }
            }
            assert_eq!(
                walked,
                ScanFilter::DueRunning(now).page_of(&records, None, u32::MAX)
            );
            let mut walked = Vec::new();
            let mut cursor = None;
            loop {
                let page = store
                    .list_by_status_page(Status::Running, cursor.as_deref(), size)
                    .await
                    .unwrap();
                walked.extend(page.records);
                cursor = page.next_cursor;
                if cursor.is_none() {
                    break;
                }
            }
            assert_eq!(
                walked,
                ScanFilter::ByStatus(Status::Running).page_of(&records, None, u32::MAX)
            );
        }
    })
    .await;
}

/// Rows of the plan test: statuses in turn, creation instants in runs of three (ties),
/// ticks on every running record, a tenth of them due at [`PLAN_NOW`]. Each status holds
/// 2,857 rows, several pages: with under about two pages in a status (6,000 rows here) the
/// planner rightly prefers to sort those few rows (a bitmap scan and a top-N sort) to
/// reading the index in order, see `docs/postgres.md`.
const PLAN_ROWS: usize = 20_000;
const PLAN_NOW: i64 = 1_700_000_000;

fn plan_population() -> impl Iterator<Item = RuntimeRecord> {
    (0..PLAN_ROWS).map(|index| {
        let status = Status::ALL[index % Status::ALL.len()];
        let offset = i64::try_from(index).unwrap();
        let mut stored = record(&format!("game-{index:05}"), status);
        stored.created_at = at(1_600_000_000 + offset / 3, 0);
        stored.updated_at = stored.created_at;
        if status == Status::Running {
            // A tenth due by PLAN_NOW, the rest over the next day.
            let due_in = if index % 10 < 1 { -offset } else { offset * 14 };
            stored.next_generation_at = Some(at(PLAN_NOW + due_in, 0));
        }
        stored
    })
}

/// The six scan statements, each with the index that must serve it and the arguments of
/// an execution with many pages still to come (the keys are near the start of their
/// order). Near the end of a list, where under about two pages remain, the planner may
/// sort those few rows instead: a cost bounded by those rows, see `docs/postgres.md`.
const PLANS: [(&str, &str, &str, &str); 6] = [
    (
        "SCAN_ALL",
        statements::SCAN_ALL,
        "runtime_records_created_idx",
        "501",
    ),
    (
        "SCAN_ALL_AFTER",
        statements::SCAN_ALL_AFTER,
        "runtime_records_created_idx",
        "'2020-09-13 14:06:40+00', 'game-18000', 501",
    ),
    (
        "SCAN_BY_STATUS",
        statements::SCAN_BY_STATUS,
        "runtime_records_status_created_idx",
        "'running', 501",
    ),
    (
        "SCAN_BY_STATUS_AFTER",
        statements::SCAN_BY_STATUS_AFTER,
        "runtime_records_status_created_idx",
        "'running', '2020-09-13 14:06:40+00', 'game-18000', 501",
    ),
    (
        "SCAN_DUE_RUNNING",
        statements::SCAN_DUE_RUNNING,
        "runtime_records_due_idx",
        "'2023-11-14 22:13:20+00', 501",
    ),
    (
        "SCAN_DUE_RUNNING_AFTER",
        statements::SCAN_DUE_RUNNING_AFTER,
        "runtime_records_due_idx",
        "'2023-11-14 22:13:20+00', '2023-11-14 21:00:00+00', 'game-01000', 501",
    ),
];

/// `EXPLAIN` of every scan statement, prepared exactly as the adapter sends it, under
/// both the custom plan (the first executions of a prepared statement) and the generic
/// plan (what a long-lived prepared statement may settle on): each is an index scan of
/// its index in the answer's order, with no sort and no sequential scan.
#[tokio::test]
async fn every_scan_statement_reads_its_index_in_order() {
    isolated("plans", |schema| async move {
        let copied = copy_records(schema.admin(), plan_population()).await.unwrap();
        assert_eq!(copied, u64::try_from(PLAN_ROWS).unwrap());
        let mut connection = schema.admin().acquire().await.unwrap();
        sqlx::query("ANALYZE runtime_records")
            .execute(&mut *connection)
            .await
            .unwrap();
        let mut report = Vec::new();
        for (name, statement, index, arguments) in PLANS {
            let prepared = name.to_ascii_lowercase();
            sqlx::raw_sql(&format!("PREPARE {prepared} AS {statement}"))
                .execute(&mut *connection)
                .await
                .unwrap_or_else(|error| panic!("PREPARE {name}: {error}"));
            for mode in ["force_custom_plan", "force_generic_plan"] {
                let explain = format!(
                    "SET plan_cache_mode = {mode}; EXPLAIN (COSTS OFF) EXECUTE {prepared}({arguments})"
                );
                let plan: Vec<String> = explain_lines(&mut connection, &explain).await;
                let text = plan.join("\n");
                report.push(format!("{name} ({mode}):\n{text}\n"));
                // The generic plan of SCAN_BY_STATUS_AFTER knows neither the status nor
                // the key, and reads `runtime_records_created_idx` in order with the status
                // as a filter (docs/postgres.md, "Generic plans"): still in order, unsorted.
                let index = if name == "SCAN_BY_STATUS_AFTER" && mode == "force_generic_plan" {
                    "runtime_records_created_idx"
                } else {
                    index
                };
                assert!(
                    text.contains(&format!("Index Scan using {index} on runtime_records")),
                    "{name} ({mode}) does not read {index}:\n{text}"
                );
                assert!(!text.contains("Sort"), "{name} ({mode}) sorts:\n{text}");
                assert!(!text.contains("Seq Scan"), "{name} ({mode}) reads the table:\n{text}");
                assert!(text.starts_with("Limit"), "{name} ({mode}):\n{text}");
            }
        }
        sqlx::raw_sql("RESET plan_cache_mode; DEALLOCATE ALL")
            .execute(&mut *connection)
            .await
            .unwrap();
        println!("{}", report.join("\n"));
    })
    .await;
}

/// The lines of the plan the `EXPLAIN` at the end of `sql` returns.
async fn explain_lines(connection: &mut sqlx::PgConnection, sql: &str) -> Vec<String> {
    use sqlx::Row;
    let rows = sqlx::raw_sql(sql)
        .fetch_all(&mut *connection)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
    rows.iter()
        .map(|row| row.try_get::<String, _>(0).unwrap())
        .collect()
}
