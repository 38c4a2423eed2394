//! Components that fit the `runtime-store` world (or pretend to) but misbehave, for the
//! hosts' sandbox tests: every export runs the same hostile body. Committed under
//! `tests/hostile/` so the Python and JavaScript tests need no Rust toolchain; this crate's
//! test checks them.
//!
//! A body is a core wasm instruction sequence. Two kinds of placeholder let it reach beyond
//! its own function:
//!
//! * `{backend.<function>}` calls the imported `backend` function (`fetch`, `scan`, ...) as
//!   the canonical ABI lowers it: every argument zero (an empty game id, the `all` scan
//!   filter, ...) and the answer written to a return area in the guest's memory. The core
//!   module imports exactly the functions its body calls, so the component imports
//!   `galaxy:gamemaster/backend@0.2.0` only when it uses it.
//! * `$recurse` is a helper function calling itself forever (a stack overflow).
//! * `{trap-on-start}` gives the core module a start function that traps, so the component
//!   cannot be instantiated.

use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use wit_parser::abi::{AbiVariant, WasmSignature, WasmType};
use wit_parser::{Resolve, WorldId, WorldItem};

use crate::repository;

/// Where the hostile components are committed, relative to the repository.
pub const HOSTILE_DIR: &str = "tests/hostile";

/// The interface whose functions a body may call with `{backend.<function>}`.
const BACKEND_INTERFACE: &str = "galaxy:gamemaster/backend@0.2.0";

/// Where a lowered backend call's answer is written in the stub's memory (8-aligned, clear
/// of the 1024 bytes `cabi_realloc` hands out).
const RETURN_AREA: u32 = 2048;

/// One hostile component.
#[derive(Debug, Clone, Copy)]
pub struct Hostile {
    /// The file stem under [`HOSTILE_DIR`].
    pub stem: &'static str,
    /// What every export does, as a core wasm body (see the module documentation).
    pub body: &'static str,
    /// `(from, to)`: the world is built from `wit/` with `from` replaced by `to`, for a
    /// guest built against other types than the hosts'. `None` builds against `wit/`.
    pub wit_edit: Option<(&'static str, &'static str)>,
}

impl Hostile {
    /// The component's bytes.
    pub fn component(&self) -> Result<Vec<u8>> {
        component_for(self.body, self.wit_edit)
            .with_context(|| format!("build the hostile component {:?}", self.stem))
    }

    /// The committed file, relative to the repository.
    pub fn relative_path(&self) -> String {
        format!("{HOSTILE_DIR}/{}.wasm", self.stem)
    }
}

/// Every hostile component the hosts' sandbox tests use.
pub const HOSTILE: &[Hostile] = &[
    // Spins until a CPU bound (fuel, or the wall-clock deadline) stops it.
    Hostile {
        stem: "loop",
        body: "(loop $spin (br $spin)) unreachable",
        wit_edit: None,
    },
    // Grows its memory a page at a time until growth fails, then traps.
    Hostile {
        stem: "grow-memory",
        body: "(loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) unreachable",
        wit_edit: None,
    },
    // Traps at once.
    Hostile {
        stem: "trap",
        body: "unreachable",
        wit_edit: None,
    },
    // Calls the imported backend `fetch` (empty game id) forever: only a host bound on
    // backend calls or wall-clock time stops it, since fuel counts wasm instructions only.
    Hostile {
        stem: "fetch-loop",
        body: "(loop $again {backend.fetch} (br $again)) unreachable",
        wit_edit: None,
    },
    // Calls the imported backend `scan` (every record) forever.
    Hostile {
        stem: "scan-loop",
        body: "(loop $again {backend.scan} (br $again)) unreachable",
        wit_edit: None,
    },
    // Traps while it is instantiated (its core module's start function): no call ever runs.
    Hostile {
        stem: "trap-on-start",
        body: "{trap-on-start} unreachable",
        wit_edit: None,
    },
    // Recurses without end: the wasm stack limit stops it.
    Hostile {
        stem: "recurse",
        body: "(call $recurse) unreachable",
        wit_edit: None,
    },
    // Exports `store.get` taking a u32 instead of a string: a host must refuse it when it
    // loads the component, naming the function.
    Hostile {
        stem: "wrong-types",
        body: "unreachable",
        wit_edit: Some((
            "get: func(game-id: string) -> result<runtime-record, store-error>;",
            "get: func(game-id: u32) -> result<runtime-record, store-error>;",
        )),
    },
];

