//! The embedded component imports only the project's interfaces.

use runtime_store_host::{embedded_component, inspect_component};

#[test]
fn embedded_component_imports_only_the_backend_and_exports_rules_and_store() {
    let info = inspect_component(embedded_component()).expect("the embedded component compiles");
    let mut imports = info.imports.clone();
    imports.retain(|name| name != "galaxy:gamemaster/types@0.2.0");
    assert_eq!(imports, ["galaxy:gamemaster/backend@0.2.0"], "{info:?}");
    assert!(
        info.imports.iter().all(|name| !name.starts_with("wasi:")),
        "{info:?}"
    );
    for export in [
        "galaxy:gamemaster/rules@0.2.0",
        "galaxy:gamemaster/store@0.2.0",
    ] {
        assert!(info.exports.iter().any(|name| name == export), "{info:?}");
    }
    assert_eq!(info.size, embedded_component().len());
    assert_eq!(info.sha256.len(), 64);
    assert!(
        info.sha256
            .bytes()
            .all(|byte| byte.is_ascii_hexdigit() && !byte.is_ascii_uppercase())
    );
}

#[test]
fn bytes_that_are_not_a_component_are_a_compile_error() {
    let error = inspect_component(b"\0asm not really").unwrap_err();
    assert_eq!(error.to_string(), "compile the rules component");
    assert!(
        crate::common::with_causes(&error).contains("not a WebAssembly component"),
        "{error:?}"
    );
}
