//! `componentize [--check]`: rebuilds the rules component and writes it to
//! `host/component/runtime-store.wasm`, or with `--check` only says whether the committed
//! copy matches its source. `componentize hostile [--check]` does the same for the hostile
//! test components under `tests/hostile/`. `scripts/build-component` runs it.

use std::path::Path;

use anyhow::{Context, Result, bail};
use runtime_store_componentize::hostile::HOSTILE;
use runtime_store_componentize::{COMPONENT_PATH, build, check_toolchain, repository};

const USAGE: &str = "usage: componentize [hostile] [--check]";

fn main() -> Result<()> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let check_only = arguments.iter().any(|argument| argument == "--check");
    let hostile = arguments.iter().any(|argument| argument == "hostile");
    if let Some(unknown) = arguments
        .iter()
        .find(|argument| !matches!(argument.as_str(), "--check" | "hostile"))
    {
        bail!("unknown argument {unknown:?}; {USAGE}");
    }
    let outputs = if hostile {
        HOSTILE
            .iter()
            .map(|component| Ok((component.relative_path(), component.component()?)))
            .collect::<Result<Vec<_>>>()?
    } else {
        check_toolchain().map_err(|unbuildable| anyhow::anyhow!("{unbuildable}"))?;
        vec![(COMPONENT_PATH.to_owned(), build()?)]
    };
    for (relative, bytes) in outputs {
        let path = repository().join(&relative);
        if check_only {
            check(&path, &bytes).with_context(|| format!("check {relative}"))?;
            println!("{relative} matches its source ({} bytes)", bytes.len());
        } else {
            std::fs::create_dir_all(path.parent().expect("a file in a folder"))?;
            std::fs::write(&path, &bytes)?;
            println!("wrote {relative} ({} bytes)", bytes.len());
        }
    }
    Ok(())
}

fn check(path: &Path, rebuilt: &[u8]) -> Result<()> {
    if std::fs::read(path)? != rebuilt {
        bail!("it differs from what its source builds");
    }
    Ok(())
}
