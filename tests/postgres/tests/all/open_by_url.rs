//! The host opens the adapter from a URL through its registry, for both schemes.

use runtime_store_host::{Registry, RuntimeStore, Status};
use runtime_store_postgres::PostgresFactory;
use runtime_store_postgres_tests::database::isolated;
use runtime_store_postgres_tests::records::record;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_opened_by_url_shares_the_database_with_one_opened_by_the_other_scheme() {
    isolated("byurl", |schema| async move {
        let open = |url: String| {
            let registry = Registry::new()
                .with(PostgresFactory::with_options(schema.options()))
                .expect("one adapter per scheme");
            RuntimeStore::builder()
                .registry(registry)
                .backend_url(url)
                .build()
        };
        let first = open(schema.url().to_owned())
            .await
            .expect("postgres:// opens");
        let second = open(schema.url().replacen("postgres://", "postgresql://", 1))
            .await
            .expect("postgresql:// opens");
        first.insert(&record("g1", Status::Starting)).await.unwrap();
        assert_eq!(second.get("g1").await, Ok(record("g1", Status::Starting)));
        assert_eq!(
            second.list_by_status(Status::Starting).await.unwrap().len(),
            1
        );
    })
    .await;
}
