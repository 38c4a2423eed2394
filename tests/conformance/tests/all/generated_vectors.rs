//! The committed vectors are exactly what `tests/conformance/generate.py` writes, so no
//! expectation was edited by hand (or filled in from a run) behind the generator's back.

use std::process::Command;

use runtime_store_conformance::conformance_dir;

#[test]
fn committed_vectors_are_the_generator_output() {
    let script = conformance_dir().join("generate.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg("--check")
        .output()
        .unwrap_or_else(|error| panic!("run python3 {}: {error}", script.display()));
    assert!(
        output.status.success(),
        "{} --check failed:\n{}{}",
        script.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
