//! Components that fit the `runtime-store` world but misbehave, for the hosts' sandbox
//! tests: every export runs the same hostile body. Committed under `tests/hostile/` so the
//! Python and JavaScript tests need no Rust toolchain; this crate's test checks them.

use std::fmt::Write as _;

use anyhow::{Context, Result};
use wit_parser::abi::{AbiVariant, WasmType};
use wit_parser::{Resolve, WorldItem};

use crate::repository;

/// Where the hostile components are committed, relative to the repository.
pub const HOSTILE_DIR: &str = "tests/hostile";

/// Each hostile component: (file stem, what every export does, as a core wasm body).
pub const HOSTILE: &[(&str, &str)] = &[
    // Spins until a CPU bound stops it.
    ("loop", "(loop $spin (br $spin)) unreachable"),
    // Grows its memory a page at a time until growth fails, then traps.
    (
        "grow-memory",
        "(loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) unreachable",
    ),
    // Traps at once.
    ("trap", "unreachable"),
];

/// A component implementing every export of the `runtime-store` world with `body`.
pub fn stub_component(body: &str) -> Result<Vec<u8>> {
    let mut resolve = Resolve::default();
    let (package, _) = resolve
        .push_dir(repository().join("wit"))
        .context("parse wit/")?;
    let world = resolve.select_world(&[package], Some("runtime-store"))?;
    let mut wat = String::from("(module\n  (memory (export \"memory\") 17)\n");
    wat.push_str(
        "  (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32) i32.const 1024)\n",
    );
    for (key, item) in &resolve.worlds[world].exports {
        let WorldItem::Interface { id, .. } = item else {
            continue;
        };
        let interface_name = resolve.name_world_key(key);
        for function in resolve.interfaces[*id].functions.values() {
            let signature = resolve.wasm_signature(AbiVariant::GuestExport, function);
            writeln!(
                wat,
                "  (func (export \"{interface_name}#{}\") (param{}) (result{}) {body})",
                function.name,
                core_types(&signature.params),
                core_types(&signature.results),
            )?;
        }
    }
    wat.push(')');
    let mut module = wat::parse_str(&wat).context("assemble the stub module")?;
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
        false,
    )?;
    wit_component::ComponentEncoder::default()
        .module(&module)?
        .validate(true)
        .encode()
        .context("encode the stub component")
}

fn core_types(types: &[WasmType]) -> String {
    types
        .iter()
        .map(|ty| match ty {
            WasmType::I64 | WasmType::PointerOrI64 => " i64",
            WasmType::F32 => " f32",
            WasmType::F64 => " f64",
            WasmType::I32 | WasmType::Pointer | WasmType::Length => " i32",
        })
        .collect()
}
