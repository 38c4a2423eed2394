//! The persistent compilation cache: wasmtime's own (`Config::cache`), so a process that
//! starts later loads the machine code an earlier one compiled instead of running
//! Cranelift again. wasmtime keys each entry by its version, the engine's code-generation
//! settings and the component's bytes, and checks an entry's header before it loads it.
//!
//! The directory holds native code that later processes run, so it must be trusted: it
//! is created owner-only (0700), and a directory that exists already must belong to the
//! user this process runs as and must not be writable by group or others. Otherwise the
//! build fails with [`BuildError::CompilationCache`] naming the directory, whichever way
//! it was chosen (an untrusted directory is never used, and is not ignored in silence).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use wasmtime::{Cache, CacheConfig};

use crate::error::BuildError;

/// The environment variable that names the compilation cache directory of
/// [`CompilationCache::Default`]; set but empty, it turns the cache off.
pub const CACHE_DIR_ENV: &str = "RUNTIME_STORE_CACHE_DIR";

/// Where compiled components are kept between processes
/// ([`crate::RuntimeStoreBuilder::compilation_cache`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CompilationCache {
    /// `$RUNTIME_STORE_CACHE_DIR` if set (set but empty: no cache), else
    /// `$XDG_CACHE_HOME/runtime-store`, else `$HOME/.cache/runtime-store`; when none of
    /// them is set, no cache. A default directory that cannot be created (a read-only
    /// home, say) means no cache, with a warning; one that is not trusted fails the build.
    #[default]
    Default,
    /// No cache: every process compiles the component (about 37 ms in release builds).
    Off,
    /// This directory (made absolute against the current directory). Created when missing;
    /// any failure to use it fails the build.
    Dir(PathBuf),
}

impl CompilationCache {
    /// The directory [`CompilationCache::Default`] stands for in this environment now,
    /// `None` when it means no cache.
    pub fn default_dir() -> Option<PathBuf> {
        default_dir().map(|(dir, _)| dir)
    }

    /// The cache of the process for this setting, opened (and its directory checked)
    /// the first time a build asks for it.
    pub(crate) fn resolve(&self) -> Result<Option<CacheId>, BuildError> {
        match self {
            CompilationCache::Off => Ok(None),
            CompilationCache::Dir(dir) => open(dir, Origin::Explicit).map(Some),
            CompilationCache::Default => match default_dir() {
                None => Ok(None),
                Some((dir, origin)) => match open(&dir, origin) {
                    Err(BuildError::CompilationCache {
                        directory,
                        untrusted: false,
                        reason,
                    }) if origin == Origin::Fallback => {
                        tracing::warn!(
                            directory = %directory.display(),
                            %reason,
                            "no compilation cache: its default directory cannot be used; every process compiles the component"
                        );
                        Ok(None)
                    }
                    other => other.map(Some),
                },
            },
        }
    }
}

/// Why a compilation cache directory was not used.
#[derive(Debug)]
struct CacheDirProblem {
    /// The directory is there but not trusted (another owner, or writable by others),
    /// rather than not creatable or not readable.
    untrusted: bool,
    /// What is wrong, in words.
    detail: String,
}

/// What a process's compilation cache for one directory has seen so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompilationCacheStats {
    /// The directory (canonical).
    pub directory: PathBuf,
    /// Compilations answered from the directory.
    pub hits: usize,
    /// Compilations run and then written to the directory.
    pub misses: usize,
}

/// Every compilation cache this process has opened, with its hits and misses.
pub fn compilation_cache_stats() -> Vec<CompilationCacheStats> {
    caches()
        .iter()
        .map(|entry| CompilationCacheStats {
            directory: entry.directory.clone(),
            hits: entry.cache.cache_hits(),
            misses: entry.cache.cache_misses(),
        })
        .collect()
}

/// A cache this process opened: part of the engine settings (engines with different
/// caches, or none, are different engines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct CacheId(usize);

