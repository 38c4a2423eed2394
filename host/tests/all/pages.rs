//! Lists in pages: the page functions, whole lists assembled from pages, and guest memory
//! that does not grow with the store.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::common::{at, large_memory_backend, record};
use runtime_store_backend::{
    Backend, BackendError, InsertOutcome, PatchOutcome, RecordPatch, ScanFilter, ScanKey,
    Scheduling, async_trait,
};
use runtime_store_host::{
    LARGEST_PAGE_LIMIT, Operation, RecordPage, RuntimeRecord, RuntimeStore, Status, StoreError,
};
use runtime_store_memory::MemoryBackend;

async fn store_on(backend: Arc<dyn Backend>) -> RuntimeStore {
    RuntimeStore::builder()
        .backend(backend)
        .build()
        .await
        .expect("the embedded component builds")
}

/// Forty records: created-at with ties, statuses alternating, every third one due.
async fn mixed_backend() -> Arc<MemoryBackend> {
    let backend = MemoryBackend::new();
    for index in 0..40_i64 {
        let status = if index % 2 == 0 {
            Status::Running
        } else {
            Status::Stopped
        };
        let mut record = record(&format!("g{:02}", (index * 17) % 40), status, index / 3);
        record.next_generation_at = (index % 3 == 0).then(|| at(100 + index % 7));
        backend.insert(record).await.unwrap();
    }
    Arc::new(backend)
}

async fn walk<F, Fut>(limit: u32, mut page: F) -> Vec<RuntimeRecord>
where
    F: FnMut(Option<String>, u32) -> Fut,
    Fut: Future<Output = Result<RecordPage, StoreError>>,
{
    let mut records = Vec::new();
    let mut cursor = None;
    loop {
        let next = page(cursor.take(), limit).await.unwrap();
        assert!(next.records.len() <= limit as usize);
        records.extend(next.records);
        match next.next_cursor {
            Some(next) => cursor = Some(next),
            None => return records,
        }
    }
}

#[tokio::test]
async fn pages_of_every_size_add_up_to_the_whole_list() {
    let store = store_on(mixed_backend().await).await;
    let now = at(104);
    let whole = store.list().await.unwrap();
    let by_status = store.list_by_status(Status::Running).await.unwrap();
    let due = store.list_due_running(now).await.unwrap();
    assert_eq!(whole.len(), 40);
    assert_eq!(by_status.len(), 20);
    assert!(!due.is_empty() && due.len() < 20);
    for limit in [1, 3, 7, 40, LARGEST_PAGE_LIMIT] {
        let store = &store;
        let paged = walk(limit, |cursor, limit| async move {
            store.list_page(cursor.as_deref(), limit).await
        })
        .await;
        assert_eq!(paged, whole, "list in pages of {limit}");
        let paged = walk(limit, |cursor, limit| async move {
            store
                .list_by_status_page(Status::Running, cursor.as_deref(), limit)
                .await
        })
        .await;
        assert_eq!(paged, by_status, "by status in pages of {limit}");
        let paged = walk(limit, |cursor, limit| async move {
            store
                .list_due_running_page(now, cursor.as_deref(), limit)
                .await
        })
        .await;
        assert_eq!(paged, due, "due in pages of {limit}");
    }
    // A page that ends the list exactly says so: no cursor to an empty page.
    let exact = store.list_page(None, 40).await.unwrap();
    assert_eq!((exact.records.len(), exact.next_cursor), (40, None));
}

#[tokio::test]
async fn a_limit_out_of_range_or_a_foreign_cursor_is_invalid_input() {
    let store = store_on(mixed_backend().await).await;
    for limit in [0, LARGEST_PAGE_LIMIT + 1, u32::MAX] {
        assert_eq!(
            store.list_page(None, limit).await,
            Err(StoreError::InvalidInput(
                "list runtimes: limit must be between 1 and 500".into()
            ))
        );
    }
    let due_cursor = store
        .list_due_running_page(at(200), None, 1)
        .await
        .unwrap()
        .next_cursor
        .expect("more than one record is due");
    for cursor in [due_cursor.as_str(), "", "n.1.0.zz", &"n".repeat(20_000)] {
        assert_eq!(
            store
                .list_by_status_page(Status::Running, Some(cursor), 10)
                .await,
            Err(StoreError::InvalidInput(
                "list runtimes by status: cursor is malformed".into()
            )),
            "{cursor:.40}"
        );
    }
    // `now` is checked before the limit.
    assert_eq!(
        store.list_due_running_page(at(0), None, 0).await,
        Err(StoreError::InvalidInput(
            "list due runtimes: now must not be zero".into()
        ))
    );
}

/// A memory backend that, after answering its first scan, reschedules `moved` to the end
/// of the due order: a record that moves between two pages of one iteration.
struct MovesARecordAfterTheFirstPage {
    inner: MemoryBackend,
    moved: String,
    done: AtomicBool,
}

