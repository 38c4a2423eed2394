//! `componentize [--check]`: rebuilds the rules component and writes it to
//! `host/component/runtime-store.wasm`, or with `--check` only says whether the committed
//! copy matches its source. `scripts/build-component` runs it.

use anyhow::{Result, bail};
use runtime_store_componentize::{COMPONENT_PATH, build, check_toolchain, committed, repository};

fn main() -> Result<()> {
    let check_only = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => bail!("unknown argument {other:?}; usage: componentize [--check]"),
    };
    check_toolchain().map_err(|unbuildable| anyhow::anyhow!("{unbuildable}"))?;
    let rebuilt = build()?;
    if check_only {
        if committed()? != rebuilt {
            bail!("{COMPONENT_PATH} differs from what its source builds");
        }
        println!("{COMPONENT_PATH} matches its source ({} bytes)", rebuilt.len());
    } else {
        let path = repository().join(COMPONENT_PATH);
        std::fs::write(&path, &rebuilt)?;
        println!("wrote {COMPONENT_PATH} ({} bytes)", rebuilt.len());
    }
    Ok(())
}