/// The hostile component called `stem`.
pub fn hostile(stem: &str) -> Result<Vec<u8>> {
    match HOSTILE.iter().find(|hostile| hostile.stem == stem) {
        Some(hostile) => hostile.component(),
        None => bail!("no hostile component is called {stem:?}"),
    }
}

/// A component implementing every export of the `runtime-store` world with `body`.
pub fn stub_component(body: &str) -> Result<Vec<u8>> {
    component_for(body, None)
}

fn component_for(body: &str, wit_edit: Option<(&str, &str)>) -> Result<Vec<u8>> {
    let (resolve, world) = world(wit_edit)?;
    let mut module =
        wat::parse_str(stub_module(&resolve, world, body)?).context("assemble the stub module")?;
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

/// The `runtime-store` world of `wit/`, with `wit_edit` applied to its source first.
fn world(wit_edit: Option<(&str, &str)>) -> Result<(Resolve, WorldId)> {
    let mut resolve = Resolve::default();
    let wit_dir = repository().join("wit");
    let package = match wit_edit {
        None => resolve.push_dir(&wit_dir).context("parse wit/")?.0,
        Some((from, to)) => {
            let path = wit_dir.join("gamemaster.wit");
            let source = std::fs::read_to_string(&path)
                .with_context(|| format!("read {}", path.display()))?;
            if !source.contains(from) {
                bail!("{} does not contain {from:?}", path.display());
            }
            resolve
                .push_str(&path, &source.replacen(from, to, 1))
                .context("parse the edited wit")?
        }
    };
    let world = resolve.select_world(&[package], Some("runtime-store"))?;
    Ok((resolve, world))
}

/// The core module: the backend imports the body calls, a memory, `cabi_realloc`, the
/// helpers the body names and every export of the world running `body`.
fn stub_module(resolve: &Resolve, world: WorldId, body: &str) -> Result<String> {
    let mut imports = String::new();
    let mut body = body.to_owned();
    for (key, item) in &resolve.worlds[world].imports {
        let WorldItem::Interface { id, .. } = item else {
            continue;
        };
        if resolve.name_world_key(key) != BACKEND_INTERFACE {
            continue;
        }
        for function in resolve.interfaces[*id].functions.values() {
            let placeholder = format!("{{backend.{}}}", function.name);
            if !body.contains(&placeholder) {
                continue;
            }
            let signature = resolve.wasm_signature(AbiVariant::GuestImport, function);
            writeln!(
                imports,
                "  (import \"{BACKEND_INTERFACE}\" \"{name}\" (func $backend-{name} (param{}) (result{})))",
                core_types(&signature.params),
                core_types(&signature.results),
                name = function.name,
            )?;
            body = body.replace(&placeholder, &lowered_call(&function.name, &signature));
        }
    }
    if let Some(start) = body.find("{backend.") {
        bail!(
            "the body calls a backend function the world does not import: {}",
            &body[start..]
        );
    }
    let mut wat = format!("(module\n{imports}  (memory (export \"memory\") 17)\n");
    wat.push_str(
        "  (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32) i32.const 1024)\n",
    );
    if body.contains("$recurse") {
        wat.push_str("  (func $recurse (call $recurse))\n");
    }
    if body.contains("{trap-on-start}") {
        wat.push_str("  (func $start unreachable)\n  (start $start)\n");
    }
    let body = body.replace("{trap-on-start}", "");
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
    Ok(wat)
}

/// A call of the imported `name` with every argument zero but the return pointer, its
/// results dropped.
fn lowered_call(name: &str, signature: &WasmSignature) -> String {
    let count = signature.params.len();
    let arguments: String = signature
        .params
        .iter()
        .enumerate()
        .map(|(index, ty)| {
            if signature.retptr && index + 1 == count {
                format!(" (i32.const {RETURN_AREA})")
            } else {
                format!(" ({}.const 0)", core_type(ty))
            }
        })
        .collect();
    let drops = " drop".repeat(signature.results.len());
    format!("(call $backend-{name}{arguments}){drops}")
}

fn core_type(ty: &WasmType) -> &'static str {
    match ty {
        WasmType::I64 | WasmType::PointerOrI64 => "i64",
        WasmType::F32 => "f32",
        WasmType::F64 => "f64",
        WasmType::I32 | WasmType::Pointer | WasmType::Length => "i32",
    }
}

fn core_types(types: &[WasmType]) -> String {
    types
        .iter()
        .map(|ty| format!(" {}", core_type(ty)))
        .collect()
}
