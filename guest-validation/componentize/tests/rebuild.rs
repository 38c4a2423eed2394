//! The committed component is what its source builds.

use runtime_store_componentize::hostile::HOSTILE;
use runtime_store_componentize::{
    COMPONENT_PATH, REBUILD_SCRIPT, build, check_toolchain, committed, repository,
};

#[test]
fn the_committed_component_matches_its_source() {
    if let Err(unbuildable) = check_toolchain() {
        // CI has the pinned toolchain and target: there, a missing one is a failure.
        assert!(
            std::env::var_os("CI").is_none(),
            "cannot check {COMPONENT_PATH} in CI: {unbuildable}"
        );
        eprintln!("not checking {COMPONENT_PATH}: {unbuildable}");
        return;
    }
    let rebuilt = build().expect("the rules guest builds");
    let committed = committed().expect("the component is committed");
    assert!(
        rebuilt == committed,
        "{COMPONENT_PATH} ({} bytes) differs from what its source builds ({} bytes): run `{REBUILD_SCRIPT}` and commit the file",
        committed.len(),
        rebuilt.len()
    );
}

#[test]
fn the_committed_hostile_components_match_their_source() {
    for hostile in HOSTILE {
        let path = repository().join(hostile.relative_path());
        let committed = std::fs::read(&path).expect("the hostile components are committed");
        assert!(
            committed == hostile.component().unwrap(),
            "{} differs from its source: run `{REBUILD_SCRIPT} hostile`",
            path.display()
        );
    }
}
