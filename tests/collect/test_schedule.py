"""Prove that scheduled sources run when due and not again before their interval, unattended."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from tests.helpers.replay import Answer, replay_server
from wierde.collect import schedule
from wierde.collect.harvest import Source, load_sources, save_source
from wierde.config import Settings
from wierde.errors import InvalidInput
from wierde.store import harvest_log
from wierde.store.models import utcnow
from wierde.store.repository import Store

CSV = b"code,aantal\nGM0014,3\n"


def test_due_sources_run_once_per_interval(tmp_path: Path) -> None:
    store = Store.open(Settings(home=tmp_path))

    def route(path: str) -> Answer | None:
        return (200, "text/csv", CSV) if path == "/data.csv" else None

    with replay_server(route) as base:
        save_source(store.settings, Source(id="telling", connector="http", url=f"{base}/data.csv",
                                           dataset="telling", schedule="hourly"))
        save_source(store.settings, Source(id="handmatig", connector="http", url=f"{base}/data.csv",
                                           dataset="handmatig"))
        assert schedule.run_due(store) == ["telling"], "only the scheduled source runs"
        assert schedule.run_due(store) == [], "not again within the hour"
        later = utcnow() + timedelta(hours=1, minutes=1)
        assert [s.id for s in schedule.due(store, load_sources(store.settings), later)] == ["telling"]
        stop = threading.Event()
        rounds: list[list[str]] = []
        worker = threading.Thread(target=schedule.loop, args=(store, stop, 0.05),
                                  kwargs={"on_round": rounds.append})
        worker.start()
        while len(rounds) < 2:
            stop.wait(0.05)
        stop.set()
        worker.join(5)
    assert store.version("telling").row_count == 1
    assert len(harvest_log.history(store, source="telling")) == 1
    store.close()


def test_bad_schedules_are_named() -> None:
    with pytest.raises(InvalidInput, match="elke dinsdag"):
        schedule.interval("elke dinsdag")
    assert schedule.interval("15") == timedelta(minutes=15)
