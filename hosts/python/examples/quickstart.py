"""A runtime record store on SQLite; every rule runs in the WebAssembly component."""

import tempfile
from pathlib import Path

from runtime_store import (
    Conflict,
    InvalidTransition,
    RuntimeRecord,
    RuntimeStore,
    SqliteBackend,
    Status,
    Timestamp,
    UpdateStatusInput,
)

created = Timestamp(seconds=1_764_000_000)
started = Timestamp(seconds=1_764_000_030, nanoseconds=123_456_789)

with tempfile.TemporaryDirectory() as folder:
    with SqliteBackend(Path(folder) / "runtimes.sqlite3") as backend:
        store = RuntimeStore(backend)
        store.insert(
            RuntimeRecord(
                game_id="game-1",
                status=Status.STARTING,
                engine_endpoint="http://engine-1:8080",
                current_image_ref="galaxy/engine:1.4.2",
                current_engine_version="1.4.2",
                engine_health="",
                current_turn=0,
                next_generation_at=None,
                skip_next_tick=False,
                created_at=created,
                updated_at=created,
                started_at=None,
                stopped_at=None,
                finished_at=None,
            )
        )
        start = UpdateStatusInput(
            game_id="game-1",
            expected_from=Status.STARTING,
            to=Status.RUNNING,
            now=started,
            engine_health_summary="healthy",
        )
        store.update_status(start)

        record = store.get("game-1")
        print(record.status.stored_text, record.engine_health, record.started_at)

        try:
            store.update_status(start)  # the stored status is no longer "starting"
        except Conflict as error:
            print("conflict:", error)

        try:
            store.transition(Status.FINISHED, Status.RUNNING)
        except InvalidTransition as error:
            print("rejected:", error.reason)

        following = store.allowed_transitions(Status.RUNNING)
        print("after running:", ", ".join(status.value for status in following))
