"""Where the tests find the repository's shared files (they run from a checkout)."""

from __future__ import annotations

from pathlib import Path

HOST = Path(__file__).resolve().parents[1]
"""hosts/python"""
REPO_ROOT = HOST.parents[1]
COMMITTED_WASM = REPO_ROOT / "host" / "component" / "runtime-store.wasm"
"""The rules component the Rust host embeds, byte for byte what the package ships."""
VECTOR_DIR = REPO_ROOT / "tests" / "conformance"
MESSAGES = REPO_ROOT / "tests" / "messages.json"
HOSTILE_DIR = REPO_ROOT / "tests" / "hostile"
README = REPO_ROOT / "README.md"
