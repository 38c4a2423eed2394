//! The persistent compilation cache: a later process loads what an earlier one compiled,
//! the directory is owner-only, the opt-outs write nothing, and an untrusted directory
//! is refused. Every build runs in a child process (this test binary, one ignored test),
//! so each starts with an empty in-process cache and its own environment.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use runtime_store_host::{
    BuildError, CACHE_DIR_ENV, CompilationCache, RuntimeStore, Status, compilation_cache_stats,
};

use crate::common::record;

const CHILD: &str = "compilation_cache::child_builds_a_store_and_reports";
/// How the child configures the cache: `default`, `off` or `dir:<path>`.
const MODE_ENV: &str = "RUNTIME_STORE_TEST_CACHE_MODE";

/// A fresh, empty directory of this test under the system's temporary directory.
fn scratch(test: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!(
        "rst-compilation-cache-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    root
}

/// What a child reported: the cache statistics of its process, or its build error.
#[derive(Debug)]
struct Report {
    /// `(directory, hits, misses)` of every cache the child opened.
    caches: Vec<(PathBuf, usize, usize)>,
    error: Option<String>,
}

/// Runs the child with `mode` and the environment `env` (`None` removes a variable);
/// `RUNTIME_STORE_CACHE_DIR`, `XDG_CACHE_HOME` and `HOME` are removed unless given.
fn run_child(mode: &str, env: &[(&str, Option<&Path>)]) -> Report {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            CHILD,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RUNTIME_STORE_TEST_CHILD", CHILD)
        .env(MODE_ENV, mode)
        .env_remove(CACHE_DIR_ENV)
        .env_remove("XDG_CACHE_HOME")
        .env_remove("HOME");
    for (name, value) in env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the child ({mode}) failed:\n{stdout}\n{stderr}"
    );
    let mut report = Report {
        caches: Vec::new(),
        error: None,
    };
    // The harness's `test <name> ... ` may precede the first line.
    for line in stdout.lines() {
        if let Some((_, cache)) = line.split_once("child cache: ") {
            let mut fields = cache.rsplitn(3, ' ');
            let misses = fields.next().unwrap().parse().unwrap();
            let hits = fields.next().unwrap().parse().unwrap();
            let directory = PathBuf::from(fields.next().unwrap());
            report.caches.push((directory, hits, misses));
        } else if let Some((_, error)) = line.split_once("child error: ") {
            report.error = Some(error.to_owned());
        } else if line.ends_with("child: done") {
            return report;
        }
    }
    panic!("the child ({mode}) did not report:\n{stdout}\n{stderr}");
}

/// The regular files under `dir`, at any depth.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn mode_of(dir: &Path) -> u32 {
    std::fs::metadata(dir).unwrap().mode() & 0o7777
}

