//! A user's first program: a store on the in-memory backend, one game started.

use runtime_store_host::{
    RuntimeRecord, RuntimeStore, Status, StoreError, Timestamp, UpdateStatusInput,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = RuntimeStore::builder().backend_url("memory:").build().await?;
    let at = |seconds| Timestamp { seconds, nanoseconds: 0 };
    store
        .insert(&RuntimeRecord {
            game_id: "game-1".into(),
            status: Status::Starting,
            engine_endpoint: "http://engine-1:8080".into(),
            current_image_ref: "galaxy/engine:1.4.2".into(),
            current_engine_version: "1.4.2".into(),
            engine_health: String::new(),
            current_turn: 0,
            next_generation_at: None,
            skip_next_tick: false,
            created_at: at(1_764_000_000),
            updated_at: at(1_764_000_000),
            started_at: None,
            stopped_at: None,
            finished_at: None,
        })
        .await?;
    let start = UpdateStatusInput {
        game_id: "game-1".into(),
        expected_from: Status::Starting,
        to: Status::Running,
        now: at(1_764_000_030),
        engine_health_summary: Some("healthy".into()),
        current_image_ref: None,
        current_engine_version: None,
    };
    store.update_status(&start).await?;
    println!("{}", store.get("game-1").await?.status);
    match store.update_status(&start).await {
        Err(error @ StoreError::Conflict { .. }) => println!("{error}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    Ok(())
}
