"""The sha256 of the component the Rust host embeds: `$RUNTIME_STORE_SHA256`, else the CLI's."""

from __future__ import annotations

import json
import os
import subprocess

from runtime_store.component import REPO_ROOT

SHA256_ENV = "RUNTIME_STORE_SHA256"


def embedded_sha256() -> str:
    configured = os.environ.get(SHA256_ENV)
    if configured:
        return configured.strip().lower()
    inspected = subprocess.run(
        ["cargo", "run", "-q", "-p", "runtime-store-cli", "--", "inspect", "--json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert inspected.returncode == 0, (
        f"`runtime-store inspect --json` failed ({inspected.returncode}); set {SHA256_ENV} "
        f"to skip the build:\n{inspected.stderr}"
    )
    try:
        return json.loads(inspected.stdout)["sha256"]
    except (ValueError, KeyError) as error:
        raise AssertionError(
            f"`runtime-store inspect --json` printed no sha256 ({error}): {inspected.stdout!r}"
        ) from error
