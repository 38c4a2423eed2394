//! The whole conformance suite through the wasm host on a SQLite file and on SQLite in
//! memory, step for step the same results as on the in-memory adapter.

use std::sync::Arc;

use runtime_store_conformance::{Report, VectorFile, run_vectors, vector_files};
use runtime_store_host::RuntimeStore;
use runtime_store_memory::MemoryBackend;

use crate::common::{new_file, open, store_on};

async fn run(store: &RuntimeStore, file: &VectorFile, backend: &str, name: &str) -> Report {
    run_vectors(store, file)
        .await
        .unwrap_or_else(|error| panic!("{name} on {backend}: {error}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vector_file_gives_the_in_memory_results_on_sqlite() {
    let files = vector_files().expect("the conformance vectors load");
    assert!(files.len() >= 16, "only {} vector files found", files.len());
    let (_, url) = new_file("conformance");
    let on_file = store_on(open(&url).await).await;
    let in_memory = store_on(open("sqlite::memory:").await).await;
    let mut steps = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let file = VectorFile::load(path).unwrap_or_else(|error| panic!("{error}"));
        let memory = RuntimeStore::builder()
            .backend(Arc::new(MemoryBackend::new()))
            .build()
            .await
            .expect("a store in memory");
        let expected = run(&memory, &file, "memory", &name).await;
        assert_eq!(expected.failed(), 0, "{name} on memory: {expected}");
        // The runner deletes what each file created, so the stores start each file empty.
        for (backend, store) in [
            ("a sqlite file", &on_file),
            ("sqlite in memory", &in_memory),
        ] {
            let actual = run(store, &file, backend, &name).await;
            assert_eq!(actual, expected, "{name}: {backend} differs from memory");
            assert!(
                store.list().await.unwrap().is_empty(),
                "{name} left records"
            );
        }
        steps += expected.steps.len();
    }
    assert!(steps >= 2000, "only {steps} steps ran");
    println!(
        "{} files, {steps} steps, identical on memory and sqlite",
        files.len()
    );
}
