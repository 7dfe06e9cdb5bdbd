"""Build the demo bundle: every registered dataset as a data file plus YAML, the same bytes on every run.

Every `wierde demo` therefore starts from the same province.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wierde.demo import (
    bridges,
    earthquakes,
    energy,
    housing,
    migration,
    nature,
    population,
    postcodes,
    regions,
    terrain,
    traffic,
)
from wierde.demo.base import Output
from wierde.demo.geometry import Province, build_province, find_boundaries
from wierde.demo.writers import write_yaml

__all__ = ["DATASETS", "BundleItem", "Builder", "find_boundaries", "generate_bundle"]

Builder = Callable[[Province, Path], Output]
# One function per dataset, in catalogue order. Add a dataset (or scenario) by appending its builder here; each
# builder seeds its own randomness, so adding one never changes the others' bytes.
DATASETS: list[Builder] = [
    regions.gemeenten,
    regions.wijken,
    regions.buurten,
    postcodes.postcodes,  # after buurten, which it is made from; data ingested after it is keyed by postcode
    population.bevolking,
    migration.migratie,
    housing.woningen,
    housing.woningbouw,
    terrain.hoogte,
    energy.energie,
    traffic.meetpunten_verkeer,
    traffic.verkeerstellingen,
    bridges.bruggen,
    bridges.brugopeningen,
    bridges.scheepvaartpassages,
    nature.recreatiegebieden,
    earthquakes.aardbevingen,
]
_SLUG = re.compile(r"[a-z0-9-]+")


@dataclass(frozen=True)
class BundleItem:
    """One dataset of the bundle: where its data and metadata are and the options to read the data with."""

    dataset_id: str
    data_file: Path
    metadata_file: Path
    read_options: dict[str, Any]


def generate_bundle(target: Path, *, boundaries: Path | None = None) -> list[BundleItem]:
    """Write the demo bundle into `target`; with `boundaries` (see `find_boundaries`) municipalities are real."""
    target.mkdir(parents=True, exist_ok=True)
    province = build_province(boundaries)
    items = []
    for build in DATASETS:
        out = build(province, target)
        if not _SLUG.fullmatch(out.dataset_id):
            raise ValueError(f"dataset id {out.dataset_id!r} is not a lower-case slug")
        metadata_file = target / f"{out.dataset_id}.yaml"
        write_yaml(metadata_file, out.metadata.as_dict())
        items.append(BundleItem(out.dataset_id, out.data_file, metadata_file, out.read_options))
    return items
