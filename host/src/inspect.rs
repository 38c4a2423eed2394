//! What a component imports and exports, read from its binary: validated and decoded,
//! never compiled, so inspecting costs milliseconds, not a Cranelift run.

use sha2::{Digest, Sha256};
use wasmtime::wasmparser::{Parser, Payload, Validator, WasmFeatures};

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
    /// Imported names (`galaxy:gamemaster/backend@0.2.0`, ...), in the component's order.
    pub imports: Vec<String>,
    /// Exported names, in the component's order.
    pub exports: Vec<String>,
}

/// Validates `bytes` as a component and reports its top-level imports and exports, size
/// and hash.
pub fn inspect_component(bytes: &[u8]) -> Result<ComponentInfo, BuildError> {
    let invalid =
        |error: wasmtime::wasmparser::BinaryReaderError| BuildError::Compile(Box::new(error));
    if !Parser::is_component(bytes) {
        return Err(BuildError::Compile(
            "not a WebAssembly component (a core module or other bytes)".into(),
        ));
    }
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(bytes)
        .map_err(invalid)?;
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    // Nested modules and components have imports and exports of their own; only the
    // outermost ones (depth 0) are the component's interface.
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(invalid)? {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(section) if depth == 0 => {
                for import in section {
                    imports.push(import.map_err(invalid)?.name.name.to_owned());
                }
            }
            Payload::ComponentExportSection(section) if depth == 0 => {
                for export in section {
                    exports.push(export.map_err(invalid)?.name.name.to_owned());
                }
            }
            _ => {}
        }
    }
    Ok(ComponentInfo {
        size: bytes.len(),
        sha256: format!("{:x}", Sha256::digest(bytes)),
        imports,
        exports,
    })
}
