"""The small vocabulary every demo dataset shares: seeded randomness, bilingual metadata and what a builder returns."""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

PUBLISHER = "https://identifier.overheid.nl/tooi/id/provincie/pv20"
CONTACT = {
    "name": "Team Data, Provincie Groningen",
    "email": "data@provinciegroningen.nl",
    "url": "https://www.provinciegroningen.nl",
}
ATTRIBUTION = "Provincie Groningen (synthetische demodata)"
# Appended to every description so no reader can mistake the demo for real measurements.
SYNTHETIC_NOTE = (
    "Let op: dit zijn synthetische demodata. De waarden zijn gegenereerd en zijn geen echte metingen.",
    "Note: this is synthetic demo data. The values are generated and are not real measurements.",
)


def csv_options(types: dict[str, str], *, delimiter: str = ",", encoding: str | None = None) -> dict[str, Any]:
    """Read options in the ingester's vocabulary (`wierde.collect.files.ReadOptions`, Frictionless type names);
    decimal commas and day-month-year dates are left to its detection, as with a steward's upload."""
    options: dict[str, Any] = {"format": "csv", "delimiter": delimiter}
    if encoding:
        options["encoding"] = encoding
    options["types"] = types
    return options


def rng(*parts: object) -> random.Random:
    """A generator seeded from a readable key, so each dataset's numbers stay put when others are added."""
    return random.Random("wierde-demo:" + ":".join(str(p) for p in parts))


def array_rng(*parts: object) -> np.random.Generator:
    """As `rng`, for numbers drawn a year of hours at a time (numpy's PCG64, seeded from the same kind of key)."""
    key = ("wierde-demo:" + ":".join(str(p) for p in parts)).encode()
    return np.random.default_rng(int.from_bytes(hashlib.sha256(key).digest()[:16], "big"))


def poisson(r: random.Random, lam: float) -> int:
    """A Poisson draw (the stdlib has none); normal approximation above 30 keeps it fast."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(r.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= r.random()
        if p <= limit:
            return k
        k += 1


def split_total(total: int, weights: Sequence[float]) -> list[int]:
    """Split an integer total by weights with largest remainders, so parts always add up exactly."""
    s = sum(weights)
    if total <= 0 or s <= 0:
        return [0] * len(weights)
    raw = [total * w / s for w in weights]
    parts = [math.floor(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


@dataclass(frozen=True)
class Text:
    """One string in Dutch and English."""

    nl: str
    en: str


@dataclass(frozen=True)
class Metadata:
    """The dataset description written next to each data file (the shared YAML contract)."""

    title: Text
    description: Text
    keywords_nl: tuple[str, ...]
    keywords_en: tuple[str, ...]
    themes: tuple[str, ...]
    temporal: tuple[date, date]
    accrual_periodicity: str
    issued: date
    modified: date
    licence: str = "CC-BY-4.0"
    spatial: tuple[str, ...] = ("PV20",)
    attribution: str = ATTRIBUTION

    def as_dict(self) -> dict[str, Any]:
        """Fields in the contract's order; dates stay dates so YAML writes them unquoted."""
        return {
            "title": {"nl": self.title.nl, "en": self.title.en},
            "description": {
                "nl": f"{self.description.nl} {SYNTHETIC_NOTE[0]}",
                "en": f"{self.description.en} {SYNTHETIC_NOTE[1]}",
            },
            "keywords": {"nl": list(self.keywords_nl), "en": list(self.keywords_en)},
            "themes": list(self.themes),
            "publisher": PUBLISHER,
            "contact_point": dict(CONTACT),
            "licence": self.licence,
            "access_rights": "public",
            "spatial": list(self.spatial),
            "temporal": {"start": self.temporal[0], "end": self.temporal[1]},
            "accrual_periodicity": self.accrual_periodicity,
            "language": ["nl"],
            "issued": self.issued,
            "modified": self.modified,
            "attribution": self.attribution,
            "synthetic": True,
        }


@dataclass(frozen=True)
class Output:
    """What a dataset builder hands back: the file it wrote, how to read it, and its description."""

    dataset_id: str
    data_file: Path
    metadata: Metadata
    read_options: dict[str, Any] = field(default_factory=dict)
