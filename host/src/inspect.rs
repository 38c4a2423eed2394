//! What a component imports and exports, read from its compiled type.

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

use crate::error::BuildError;

/// The identity and interface of a component. With the `serde` feature it serialises
/// to `{"size", "sha256", "imports", "exports"}` in this order (`runtime-store inspect
/// --json`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ComponentInfo {
    /// Size in bytes.
    pub size: usize,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// Imported names (`galaxy:gamemaster/backend@0.1.0`, ...), in the component's order.
    pub imports: Vec<String>,
    /// Exported names, in the component's order.
    pub exports: Vec<String>,
}

/// Compiles `bytes` (without instantiating) and reports its imports, exports, size and
/// hash.
pub fn inspect_component(bytes: &[u8]) -> Result<ComponentInfo, BuildError> {
    let engine =
        Engine::new(&Config::new()).map_err(|error| BuildError::Engine(format!("{error:#}")))?;
    let component = Component::new(&engine, bytes)
        .map_err(|error| BuildError::Compile(format!("{error:#}")))?;
    let component_type = component.component_type();
    Ok(ComponentInfo {
        size: bytes.len(),
        sha256: format!("{:x}", Sha256::digest(bytes)),
        imports: component_type
            .imports(&engine)
            .map(|(name, _)| name.to_owned())
            .collect(),
        exports: component_type
            .exports(&engine)
            .map(|(name, _)| name.to_owned())
            .collect(),
    })
}
