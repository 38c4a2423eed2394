//! Storage adapters by URL scheme: one adapter per scheme.

#[tokio::test]
async fn a_second_adapter_for_a_scheme_is_refused() {
    let error = runtime_store_host::RuntimeStore::builder()
        .register(runtime_store_memory::MemoryFactory)
        .build()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, runtime_store_host::BuildError::Registry(duplicate) if duplicate.scheme == "memory"),
        "{error:?}"
    );
}
