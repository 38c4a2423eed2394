//! `fuzz`: the fuzz soak. Runs random cases natively and through the wasm host and
//! prints what they answered.
//!
//! ```text
//! cargo run --release -p runtime-store-fuzz -- --native 1000000 --wasm 100000
//! ```
//!
//! Exits non-zero, printing the shrunk case, on the first panic, trap, untyped answer,
//! refusal without its prefix or difference between the two paths.

use std::process::ExitCode;

use runtime_store_fuzz::{fuzz_native, fuzz_wasm};

const USAGE: &str = "usage: fuzz [--native CASES] [--wasm CASES]   (defaults 1000000 and 100000)";

fn counts() -> Result<(u32, u32), String> {
    let (mut native, mut wasm) = (1_000_000, 100_000);
    let mut arguments = std::env::args().skip(1);
    while let Some(flag) = arguments.next() {
        let value = arguments
            .next()
            .and_then(|value| value.parse::<u32>().ok())
            .ok_or_else(|| format!("{flag} needs a number of cases\n{USAGE}"))?;
        match flag.as_str() {
            "--native" => native = value,
            "--wasm" => wasm = value,
            _ => return Err(format!("unknown option {flag:?}\n{USAGE}")),
        }
    }
    Ok((native, wasm))
}

fn main() -> ExitCode {
    let (native, wasm) = match counts() {
        Ok(counts) => counts,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    for (path, cases, run) in [
        (
            "native (runtime-store-rules on MemoryStorage)",
            native,
            fuzz_native as fn(u32) -> _,
        ),
        (
            "wasm host on memory, answers compared with native",
            wasm,
            fuzz_wasm,
        ),
    ] {
        if cases == 0 {
            continue;
        }
        match run(cases) {
            Ok(stats) => println!(
                "fuzz {path}:\n{stats}\nno panic, no trap: every answer a result or a typed error\n"
            ),
            Err(failure) => {
                eprintln!("fuzz {path}: failed:\n{failure}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
