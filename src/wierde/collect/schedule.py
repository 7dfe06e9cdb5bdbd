"""Unattended harvests: which sources are due, and a loop that runs them (in `wierde serve` or `wierde worker`)."""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from wierde.collect.harvest import Source, harvest, load_sources
from wierde.errors import InvalidInput, WierdeError
from wierde.store import harvest_log
from wierde.store.models import utcnow
from wierde.store.repository import Store

log = logging.getLogger(__name__)
NAMED = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(weeks=1),
         "monthly": timedelta(days=30)}


def interval(schedule: str) -> timedelta:
    """`hourly`, `daily`, `weekly`, `monthly`, or a number of minutes."""
    if schedule in NAMED:
        return NAMED[schedule]
    if schedule.isdigit() and int(schedule) > 0:
        return timedelta(minutes=int(schedule))
    raise InvalidInput(f"schedule {schedule!r}: use hourly, daily, weekly, monthly or a number of minutes")


def due(store: Store, sources: list[Source], now: datetime) -> list[Source]:
    """Scheduled sources whose last run (successful or not) began at least one interval ago."""
    ready = []
    for source in sources:
        if not source.schedule:
            continue
        last = next(iter(harvest_log.history(store, source=source.id, limit=1)), None)
        if last is None or now - _aware(last.started_at) >= interval(source.schedule):
            ready.append(source)
    return ready


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time we write is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def run_due(store: Store, now: datetime | None = None) -> list[str]:
    """Harvest what is due, one source at a time; a source another process is harvesting is skipped."""
    done = []
    for source in due(store, load_sources(store.settings), now or utcnow()):
        with _exclusive(store.settings.tmp_dir / f"harvest-{source.id}.lock") as mine:
            if not mine:
                continue
            try:
                harvest(store, source)
                done.append(source.id)
            except WierdeError as error:  # logged in the harvest log; the loop goes on with the next source
                log.warning("harvest of %s failed: %s", source.id, error.detail)
    return done


class _exclusive:
    """A non-blocking lock file, so two workers never harvest the same source at once."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> bool:
        self.handle = self.path.open("w")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


def loop(store: Store, stop: threading.Event, every: float = 60.0,
         on_round: Callable[[list[str]], None] | None = None) -> None:
    """Check for due sources every `every` seconds until `stop` is set."""
    while not stop.is_set():
        try:
            done = run_due(store)
        except WierdeError as error:  # a broken sources.yaml must not kill the server
            log.error("scheduled harvests: %s", error.detail)
            done = []
        if on_round:
            on_round(done)
        stop.wait(every)
