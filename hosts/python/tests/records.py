"""A valid record for the tests and bench.py."""

from __future__ import annotations

from runtime_store import RuntimeRecord, Status, Timestamp

NOW = Timestamp(1_764_000_000)


def record(game_id: str) -> RuntimeRecord:
    """A valid running record of `game_id`."""
    return RuntimeRecord(
        game_id=game_id,
        status=Status.RUNNING,
        engine_endpoint="http://engine:8080",
        current_image_ref="galaxy/engine:1",
        current_engine_version="1",
        engine_health="healthy",
        current_turn=1,
        next_generation_at=None,
        skip_next_tick=False,
        created_at=NOW,
        updated_at=NOW,
        started_at=None,
        stopped_at=None,
        finished_at=None,
    )
