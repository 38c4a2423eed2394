//! Conformance vectors and model-based tests through the Rust host on memory: one binary.

mod conformance_memory;
mod generated_vectors;
mod model_based;
mod shared_store;
