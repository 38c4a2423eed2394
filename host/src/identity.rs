//! Which build of the rules serves a store.

use std::fmt;

use sha2::{Digest, Sha256};

/// The identity of a rules component: its SHA-256 and size. Shown by `inspect`, in every
/// span (`runtime_store.rules.sha256`) and in every sandbox failure (its first 12 hex
/// digits), so an operator can tell which build answered or misbehaved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RulesIdentity {
    sha256: String,
    size: usize,
}

impl RulesIdentity {
    /// The identity of the component `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        RulesIdentity {
            sha256: format!("{:x}", Sha256::digest(bytes)),
            size: bytes.len(),
        }
    }

    /// The SHA-256 of the component's bytes, 64 lowercase hex digits.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The first 12 hex digits of [`RulesIdentity::sha256`], as messages quote it.
    pub fn short(&self) -> &str {
        &self.sha256[..12]
    }

    /// The component's size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }
}

impl fmt::Display for RulesIdentity {
    /// `sha256 <12 hex digits> (<size> bytes)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256 {} ({} bytes)", self.short(), self.size)
    }
}
