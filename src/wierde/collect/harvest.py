"""Harvesting a source: run its connector, then ingest what it produced as a new version — or change nothing."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wierde import hookspecs
from wierde.collect import connectors as _builtin  # noqa: F401  (the built-ins register themselves)
from wierde.collect.files import ReadOptions
from wierde.collect.http import Fetcher, HarvestError
from wierde.collect.ingest import ingest
from wierde.config import Settings
from wierde.errors import InvalidInput, WierdeError
from wierde.store import harvest_log
from wierde.store.harvest_log import HarvestRecord
from wierde.store.repository import Store, check_dataset_id

SOURCES_FILE = "sources.yaml"


@dataclass(frozen=True)
class Source:
    """Where a dataset comes from and how often it is refreshed (declared in the instance's sources.yaml)."""

    id: str
    connector: str
    url: str
    dataset: str
    params: dict[str, str] = field(default_factory=dict)
    schedule: str | None = None  # hourly, daily, weekly, monthly, or a number of minutes
    metadata: dict[str, Any] = field(default_factory=dict)  # overrides what the connector reports
    deadline_seconds: float = 3600.0

    @classmethod
    def from_mapping(cls, data: dict[str, Any], where: str) -> Source:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise InvalidInput(f"{where}: unknown source keys {sorted(unknown)}; known: {sorted(known)}")
        missing = {"id", "connector", "url", "dataset"} - set(data)
        if missing:
            raise InvalidInput(f"{where}: source is missing {sorted(missing)}")
        check_dataset_id(str(data["dataset"]))
        params = {str(k): str(v) for k, v in (data.get("params") or {}).items()}
        return cls(**{**data, "params": params})


def load_sources(settings: Settings) -> list[Source]:
    path = settings.home / SOURCES_FILE
    if not path.exists():
        return []
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = raw.get("sources", []) if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise InvalidInput(f"{path}: expected `sources:` with a list of sources")
    return [Source.from_mapping(item, f"{path}, source {i + 1}") for i, item in enumerate(items)]


def save_source(settings: Settings, source: Source) -> None:
    """Add or replace a source in sources.yaml (the file stays the one place stewards edit)."""
    hookspecs.connector(source.connector)  # refuse an unknown connector now, not at 3 a.m.
    others = [s for s in load_sources(settings) if s.id != source.id]
    data = {"sources": [_plain(s) for s in [*others, source]]}
    (settings.home / SOURCES_FILE).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                                              encoding="utf-8")


def _plain(source: Source) -> dict[str, Any]:
    return {k: v for k, v in asdict(source).items() if v not in ({}, None)}


def find_source(settings: Settings, source_id: str) -> Source:
    for source in load_sources(settings):
        if source.id == source_id:
            return source
    known = ", ".join(s.id for s in load_sources(settings)) or "none"
    raise InvalidInput(f"no source {source_id!r} in {settings.home / SOURCES_FILE}; known: {known}")


def harvest(store: Store, source: Source, *, fetcher: Callable[[Source], Fetcher] | None = None) -> HarvestRecord:
    """Run one source. A failure is logged and raised; the dataset's current version stays as it was."""
    log_id = harvest_log.start(store, source=source.id, dataset_id=source.dataset, connector=source.connector,
                               url=source.url)
    workdir = store.settings.tmp_dir / f"harvest-{uuid.uuid4().hex}"
    workdir.mkdir(parents=True)
    make_fetcher = fetcher or (lambda s: Fetcher(deadline_seconds=s.deadline_seconds))
    resume = resume_dir(store, source)
    client: Fetcher | None = None
    try:
        with make_fetcher(source) as client:
            client.resume_dir = resume  # pages a failed run read whole are not fetched again
            result = hookspecs.connector(source.connector).harvest(client, source.url, source.params, workdir)
            stats = {**result.stats, "requests": client.requests, "bytes": client.bytes}
            if client.resumed:
                stats["resumed_pages"] = client.resumed
        meta = _metadata_for(store, source, result.metadata)
        outcome = ingest(store, result.data, source.dataset, ReadOptions(format=result.format), meta=meta)
    except WierdeError as error:
        _failed(client)
        harvest_log.finish(store, log_id, outcome="failed", error=error.detail)
        raise HarvestError(f"source {source.id!r}: {error.detail}") from None
    except Exception as error:  # a connector bug must still leave a log line and the last good version
        _failed(client)
        harvest_log.finish(store, log_id, outcome="failed", error=f"{type(error).__name__}: {error}")
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    shutil.rmtree(resume, ignore_errors=True)  # done: the next run reads the source afresh
    stats["rows"] = outcome.version.row_count
    if result.remote_id:
        stats["remote_id"] = result.remote_id  # type: ignore[assignment]
    return harvest_log.finish(store, log_id, outcome="new-version" if outcome.created else "unchanged",
                              version=outcome.version.number, stats=stats)


def resume_dir(store: Store, source: Source) -> Path:
    """Where a source's pages wait for the next run after a failure (see Fetcher.resume_dir)."""
    return store.settings.home / "harvests" / "resume" / re.sub(r"[^A-Za-z0-9_-]", "_", source.id)


def _failed(client: Fetcher | None) -> None:
    if client is not None:
        client.forget_last()


def _metadata_for(store: Store, source: Source, reported: dict[str, Any]) -> dict[str, Any] | None:
    """A new dataset gets what the source says (with the source's overrides); a steward's edits are never lost."""
    try:
        existing = store.dataset(source.dataset).meta
    except WierdeError:
        existing = {}
    if existing:
        return None
    merged = {**reported, **source.metadata}
    return merged or None


def one_off(connector: str, url: str, dataset: str, params: dict[str, str]) -> Source:
    hookspecs.connector(connector)
    return Source(id=f"{dataset}-{connector}", connector=connector, url=url, dataset=dataset, params=params)


def parse_params(values: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"--param takes KEY=VALUE, got {item!r}")
        params[key.strip()] = value.strip()
    return params
