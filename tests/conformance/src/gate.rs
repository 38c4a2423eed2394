//! [`VectorGate`]: a [`RulesGate`] that runs conformance vector files against a candidate
//! rules component before it serves.
//!
//! ```
//! use runtime_store_conformance::VectorGate;
//! use runtime_store_host::{RuntimeStore, embedded_component};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let store = RuntimeStore::builder().backend_url("memory:").build().await.unwrap();
//! let gate = VectorGate::shipped().unwrap();
//! let identity = store.swap_rules(embedded_component(), &gate).await.unwrap();
//! assert_eq!(identity, store.rules_identity());
//! # });
//! ```

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use runtime_store_host::{RulesGate, RuntimeStore};

use crate::run::run_and_clean_up;
use crate::{LoadError, RunError, VectorFile, vector_files};

/// Runs vector files, in order, against the candidate store a swap hands it (a store on
/// a scratch in-memory backend that starts empty, so `alone` files run too), each file's
/// records deleted after it as [`run_vectors`](crate::run_vectors) does; the first failing
/// step refuses the candidate, and the reason names the file, the step and what was
/// expected versus what came back (then how many steps of the file failed).
///
/// The files are read when the gate is made, so a malformed file is a [`LoadError`]
/// then, never a refusal of a good candidate later.
#[derive(Debug, Clone)]
pub struct VectorGate {
    files: Vec<(PathBuf, VectorFile)>,
}

impl VectorGate {
    /// Every vector file of this repository ([`vector_files`]): the contract the shipped
    /// rules pass.
    pub fn shipped() -> Result<VectorGate, LoadError> {
        VectorGate::from_files(vector_files()?)
    }

    /// These files, in this order: an operator's own vectors (a change of the rules ships
    /// the vectors of the new rules).
    pub fn from_files<P: AsRef<Path>>(
        paths: impl IntoIterator<Item = P>,
    ) -> Result<VectorGate, LoadError> {
        let files = paths
            .into_iter()
            .map(|path| {
                let path = path.as_ref();
                VectorFile::load(path).map(|file| (path.to_path_buf(), file))
            })
            .collect::<Result<_, _>>()?;
        Ok(VectorGate { files })
    }

    /// The files the gate runs, in order.
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|(path, _)| path.as_path())
    }

    /// Runs every file against `candidate`; the first problem, in words.
    async fn run(&self, candidate: &RuntimeStore) -> Result<(), String> {
        for (path, file) in &self.files {
            // The scratch store starts empty and every file deletes what it created, so
            // the check that a file's game ids are free is skipped: it would be a `list()`
            // before the first step, and a candidate failing it would be refused for a
            // call no step makes.
            let (report, cleanup) = match run_and_clean_up(candidate, file).await {
                Ok(report) => (report, None),
                Err(RunError::Cleanup {
                    report,
                    left,
                    source,
                }) => (*report, Some((left, source))),
                Err(error) => return Err(format!("{}: {error}", path.display())),
            };
            if let Some(step) = report.failures().next() {
                return Err(format!(
                    "{}: {step} ({} of {} steps failed)",
                    path.display(),
                    report.failed(),
                    report.steps.len()
                ));
            }
            if let Some((left, source)) = cleanup {
                return Err(format!(
                    "{}: every step passed, but deleting what they created failed ({} left): \
                     {source}",
                    path.display(),
                    left.join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// Written out as `#[async_trait]` expands it (this crate does not depend on the
/// `async-trait` crate): a boxed `Send` future borrowing `self` and the candidate.
impl RulesGate for VectorGate {
    fn check<'gate, 'candidate, 'future>(
        &'gate self,
        candidate: &'candidate RuntimeStore,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'future>>
    where
        'gate: 'future,
        'candidate: 'future,
        Self: 'future,
    {
        Box::pin(self.run(candidate))
    }
}
