//! The rules a store runs, and replacing them while it serves.
//!
//! Each call takes the rules that are active when it starts and keeps them to its end, so
//! a swap never touches a call in flight. A candidate goes live only after three steps,
//! each of which can refuse it while the active rules keep serving: load (compile and
//! type-check against the `runtime-store` world), instantiation (one instance made, its
//! start code run), and a [`RulesGate`] run against it on a scratch in-memory backend.

use std::fmt;
use std::sync::{Arc, RwLock};

use runtime_store_backend::{Backend, async_trait};
use runtime_store_memory::MemoryBackend;

use crate::identity::RulesIdentity;
use crate::observe;
use crate::sandbox::{Limits, Sandbox};
use crate::store::RuntimeStore;

/// What a candidate rules component must pass before it serves. The conformance crate's
/// `VectorGate` runs the shipped vectors (or an operator's own: a rules change ships the
/// vectors of the new rules).
#[async_trait]
pub trait RulesGate: Send + Sync {
    /// Exercises `candidate`: a store running the new rules on a scratch in-memory
    /// backend, nothing else shares it. An error says which check failed and how.
    async fn check(&self, candidate: &RuntimeStore) -> Result<(), String>;
}

/// The step of a swap that refused a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapStep {
    /// Compiling it and checking it against the world.
    Load,
    /// Making its first instance.
    Instantiate,
    /// The [`RulesGate`].
    Gate,
}

impl fmt::Display for SwapStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SwapStep::Load => "load (compile and type-check)",
            SwapStep::Instantiate => "instantiation",
            SwapStep::Gate => "the conformance gate",
        })
    }
}

/// A candidate refused by [`RuntimeStore::swap_rules`]; the active rules keep serving.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "swap rules to {candidate}: refused at {step}: {reason} (the rules {serving} keep serving)"
)]
pub struct SwapError {
    /// The step that refused it.
    pub step: SwapStep,
    /// Why, as that step said.
    pub reason: String,
    /// The refused component.
    pub candidate: RulesIdentity,
    /// The rules still active.
    pub serving: RulesIdentity,
}

/// The rules serving a store's calls.
pub(crate) struct ActiveRules {
    current: RwLock<Arc<Sandbox>>,
    backend: Arc<dyn Backend>,
    limits: Limits,
    /// One swap at a time: a second waits for the first's verdict.
    swapping: tokio::sync::Mutex<()>,
}

impl ActiveRules {
    pub(crate) fn new(sandbox: Sandbox, backend: Arc<dyn Backend>, limits: Limits) -> Self {
        ActiveRules {
            current: RwLock::new(Arc::new(sandbox)),
            backend,
            limits,
            swapping: tokio::sync::Mutex::new(()),
        }
    }

    /// The rules a call starting now runs on.
    pub(crate) fn current(&self) -> Arc<Sandbox> {
        // The lock guards one assignment of an Arc; a panic cannot leave it half done.
        Arc::clone(
            &self
                .current
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    pub(crate) async fn swap(
        &self,
        component: &[u8],
        gate: &dyn RulesGate,
    ) -> Result<RulesIdentity, SwapError> {
        let _one_at_a_time = self.swapping.lock().await;
        let candidate = RulesIdentity::of(component);
        let refused = |step: SwapStep, reason: String| {
            metrics::counter!(observe::RULES_SWAPS, "outcome" => step_label(step)).increment(1);
            SwapError {
                step,
                reason,
                candidate: candidate.clone(),
                serving: self.current().identity().clone(),
            }
        };
        let scratch_backend: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
        let scratch = Sandbox::new(component, Arc::clone(&scratch_backend), self.limits)
            .map_err(|error| refused(SwapStep::Load, error.to_string()))?;
        scratch
            .warm_up()
            .await
            .map_err(|failure| refused(SwapStep::Instantiate, failure.to_string()))?;
        let on_scratch =
            RuntimeStore::from_active(ActiveRules::new(scratch, scratch_backend, self.limits));
        gate.check(&on_scratch)
            .await
            .map_err(|reason| refused(SwapStep::Gate, reason))?;
        // Compiled once: the process cache hands the live sandbox the scratch one's code.
        let live = Sandbox::new(component, Arc::clone(&self.backend), self.limits)
            .map_err(|error| refused(SwapStep::Load, error.to_string()))?;
        let identity = live.identity().clone();
        let previous = std::mem::replace(
            &mut *self
                .current
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
            Arc::new(live),
        );
        metrics::counter!(observe::RULES_SWAPS, "outcome" => "live").increment(1);
        tracing::info!(
            from = previous.identity().sha256(),
            to = identity.sha256(),
            "rules swapped; calls in flight finish on the previous rules"
        );
        Ok(identity)
    }
}

fn step_label(step: SwapStep) -> &'static str {
    match step {
        SwapStep::Load => "refused_at_load",
        SwapStep::Instantiate => "refused_at_instantiation",
        SwapStep::Gate => "refused_at_gate",
    }
}
