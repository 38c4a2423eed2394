//! `component` and `inspect`: the rules component as a file.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use runtime_store_host::{embedded_component, inspect_component};

/// Writes the embedded component to `file` and prints its path, size and hash.
pub fn write(file: &Path, out: &mut impl Write) -> anyhow::Result<()> {
    let bytes = embedded_component();
    let info = inspect_component(bytes).context("inspect the embedded component")?;
    std::fs::write(file, bytes).with_context(|| format!("write {}", file.display()))?;
    writeln!(out, "{}", file.display())?;
    writeln!(out, "size:   {} bytes", info.size)?;
    writeln!(out, "sha256: {}", info.sha256)?;
    Ok(())
}

/// Prints what `file` (or the embedded component) imports and exports.
pub fn inspect(file: Option<&Path>, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let (label, bytes) = match file {
        Some(path) => (
            path.display().to_string(),
            Cow::Owned(std::fs::read(path).with_context(|| format!("read {}", path.display()))?),
        ),
        None => (
            "embedded rules component".to_owned(),
            Cow::Borrowed(embedded_component()),
        ),
    };
    let info = inspect_component(&bytes).with_context(|| format!("inspect {label}"))?;
    if json {
        writeln!(
            out,
            "{}",
            serde_json::to_string(&info).context("encode the summary as JSON")?
        )?;
        return Ok(());
    }
    writeln!(out, "component: {label}")?;
    writeln!(out, "size:      {} bytes", info.size)?;
    writeln!(out, "sha256:    {}", info.sha256)?;
    writeln!(out, "imports:")?;
    for name in &info.imports {
        writeln!(out, "  {name}")?;
    }
    writeln!(out, "exports:")?;
    for name in &info.exports {
        writeln!(out, "  {name}")?;
    }
    Ok(())
}