impl CacheId {
    /// The wasmtime cache (a handle: clones share the directory's worker and counters).
    pub(crate) fn cache(self) -> Cache {
        caches()[self.0].cache.clone()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Given to the builder or in `RUNTIME_STORE_CACHE_DIR`.
    Explicit,
    /// Derived from `XDG_CACHE_HOME` or `HOME`.
    Fallback,
}

struct Entry {
    /// The directory as asked for (absolute), every way it was.
    asked: Vec<PathBuf>,
    /// The directory checked and canonical.
    directory: PathBuf,
    cache: Cache,
}

/// The caches opened so far: one per directory, kept for the life of the process (each
/// has a worker thread that maintains the directory).
static CACHES: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

fn caches() -> MutexGuard<'static, Vec<Entry>> {
    CACHES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn default_dir() -> Option<(PathBuf, Origin)> {
    let set = |name| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(value) = std::env::var_os(CACHE_DIR_ENV) {
        return (!value.is_empty()).then(|| (PathBuf::from(value), Origin::Explicit));
    }
    // The XDG base directory specification ignores a relative XDG_CACHE_HOME.
    if let Some(xdg) = set("XDG_CACHE_HOME").map(PathBuf::from)
        && xdg.is_absolute()
    {
        return Some((xdg.join("runtime-store"), Origin::Fallback));
    }
    set("HOME").map(|home| {
        (
            PathBuf::from(home).join(".cache").join("runtime-store"),
            Origin::Fallback,
        )
    })
}

fn open(dir: &Path, origin: Origin) -> Result<CacheId, BuildError> {
    let failed = |directory: &Path, problem: CacheDirProblem| BuildError::CompilationCache {
        directory: directory.to_path_buf(),
        untrusted: problem.untrusted,
        reason: problem.detail,
    };
    let unavailable = |detail: String| CacheDirProblem {
        untrusted: false,
        detail,
    };
    let asked = std::path::absolute(dir)
        .map_err(|error| failed(dir, unavailable(format!("make the path absolute: {error}"))))?;
    let mut caches = caches();
    if let Some(index) = caches.iter().position(|entry| entry.asked.contains(&asked)) {
        return Ok(CacheId(index));
    }
    let directory = prepare(&asked).map_err(|problem| failed(&asked, problem))?;
    // Another path to a directory already open (a symbolic link, say): the same cache.
    if let Some(index) = caches.iter().position(|entry| entry.directory == directory) {
        caches[index].asked.push(asked);
        return Ok(CacheId(index));
    }
    let mut config = CacheConfig::new();
    config.with_directory(&directory);
    let cache = Cache::new(config).map_err(|error| {
        failed(
            &asked,
            unavailable(format!("open the wasmtime cache: {error:#}")),
        )
    })?;
    tracing::debug!(directory = %directory.display(), ?origin, "compilation cache opened");
    caches.push(Entry {
        asked: vec![asked],
        directory,
        cache,
    });
    Ok(CacheId(caches.len() - 1))
}

/// Creates `dir` owner-only when missing (and its missing parents, owner-only as the XDG
/// specification asks), checks that it can be trusted, and answers its canonical path.
#[cfg(unix)]
fn prepare(dir: &Path) -> Result<PathBuf, CacheDirProblem> {
    use std::fs::DirBuilder;
    use std::io::ErrorKind;
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};

    let unavailable = |what: &str, error: std::io::Error| CacheDirProblem {
        untrusted: false,
        detail: format!("{what}: {error}"),
    };
    let untrusted = |detail: String| CacheDirProblem {
        untrusted: true,
        detail: format!(
            "{detail}; it holds machine code later processes run, so it must belong to this user and not be writable by group or others (fix it, or turn the cache off)"
        ),
    };
    if let Some(parent) = dir.parent() {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|error| unavailable("create its parent directory", error))?;
    }
    let created = match DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => true,
        Err(error) if error.kind() == ErrorKind::AlreadyExists => false,
        Err(error) => return Err(unavailable("create it", error)),
    };
    let canonical = dir
        .canonicalize()
        .map_err(|error| unavailable("resolve it", error))?;
    let metadata = canonical
        .metadata()
        .map_err(|error| unavailable("read its metadata", error))?;
    if !metadata.is_dir() {
        return Err(unavailable(
            "use it",
            std::io::Error::new(ErrorKind::NotADirectory, "not a directory"),
        ));
    }
    let mode = metadata.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(untrusted(format!(
            "it is writable by {} (mode {mode:04o})",
            if mode & 0o002 != 0 { "others" } else { "group" }
        )));
    }
    if !created {
        // std has no safe way to ask for the process's user id: a file this process
        // creates belongs to it.
        let probe = canonical.join(format!(".owner-check-{}", std::process::id()));
        let probed = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .and_then(|file| file.metadata());
        let _ = std::fs::remove_file(&probe);
        let user = match probed {
            Ok(probe) => probe.uid(),
            Err(error) if error.kind() == ErrorKind::PermissionDenied => {
                return Err(untrusted(format!(
                    "it belongs to user id {} and this process may not write to it",
                    metadata.uid()
                )));
            }
            Err(error) => return Err(unavailable("write to it", error)),
        };
        if metadata.uid() != user {
            return Err(untrusted(format!(
                "it belongs to user id {}, this process runs as user id {user}",
                metadata.uid()
            )));
        }
    }
    Ok(canonical)
}

/// Creates `dir` when missing and answers its canonical path (no ownership checks off
/// Unix).
#[cfg(not(unix))]
fn prepare(dir: &Path) -> Result<PathBuf, CacheDirProblem> {
    let unavailable = |what: &str, error: std::io::Error| CacheDirProblem {
        untrusted: false,
        detail: format!("{what}: {error}"),
    };
    std::fs::create_dir_all(dir).map_err(|error| unavailable("create it", error))?;
    dir.canonicalize()
        .map_err(|error| unavailable("resolve it", error))
}
