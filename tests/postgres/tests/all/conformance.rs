//! The whole conformance suite through the wasm host on PostgreSQL, step for step the
//! same results as on the in-memory adapter.

use std::sync::Arc;

use runtime_store_conformance::{Report, VectorFile, run_vectors, vector_files};
use runtime_store_host::RuntimeStore;
use runtime_store_memory::MemoryBackend;
use runtime_store_postgres_tests::database::isolated;

async fn run(store: &RuntimeStore, file: &VectorFile, backend: &str, name: &str) -> Report {
    run_vectors(store, file)
        .await
        .unwrap_or_else(|error| panic!("{name} on {backend}: {error}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vector_file_gives_the_in_memory_results_on_postgres() {
    isolated("conformance", |schema| async move {
        let files = vector_files().expect("the conformance vectors load");
        assert!(!files.is_empty(), "no conformance vectors found");
        let postgres = schema.store().await;
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

            schema.truncate().await;
            let actual = run(&postgres, &file, "postgres", &name).await;

            assert_eq!(actual, expected, "{name}: postgres differs from memory");
            assert_eq!(actual.failed(), 0, "{name} on postgres: {actual}");
            steps += actual.steps.len();
            println!("{name}: {actual}");
        }
        println!(
            "{} files, {steps} steps, identical on memory and postgres",
            files.len()
        );
    })
    .await;
}