#[test]
fn a_second_process_loads_the_component_the_first_one_compiled() {
    let root = scratch("second-process");
    let dir = root.join("cache");

    // The first process compiles and writes the cache, in a directory it creates.
    let first = run_child(&format!("dir:{}", dir.display()), &[]);
    assert_eq!(first.error, None);
    let canonical = dir.canonicalize().unwrap();
    assert_eq!(first.caches, vec![(canonical.clone(), 0, 1)]);
    assert_eq!(mode_of(&dir), 0o700, "the cache directory is owner-only");
    let written = files_under(&dir);
    assert!(
        written
            .iter()
            .any(|file| file.starts_with(dir.join("modules"))),
        "no compiled code under {}: {written:?}",
        dir.display()
    );

    // The second, through the default setting and RUNTIME_STORE_CACHE_DIR, loads it.
    let second = run_child("default", &[(CACHE_DIR_ENV, Some(&dir))]);
    assert_eq!(second.error, None);
    assert_eq!(second.caches, vec![(canonical, 1, 0)]);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn the_default_directory_is_under_xdg_cache_home_then_home() {
    let root = scratch("default-dir");
    let xdg = root.join("xdg");
    let home = root.join("home");

    let report = run_child(
        "default",
        &[("XDG_CACHE_HOME", Some(&xdg)), ("HOME", Some(&home))],
    );
    assert_eq!(report.error, None);
    let expected = xdg.join("runtime-store");
    assert_eq!(
        report.caches,
        vec![(expected.canonicalize().unwrap(), 0, 1)]
    );
    assert_eq!(mode_of(&expected), 0o700);
    assert!(
        !home.exists(),
        "HOME is not used when XDG_CACHE_HOME is set"
    );

    let report = run_child("default", &[("HOME", Some(&home))]);
    assert_eq!(report.error, None);
    let expected = home.join(".cache").join("runtime-store");
    assert_eq!(
        report.caches,
        vec![(expected.canonicalize().unwrap(), 0, 1)]
    );
    assert_eq!(mode_of(&expected), 0o700);
    assert_eq!(mode_of(&home.join(".cache")), 0o700);

    // Nothing set: no cache, and the build still works.
    let report = run_child("default", &[]);
    assert_eq!(report.error, None);
    assert_eq!(report.caches, vec![]);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn the_opt_outs_write_nothing() {
    let root = scratch("opt-outs");
    let dir = root.join("cache");
    let xdg = root.join("xdg");
    let home = root.join("home");
    let everywhere = [
        (CACHE_DIR_ENV, Some(dir.as_path())),
        ("XDG_CACHE_HOME", Some(xdg.as_path())),
        ("HOME", Some(home.as_path())),
    ];

    let off = run_child("off", &everywhere);
    assert_eq!(off.error, None);
    assert_eq!(off.caches, vec![]);

    // RUNTIME_STORE_CACHE_DIR set but empty turns the default off.
    let empty = run_child(
        "default",
        &[
            (CACHE_DIR_ENV, Some(Path::new(""))),
            ("XDG_CACHE_HOME", Some(&xdg)),
            ("HOME", Some(&home)),
        ],
    );
    assert_eq!(empty.error, None);
    assert_eq!(empty.caches, vec![]);

    let left: Vec<_> = std::fs::read_dir(&root).unwrap().collect();
    assert!(left.is_empty(), "the opt-outs wrote {left:?}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_default_directory_that_cannot_be_created_means_no_cache() {
    let root = scratch("not-creatable");
    // HOME is a file: $HOME/.cache cannot be created.
    let home = root.join("home");
    std::fs::write(&home, b"not a directory").unwrap();
    let report = run_child("default", &[("HOME", Some(&home))]);
    assert_eq!(report.error, None, "the store builds without a cache");
    assert_eq!(report.caches, vec![]);

    // Named explicitly, the same directory fails the build.
    let named = home.join(".cache").join("runtime-store");
    let report = run_child(&format!("dir:{}", named.display()), &[]);
    let error = report.error.expect("a named directory that cannot be made");
    assert!(
        error.contains(&named.display().to_string()),
        "the error names the directory: {error}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_directory_writable_by_others_is_refused_whichever_way_it_was_chosen() {
    let root = scratch("writable-by-others");
    for mode in [0o777, 0o770, 0o1777] {
        let dir = root.join(format!("cache-{mode:o}"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();

        let named = run_child(&format!("dir:{}", dir.display()), &[]);
        let by_env = run_child("default", &[(CACHE_DIR_ENV, Some(&dir))]);
        // The default location too: an untrusted directory is never used quietly.
        let home = root.join(format!("home-{mode:o}"));
        let default_dir = home.join(".cache").join("runtime-store");
        std::fs::create_dir_all(&default_dir).unwrap();
        std::fs::set_permissions(&default_dir, std::fs::Permissions::from_mode(mode)).unwrap();
        let by_default = run_child("default", &[("HOME", Some(&home))]);

        for (report, dir) in [(named, &dir), (by_env, &dir), (by_default, &default_dir)] {
            let error = report
                .error
                .unwrap_or_else(|| panic!("{} (mode {mode:o}) was used", dir.display()));
            assert!(
                error.contains(&format!("compilation cache directory {}", dir.display()))
                    && error.contains("writable by"),
                "{error}"
            );
            assert_eq!(report.caches, vec![]);
            assert_eq!(files_under(dir), Vec::<PathBuf>::new(), "nothing written");
        }
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[tokio::test]
async fn a_directory_of_another_user_is_refused() {
    let root = scratch("another-user");
    let dir = root.join("cache");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    // As root, give the directory to `nobody`; as anyone else, root's own directory is
    // another user's.
    let foreign = match std::os::unix::fs::chown(&dir, Some(65534), Some(65534)) {
        Ok(()) => dir.clone(),
        Err(_) => PathBuf::from("/"),
    };
    let error = RuntimeStore::builder()
        .compilation_cache(CompilationCache::Dir(foreign.clone()))
        .build()
        .await
        .expect_err("another user's directory");
    match &error {
        BuildError::CompilationCache {
            directory,
            untrusted,
            reason,
        } => {
            assert_eq!(directory, &foreign);
            assert!(*untrusted, "{reason}");
            assert!(reason.contains("belongs to user id"), "{reason}");
        }
        other => panic!("another error: {other}"),
    }
    assert!(
        error.to_string().starts_with(&format!(
            "compilation cache directory {}: ",
            foreign.display()
        )),
        "{error}"
    );
    assert_eq!(files_under(&dir), Vec::<PathBuf>::new(), "nothing written");
    std::fs::remove_dir_all(&root).unwrap();
}

/// The child of the tests above: builds a store as `RUNTIME_STORE_TEST_CACHE_MODE` says,
/// runs two operations, and prints the process's caches (or the build error).
#[test]
#[ignore = "run by the compilation_cache tests in a child process"]
fn child_builds_a_store_and_reports() {
    if !crate::common::is_child(CHILD) {
        return;
    }
    let mode = std::env::var(MODE_ENV).unwrap();
    let cache = match mode.as_str() {
        "default" => CompilationCache::Default,
        "off" => CompilationCache::Off,
        other => CompilationCache::Dir(PathBuf::from(other.strip_prefix("dir:").unwrap())),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        match RuntimeStore::builder()
            .compilation_cache(cache)
            .build()
            .await
        {
            Ok(store) => {
                let game = record("game-cache", Status::Starting, 1_700_000_000);
                store.insert(&game).await.unwrap();
                assert_eq!(store.get("game-cache").await.unwrap(), game);
            }
            Err(error) => println!("child error: {error}"),
        }
    });
    for stats in compilation_cache_stats() {
        println!(
            "child cache: {} {} {}",
            stats.directory.display(),
            stats.hits,
            stats.misses
        );
    }
    println!("child: done");
}
