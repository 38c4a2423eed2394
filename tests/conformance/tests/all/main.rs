//! Conformance vectors, model-based tests and linearizability through the Rust host on
//! memory: one binary.

mod conformance_memory;
mod generated_vectors;
mod linearizability;
mod model_based;
mod shared_store;
mod swap;
