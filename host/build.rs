//! Builds the rules guest (`guest-validation/`) for `wasm32-unknown-unknown`, turns the
//! core module into a component and leaves it in `OUT_DIR` for `include_bytes!`, so a
//! plain `cargo build` of the host is all a fresh clone needs.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const GUEST_TARGET: &str = "wasm32-unknown-unknown";
const GUEST_PACKAGE: &str = "guest-validation";
const GUEST_PROFILE: &str = "guest";
/// The file name `include_bytes!` in `src/lib.rs` reads from `OUT_DIR`.
const COMPONENT_FILE: &str = "runtime_store.wasm";

/// Variables the outer cargo sets for this crate that would change or break the
/// nested guest build (flags for the host target, a wrapper such as clippy-driver, a
/// forced target or target directory). `CARGO_MAKEFLAGS` stays: it carries the jobserver.
const INHERITED_ENV_TO_DROP: &[&str] = &[
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "RUSTC_WORKSPACE_WRAPPER",
];

fn main() -> ExitCode {
    match build_component() {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // Cargo shows this line as the reason the build failed.
            println!("cargo::error={}", failure.message);
            // A clean exit keeps cargo from adding this script's output; a failed guest
            // build exits non-zero so cargo shows the compiler errors printed on stderr.
            if failure.show_output {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

/// Why the component could not be built.
struct Failure {
    /// One line saying what failed and what to do.
    message: String,
    /// Whether cargo should also show what this script printed on stderr.
    show_output: bool,
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure {
            message,
            show_output: false,
        }
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Failure::from(message.to_owned())
    }
}

fn build_component() -> Result<(), Failure> {
    let manifest_dir = PathBuf::from(env_var("CARGO_MANIFEST_DIR")?);
    let workspace = manifest_dir
        .parent()
        .ok_or("the host crate has no parent directory (expected the workspace root)")?
        .to_path_buf();
    for input in [
        "guest-validation/src",
        "guest-validation/Cargo.toml",
        "wit",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!(
            "cargo::rerun-if-changed={}",
            workspace.join(input).display()
        );
    }

    let out_dir = PathBuf::from(env_var("OUT_DIR")?);
    check_guest_target_installed()?;
    let guest_target_dir = target_dir_of(&out_dir)?.join("guest");
    let core_module = build_guest(&workspace, &guest_target_dir)?;
    let core = std::fs::read(&core_module)
        .map_err(|err| format!("reading the guest module {}: {err}", core_module.display()))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&core)
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(|err| format!("turning the guest module into a component: {err:#}"))?;
    let destination = out_dir.join(COMPONENT_FILE);
    std::fs::write(&destination, component)
        .map_err(|err| format!("writing {}: {err}", destination.display()))?;
    Ok(())
}

fn env_var(name: &str) -> Result<String, String> {
    env::var(name).map_err(|_| format!("cargo did not set {name} for the host build script"))
}

/// Fails with one actionable line when the wasm standard library is missing, instead
/// of a page of "can't find crate for `core`" from the nested build.
fn check_guest_target_installed() -> Result<(), Failure> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let output = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|err| format!("running `{rustc} --print sysroot`: {err}"))?;
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let target_lib = Path::new(&sysroot)
        .join("lib")
        .join("rustlib")
        .join(GUEST_TARGET);
    if target_lib.is_dir() {
        Ok(())
    } else {
        Err(Failure::from(format!(
            "the rules guest needs the {GUEST_TARGET} target: run `rustup target add {GUEST_TARGET}`"
        )))
    }
}

/// The shared `target/` directory: `OUT_DIR` is `<target>[/<triple>]/<profile>/build/<pkg>-<hash>/out`.
/// The guest gets its own directory below it so the nested cargo never waits for the
/// lock the outer build holds.
fn target_dir_of(out_dir: &Path) -> Result<PathBuf, String> {
    out_dir
        .ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "build"))
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("unexpected OUT_DIR layout: {}", out_dir.display()))
}

/// Runs the nested `cargo build` of the guest; its output is shown only when it fails.
fn build_guest(workspace: &Path, target_dir: &Path) -> Result<PathBuf, Failure> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(&cargo);
    command
        .current_dir(workspace)
        .args(["build", "--quiet", "-p", GUEST_PACKAGE])
        .args(["--target", GUEST_TARGET, "--profile", GUEST_PROFILE])
        .arg("--target-dir")
        .arg(target_dir);
    for name in INHERITED_ENV_TO_DROP {
        command.env_remove(name);
    }
    let output = command
        .output()
        .map_err(|err| format!("running `{cargo} build -p {GUEST_PACKAGE}`: {err}"))?;
    if !output.status.success() {
        // Cargo reads build script stdout as directives; the guest's compiler errors go
        // to stderr so they are shown with the failure.
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        return Err(Failure {
            message: format!(
                "building the rules guest failed (`cargo build -p {GUEST_PACKAGE} --target {GUEST_TARGET} --profile {GUEST_PROFILE}`); its errors follow"
            ),
            show_output: true,
        });
    }
    let module_name = format!("{}.wasm", GUEST_PACKAGE.replace('-', "_"));
    Ok(target_dir
        .join(GUEST_TARGET)
        .join(GUEST_PROFILE)
        .join(module_name))
}
