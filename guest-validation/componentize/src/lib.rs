//! Builds the rules component the hosts ship.
//!
//! The rules guest (`guest-validation/`, crate `runtime-store-rules`) is compiled for
//! `wasm32-unknown-unknown` with the `guest` profile and the pinned toolchain, and
//! `wit-component` turns the core module into a component. The result is committed as
//! [`COMPONENT_PATH`]: the Rust host embeds that file, the Python wheel and the npm package
//! carry it, and no user build compiles the guest or needs the wasm target. This crate's
//! test rebuilds the component and fails when the committed bytes differ;
//! `scripts/build-component` rewrites them.
#![deny(missing_docs)]

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

pub mod hostile;

/// The toolchain whose output is committed: another rustc gives other bytes.
pub const PINNED_RUST: &str = "1.95.0";
/// The target the guest is compiled for.
pub const GUEST_TARGET: &str = "wasm32-unknown-unknown";
/// The crate holding the rules.
pub const GUEST_PACKAGE: &str = "runtime-store-rules";
/// The cargo profile of the guest build (size-optimised, `panic = "abort"`).
pub const GUEST_PROFILE: &str = "guest";
/// Where the component is committed, relative to the repository.
pub const COMPONENT_PATH: &str = "host/component/runtime-store.wasm";
/// The script that rebuilds and rewrites the committed component.
pub const REBUILD_SCRIPT: &str = "scripts/build-component";

/// Variables an outer cargo (a `cargo test` running this crate's test) sets that would
/// change or break the nested guest build.
const INHERITED_ENV_TO_DROP: &[&str] = &[
    "RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTC_WRAPPER",
];

/// The repository this crate lies in.
pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the crate lies two folders below the repository")
        .to_path_buf()
}

/// Why the component cannot be rebuilt on this machine: the pinned toolchain or its wasm
/// target is missing. Everything else that fails is an error of the build itself.
#[derive(Debug, PartialEq, Eq)]
pub struct Unbuildable(pub String);

impl std::fmt::Display for Unbuildable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn rustc() -> OsString {
    env::var_os("RUSTC").unwrap_or_else(|| "rustc".into())
}

fn rustc_output(arguments: &[&str]) -> Result<String, Unbuildable> {
    let output = Command::new(rustc())
        .args(arguments)
        .current_dir(repository())
        .output()
        .map_err(|err| Unbuildable(format!("cannot run rustc: {err}")))?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Checks that this machine has the pinned toolchain with the wasm target.
pub fn check_toolchain() -> Result<(), Unbuildable> {
    let version = rustc_output(&["--version"])?;
    let expected = format!("rustc {PINNED_RUST} ");
    if !version.starts_with(&expected) {
        return Err(Unbuildable(format!(
            "the committed component is built with Rust {PINNED_RUST} (this is `{version}`): \
             `rustup toolchain install {PINNED_RUST} --target {GUEST_TARGET}`, then \
             `RUSTUP_TOOLCHAIN={PINNED_RUST} {REBUILD_SCRIPT}`"
        )));
    }
    let sysroot = rustc_output(&["--print", "sysroot"])?;
    let target_lib = Path::new(&sysroot).join("lib/rustlib").join(GUEST_TARGET);
    if !target_lib.is_dir() {
        return Err(Unbuildable(format!(
            "rebuilding the rules component needs the {GUEST_TARGET} target: \
             `rustup target add {GUEST_TARGET}`"
        )));
    }
    Ok(())
}

/// Compiles the guest and returns the component's bytes. The guest gets a target folder
/// of its own (`target/guest`), so a nested build never waits for an outer cargo's lock.
pub fn build() -> Result<Vec<u8>> {
    let repository = repository();
    let target_dir = repository.join("target").join("guest");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .current_dir(&repository)
        .args(["build", "--quiet", "--locked", "-p", GUEST_PACKAGE, "--lib"])
        .args(["--target", GUEST_TARGET, "--profile", GUEST_PROFILE])
        .arg("--target-dir")
        .arg(&target_dir)
        .env("CARGO_ENCODED_RUSTFLAGS", remapped_paths(&repository));
    for name in INHERITED_ENV_TO_DROP {
        command.env_remove(name);
    }
    let status = command
        .status()
        .with_context(|| format!("run `cargo build -p {GUEST_PACKAGE}`"))?;
    if !status.success() {
        bail!(
            "`cargo build -p {GUEST_PACKAGE} --target {GUEST_TARGET} --profile {GUEST_PROFILE}` failed ({status})"
        );
    }
    let module_path = target_dir
        .join(GUEST_TARGET)
        .join(GUEST_PROFILE)
        .join(format!("{}.wasm", GUEST_PACKAGE.replace('-', "_")));
    let module = std::fs::read(&module_path)
        .with_context(|| format!("read the guest module {}", module_path.display()))?;
    wit_component::ComponentEncoder::default()
        .module(&module)
        .and_then(|encoder| encoder.validate(true).encode())
        .context("turn the guest module into a component")
}

/// Rustc flags that keep machine-specific folders out of the module (panic locations of
/// dependencies would otherwise name this machine's cargo home), so any checkout on any
/// machine with the pinned toolchain builds the same bytes.
fn remapped_paths(repository: &Path) -> String {
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    let mut flags = vec![format!(
        "--remap-path-prefix={}=/workspace",
        repository.display()
    )];
    if let Some(cargo_home) = cargo_home {
        flags.push(format!(
            "--remap-path-prefix={}=/cargo",
            cargo_home.display()
        ));
    }
    flags.join("\u{1f}")
}

/// The committed component's bytes.
pub fn committed() -> Result<Vec<u8>> {
    let path = repository().join(COMPONENT_PATH);
    std::fs::read(&path).with_context(|| format!("read {}", path.display()))
}
