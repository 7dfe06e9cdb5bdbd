"""The extension contract: connectors are added the same way the built-in ones are, by name in one registry.

A third party ships a connector as a package with an entry point in the group `wierde.connectors`
(`name = "package.module:ConnectorClass"`); the built-ins register themselves through the same function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from wierde.errors import InvalidInput

ENTRY_POINT_GROUP = "wierde.connectors"


@dataclass(frozen=True)
class Harvested:
    """What a harvest produced: one file the file ingester reads, plus what was learned about it."""

    data: Path  # Parquet, NDJSON, CSV or GeoJSON written into the work folder
    format: str  # as `wierde.collect.files.ReadOptions.format`
    metadata: dict[str, Any] = field(default_factory=dict)  # DCAT-AP-NL YAML fields the source tells us
    remote_id: str | None = None  # the source's own identifier, so a renamed source never duplicates a dataset
    stats: dict[str, int] = field(default_factory=dict)  # pages, rows, bytes: for the harvest log


class Connector(Protocol):
    """Reads one kind of source. Must finish or fail within the fetcher's deadline; never writes a version."""

    name: str

    def harvest(self, fetcher: Any, url: str, params: Mapping[str, str], workdir: Path) -> Harvested: ...


_REGISTRY: dict[str, Callable[[], Connector]] = {}


def register_connector(name: str, factory: Callable[[], Connector]) -> None:
    _REGISTRY[name] = factory


def connector(name: str) -> Connector:
    """The connector called `name`: a built-in, or one a package provides through its entry point."""
    if name not in _REGISTRY:
        for point in entry_points(group=ENTRY_POINT_GROUP):
            if point.name == name:
                register_connector(name, point.load())
    if name not in _REGISTRY:
        raise InvalidInput(f"unknown connector {name!r}; known: {', '.join(sorted(known_connectors()))}")
    return _REGISTRY[name]()


def known_connectors() -> list[str]:
    return sorted({*_REGISTRY, *(p.name for p in entry_points(group=ENTRY_POINT_GROUP))})
