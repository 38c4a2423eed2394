//! The rules of the runtime record store, built as a sandboxed WebAssembly component.
//!
//! Every rule of the store lives here: input validation with its exact messages, the
//! status transition table, the lifecycle stamps of a status change, truncation of
//! timestamps to microseconds, list orders, page cursors and the mapping of backend outcomes to
//! [`StoreError`](types::StoreError). Storage comes from elsewhere: built for
//! `wasm32-unknown-unknown`, the crate is the `runtime-store` component and reaches
//! storage through the imported `backend` interface; compiled natively, the same rules
//! drive any [`Storage`](store::Storage), such as [`MemoryStorage`](memory::MemoryStorage).
//!
//! ```
//! use runtime_store_rules::memory::MemoryStorage;
//! use runtime_store_rules::store;
//! use runtime_store_rules::types::{RuntimeRecord, Status, StoreError, Timestamp, UpdateStatusInput};
//!
//! let at = Timestamp { seconds: 1_700_000_000, nanoseconds: 123_456_789 };
//! let record = RuntimeRecord {
//!     game_id: "g1".into(), status: Status::Starting, engine_endpoint: "http://engine:8080".into(),
//!     current_image_ref: "engine:1".into(), current_engine_version: "1.0.0".into(),
//!     engine_health: String::new(), current_turn: 0, next_generation_at: None,
//!     skip_next_tick: false, created_at: at, updated_at: at,
//!     started_at: None, stopped_at: None, finished_at: None,
//! };
//! let mut storage = MemoryStorage::default();
//! store::insert(&mut storage, record)?;
//!
//! let stored = store::get(&mut storage, "g1")?;
//! assert_eq!(stored.created_at, Timestamp { seconds: 1_700_000_000, nanoseconds: 123_456_000 });
//!
//! let skip_a_state = UpdateStatusInput {
//!     game_id: "g1".into(), expected_from: Status::Starting, to: Status::Finished, now: at,
//!     engine_health_summary: None, current_image_ref: None, current_engine_version: None,
//! };
//! assert_eq!(
//!     store::update_status(&mut storage, skip_a_state),
//!     Err(StoreError::InvalidTransition(
//!         r#"update runtime status: runtime status transition from "starting" to "finished" is not allowed"#.into()
//!     )),
//! );
//! # Ok::<(), StoreError>(())
//! ```
//!
//! # Decisions where the original contract is silent
//!
//! * A string holding U+0000 is `invalid-input` (`<prefix>: <field words> must not contain
//!   NUL characters`), checked after the lengths and the timestamp validity, string by
//!   string in the order of the lengths: PostgreSQL text cannot hold NUL, memory can, and
//!   every backend must give the same answer (see `docs/design.md`).
//! * A `status-mismatch` answer to a patch sent without an expected status (which a
//!   correct backend never gives) is still `conflict`: one mapping for every patch.
//! * `get`, `delete`, `list`, `list-by-status` return what the backend stored without
//!   re-validating it; a backend that cannot decode a row reports `backend(corrupt)`.
//! * A backend's page that breaks the scan contract (out of order, not after the cursor,
//!   not matching the filter, beyond the limit) is `backend(failed)`; the rules check every
//!   list answer instead of sorting it, so a page is never silently wrong.
//! * Page limits are 1..=500 and cursors are the component's own text (see [`cursor`]).
//!
//! # Building the component
//!
//! `cargo build -p runtime-store-rules --target wasm32-unknown-unknown --profile guest`
//! gives the core module; `wit-component` turns it into the component. It imports only
//! `galaxy:gamemaster/backend@0.2.0`: no WASI, clock or randomness. Natively the export
//! glue is type-checked but not exported.
#![deny(missing_docs)]
#![deny(unsafe_code)]

#[allow(missing_docs, unsafe_code)]
mod bindings {
    wit_bindgen::generate!({
        world: "runtime-store",
        path: "../wit",
        additional_derives: [PartialEq, Eq],
    });
}

// Natively the component is type-checked but not exported (see the module), so its
// items have no caller there.
#[allow(unsafe_code)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod component;
pub mod cursor;
pub mod memory;
pub mod ordering;
pub mod store;
pub mod time;
pub mod transitions;
pub mod types;
pub mod validation;
