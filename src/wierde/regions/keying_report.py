"""What keying did to a dataset, as stored with its version, and the Table Schema fields of the columns it added."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from wierde.regions.codes import LEVEL_NAMES, LEVELS, Level
from wierde.regions.keying_columns import PERIOD_COLUMN


@dataclass(frozen=True)
class LevelCount:
    """Rows with and without a code at one level; `added` is False where the dataset had the column already."""

    column: str
    keyed: int
    unkeyed: int
    added: bool


@dataclass(frozen=True)
class KeyingReport:
    """What was keyed from which column, how many rows each level reached, and the period; goes in the version."""

    rows: int
    sources: tuple[str, ...] = ()  # in order of preference
    keyed_by: dict[str, int] = field(default_factory=dict)  # source → rows whose codes came from it
    levels: dict[str, LevelCount] = field(default_factory=dict)
    conflicts: int = 0  # rows where a source not chosen names another region at a level
    shares: tuple[str, ...] = ()
    period_column: str | None = None
    period_from: str | None = None
    period_how: str | None = None
    granularity: str | None = None  # year, half-year, quarter, month, day, or "mixed"
    granularities: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def added(self) -> tuple[str, ...]:
        """The columns keying added, in the order they follow the dataset's own columns."""
        codes = [c.column for c in self.levels.values() if c.added]
        period = [PERIOD_COLUMN] if self.period_column == PERIOD_COLUMN else []
        return (*codes, *self.shares, *period)

    def summary(self) -> str:
        parts = [f"{c.column}: {c.keyed} of {self.rows} rows" for c in self.levels.values()]
        if self.period_from:
            parts.append(f"period from {self.period_from!r} ({self.granularity})")
        return "; ".join(parts) if parts else "nothing to key on"

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON (lists, not tuples), the same before and after the metadata database stores it."""
        document: dict[str, Any] = json.loads(json.dumps({**asdict(self), "added": self.added,
                                                          "summary": self.summary()}))
        return document


@dataclass(frozen=True)
class Keying:
    """The keyed file (None: nothing to add, the staged file stands), its Table Schema and the report."""

    path: Path | None
    schema: dict[str, Any]
    report: KeyingReport


DESCRIPTIONS: dict[Level, str] = {lv: f"CBS {LEVEL_NAMES[lv]} code ({lv}), added by Wierde at ingest" for lv in LEVELS}
PATTERNS: dict[Level, str] = {"PV": "PV[0-9]{2}", "GM": "GM[0-9]{4}", "WK": "WK[0-9]{6}", "BU": "BU[0-9]{8}"}


def schema_fields(report: KeyingReport) -> list[dict[str, Any]]:
    """Table Schema fields for the added columns, in the order they were added."""
    fields: list[dict[str, Any]] = []
    by_column = {c.column: lv for lv, c in report.levels.items()}
    for name in report.added:
        if name in by_column:
            level = cast(Level, by_column[name])
            fields.append({"name": name, "type": "string", "description": DESCRIPTIONS[level],
                           "constraints": {"pattern": PATTERNS[level]}})
        elif name == PERIOD_COLUMN:
            fields.append({"name": name, "type": "string", "description": (
                f"Period in ISO form (2023, 2023-H1, 2023-Q2, 2023-05, 2023-05-17), read from "
                f"{report.period_from!r}; granularity: {report.granularity}")})
        else:
            fields.append({"name": name, "type": "number", "constraints": {"minimum": 0, "maximum": 1},
                           "description": "Part of the feature (by area or length) inside the region of "
                                          f"{name.replace('_share', '_code')}"})
    return fields
