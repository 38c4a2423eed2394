//! `component` and `inspect`: the rules component as a file.

use std::path::Path;

use anyhow::Context;
use runtime_store_host::{embedded_component, inspect_component};

/// Writes the embedded component to `out` and prints its path, size and hash.
pub fn write(out: &Path) -> anyhow::Result<()> {
    let bytes = embedded_component();
    let info = inspect_component(bytes).context("inspect the embedded component")?;
    std::fs::write(out, bytes).with_context(|| format!("write {}", out.display()))?;
    println!("{}", out.display());
    println!("size:   {} bytes", info.size);
    println!("sha256: {}", info.sha256);
    Ok(())
}

/// The `--json` form of `inspect`, in this key order.
#[derive(serde::Serialize)]
struct Summary<'a> {
    size: usize,
    sha256: &'a str,
    imports: &'a [String],
    exports: &'a [String],
}

/// Prints what `file` (or the embedded component) imports and exports.
pub fn inspect(file: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let (label, bytes) = match file {
        Some(path) => (
            path.display().to_string(),
            std::fs::read(path).with_context(|| format!("read {}", path.display()))?,
        ),
        None => (
            "embedded rules component".to_owned(),
            embedded_component().to_vec(),
        ),
    };
    let info = inspect_component(&bytes).with_context(|| format!("inspect {label}"))?;
    if json {
        let summary = Summary {
            size: info.size,
            sha256: &info.sha256,
            imports: &info.imports,
            exports: &info.exports,
        };
        println!(
            "{}",
            serde_json::to_string(&summary).context("encode the summary as JSON")?
        );
        return Ok(());
    }
    println!("component: {label}");
    println!("size:      {} bytes", info.size);
    println!("sha256:    {}", info.sha256);
    println!("imports:");
    for name in &info.imports {
        println!("  {name}");
    }
    println!("exports:");
    for name in &info.exports {
        println!("  {name}");
    }
    Ok(())
}
