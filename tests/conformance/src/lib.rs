//! The conformance vector runner of the runtime record store.
//!
//! `tests/conformance/*.json` holds language-neutral vectors (format:
//! `tests/conformance/README.md`): each file is a list of store and rules calls with the
//! result the contract (docs/contract.md) requires. Every host and every storage adapter must pass all of them.
//! This crate reads the files strictly ([`VectorFile::load`]; a malformed file is a
//! [`LoadError`] naming the file and the step) and runs them against a Rust
//! [`RuntimeStore`](runtime_store_host::RuntimeStore) ([`run_vectors`]), comparing results exactly and reporting every step.
//! [`model`] holds a reference model of the store and random operation sequences to
//! compare a store with it (model-based property tests on any backend);
//! [`linearizability`] checks concurrent histories against that model (Wing–Gong).
//! [`VectorGate`] runs vector files against a candidate rules component before
//! [`RuntimeStore::swap_rules`](runtime_store_host::RuntimeStore::swap_rules) lets it serve.
//!
//! Run the whole suite on a backend of your choice with a fresh store per file:
//!
//! ```
//! use runtime_store_conformance::{run_vectors, vector_files, VectorFile};
//! use runtime_store_host::RuntimeStore;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let path = vector_files().unwrap().into_iter().next().unwrap();
//! let file = VectorFile::load(&path).unwrap();
//! let store = RuntimeStore::builder().backend_url("memory:").build().await.unwrap();
//! let report = run_vectors(&store, &file).await.unwrap();
//! assert_eq!(report.failed(), 0, "{}: {report}", path.display());
//! # });
//! ```
#![deny(missing_docs)]

mod describe;
mod gate;
pub mod linearizability;
pub mod model;
mod run;
mod vectors;

use std::path::{Path, PathBuf};

pub use gate::VectorGate;
pub use run::{Report, RunError, StepReport, execute, run_vectors};
pub use vectors::{Call, Expectation, LoadError, OkShape, OkValue, Step, VectorFile};

/// `tests/conformance` of this repository, this crate's folder, where the vector files live.
pub fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Every `*.json` file in [`conformance_dir`], sorted by name.
pub fn vector_files() -> Result<Vec<PathBuf>, LoadError> {
    let dir = conformance_dir();
    let list_error = |source| LoadError::ListDir {
        dir: dir.clone(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(list_error)? {
        let path = entry.map_err(list_error)?.path();
        if path
            .extension()
            .is_some_and(|extension| extension == "json")
            && path.is_file()
        {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