#[async_trait]
impl Backend for MovesARecordAfterTheFirstPage {
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
        self.inner.patch(game_id, expected_status, changes).await
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
        let page = self.inner.scan(filter, after, limit).await;
        if !self.done.swap(true, Ordering::SeqCst) {
            let later = RecordPatch {
                status: None,
                scheduling: Some(Scheduling {
                    next_generation_at: Some(at(999)),
                    skip_next_tick: false,
                    current_turn: 1,
                }),
                current_image_ref: None,
                current_engine_version: None,
                engine_health: None,
                updated_at: at(5_000),
            };
            self.inner.patch(&self.moved, None, later).await?;
        }
        page
    }
}

#[tokio::test]
async fn a_whole_list_holds_a_record_that_moved_between_pages_once_and_stays_in_order() {
    let inner = MemoryBackend::new();
    let count = LARGEST_PAGE_LIMIT as i64 + 20;
    for index in 0..count {
        let mut record = record(&format!("game-{index:04}"), Status::Running, 1);
        record.next_generation_at = Some(at(10 + index));
        inner.insert(record).await.unwrap();
    }
    let backend = Arc::new(MovesARecordAfterTheFirstPage {
        inner,
        moved: "game-0003".into(),
        done: AtomicBool::new(false),
    });
    let store = store_on(backend).await;
    let due = store.list_due_running(at(1_000)).await.unwrap();
    let ids: Vec<&str> = due.iter().map(|record| record.game_id.as_str()).collect();
    assert_eq!(ids.len(), count as usize, "every game once");
    assert_eq!(ids.iter().filter(|id| **id == "game-0003").count(), 1);
    let due_times: Vec<_> = due.iter().map(|record| record.next_generation_at).collect();
    assert!(due_times.windows(2).all(|pair| pair[0] <= pair[1]));
}

#[tokio::test]
async fn guest_memory_for_a_whole_list_does_not_grow_with_the_store() {
    let mut peaks = Vec::new();
    for count in [10_000, 1_000_000] {
        let store = store_on(large_memory_backend(count, 24).await).await;
        let listed = store.list().await.unwrap();
        assert_eq!(listed.len(), count);
        assert_eq!(listed[0].game_id, format!("game-{:06}", count - 1));
        peaks.push(store.guest_memory_peak());
    }
    assert!(peaks[0] > 0);
    assert_eq!(
        peaks[0], peaks[1],
        "guest memory peak over 10k records vs 1M records"
    );
}

#[tokio::test]
async fn a_page_that_breaks_the_scan_contract_is_a_failed_backend_error() {
    /// Answers every scan newest last: the reverse of the order asked for.
    struct Reversed(MemoryBackend);
    #[async_trait]
    impl Backend for Reversed {
        async fn fetch(&self, game_id: &str) -> Result<Option<RuntimeRecord>, BackendError> {
            self.0.fetch(game_id).await
        }
        async fn insert(&self, record: RuntimeRecord) -> Result<InsertOutcome, BackendError> {
            self.0.insert(record).await
        }
        async fn patch(
            &self,
            game_id: &str,
            expected_status: Option<Status>,
            changes: RecordPatch,
        ) -> Result<PatchOutcome, BackendError> {
            self.0.patch(game_id, expected_status, changes).await
        }
        async fn remove(&self, game_id: &str) -> Result<(), BackendError> {
            self.0.remove(game_id).await
        }
        async fn scan(
            &self,
            filter: ScanFilter,
            after: Option<&ScanKey>,
            limit: u32,
        ) -> Result<Vec<RuntimeRecord>, BackendError> {
            let mut page = self.0.scan(filter, after, limit).await?;
            page.reverse();
            Ok(page)
        }
    }
    let inner = MemoryBackend::new();
    inner.insert(record("a", Status::Running, 1)).await.unwrap();
    inner.insert(record("b", Status::Running, 2)).await.unwrap();
    let store = store_on(Arc::new(Reversed(inner))).await;
    let error = store.list().await.unwrap_err();
    assert_eq!(
        error,
        StoreError::Backend {
            operation: Operation::List,
            game_id: None,
            source: BackendError::Failed(runtime_store_vocabulary::page::SCAN_OUT_OF_ORDER.into()),
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_lists_and_pages_run_in_spawned_tasks() {
    let store = store_on(mixed_backend().await).await;
    let spawned = tokio::spawn({
        let store = store.clone();
        async move {
            let all = store.list().await?;
            let running = store.list_by_status(Status::Running).await?;
            let due = store.list_due_running(at(104)).await?;
            let page = store.list_page(None, 5).await?;
            Ok::<_, StoreError>((all.len(), running.len(), due.len(), page.records.len()))
        }
    });
    let (all, running, _due, page) = spawned.await.unwrap().unwrap();
    assert_eq!((all, running, page), (40, 20, 5));
}
