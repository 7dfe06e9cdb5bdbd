"""A dataset's disclosure profile: the `disclosure:` block checked, kept beside the instance, and matched to a version.

The thresholds come from a named profile (see PROFILES); the keys a block may hold are documented in disclosure.py.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from wierde.config import Settings
from wierde.errors import InvalidInput
from wierde.protect.privacy import pseudonyms
from wierde.store.records import VersionRecord
from wierde.store.repository import Store, check_dataset_id

KEY_FILE = "disclosure.key"
KEYED_REGIONS = ("bu_code", "wk_code", "gm_code", "pv_code")  # finest first: the columns ingest keying adds
MAX_COLUMNS = 1000  # a cell's id packs its column's index below this
NUMERIC_TYPES = ("integer", "number", "year")


@dataclass(frozen=True)
class Profile:
    """A set of thresholds with a name a steward can choose."""

    name: str
    rounding_base: int
    min_persons: int
    min_households: int
    k: int


PROFILES: dict[str, Profile] = {
    # CBS's rules for neighbourhood statistics (Kerncijfers wijken en buurten); k = 5 is a common choice for
    # microdata, not a CBS rule.
    "cbs": Profile("cbs", rounding_base=5, min_persons=10, min_households=100, k=5),
}
LIST_KEYS = ("counts", "averages", "by", "quasi_identifiers")
TEXT_KEYS = ("population", "households", "region", "period")
INT_KEYS = ("min_persons", "min_households", "rounding_base", "k")
KEYS = frozenset({"profile", "totals", *LIST_KEYS, *TEXT_KEYS, *INT_KEYS})


@dataclass(frozen=True)
class DisclosureConfig:
    """One dataset's `disclosure:` block, checked, with the profile's thresholds filled in."""

    profile: str = "cbs"
    counts: tuple[str, ...] = ()
    population: str | None = None
    households: str | None = None
    averages: tuple[str, ...] = ()
    region: str | None = None
    period: str | None = None
    by: tuple[str, ...] = ()
    totals: tuple[tuple[str, tuple[str, ...]], ...] = ()
    min_persons: int = 10
    min_households: int = 100
    rounding_base: int = 5
    quasi_identifiers: tuple[str, ...] = ()
    k: int = 5

    @property
    def count_columns(self) -> tuple[str, ...]:
        """The population and households columns are counts too: published exactly they would give cells away."""
        named = [c for c in (self.population, self.households) if c] + list(self.counts)
        for total, parts in self.totals:
            named += [total, *parts]
        return tuple(dict.fromkeys(named))

    @property
    def measures(self) -> tuple[str, ...]:
        return self.count_columns + self.averages

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {"profile": self.profile}
        for key in LIST_KEYS:
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        for key in TEXT_KEYS:
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.totals:
            out["totals"] = {total: list(parts) for total, parts in self.totals}
        out.update({key: getattr(self, key) for key in INT_KEYS})
        return out

    def digest(self) -> str:
        """Identifies these settings: the gate compares it with what the current version was made with."""
        text = json.dumps(self.to_mapping(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], *, where: str = "disclosure") -> DisclosureConfig:
        """Check a `disclosure:` block (or its content); every problem is named at once."""
        if isinstance(raw, Mapping) and set(raw) == {"disclosure"}:
            raw = raw["disclosure"]
        if not isinstance(raw, Mapping):
            raise InvalidInput(f"{where}: expected a mapping with {', '.join(sorted(KEYS))}")
        problems = [f"unknown key {key!r}" for key in sorted(set(raw) - KEYS)]
        name = str(raw.get("profile") or "cbs").lower()
        profile = PROFILES.get(name)
        if profile is None:
            problems.append(f"unknown profile {name!r}; known: {', '.join(PROFILES)}")
            profile = PROFILES["cbs"]
        values: dict[str, Any] = {"profile": profile.name}
        values.update({key: _names(raw.get(key)) for key in LIST_KEYS})
        values.update({key: str(raw[key]).strip() if raw.get(key) else None for key in TEXT_KEYS})
        values["totals"] = _totals(raw.get("totals"), problems)
        for key in INT_KEYS:
            values[key] = _positive(raw.get(key, getattr(profile, key)), key, problems)
        config = cls(**values)
        problems += _consistency(config)
        if problems:
            raise InvalidInput(f"{where}: " + "; ".join(problems), reasons=problems)
        return config


def _names(value: object) -> tuple[str, ...]:
    """A list of column names, or one comma-separated text."""
    if value is None or value == "":
        return ()
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list | tuple) else [value]
    return tuple(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))


def _totals(value: object, problems: list[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not value:
        return ()
    if not isinstance(value, Mapping):
        problems.append("totals: expected a mapping like {inwoners: [mannen, vrouwen]}")
        return ()
    out = []
    for total, parts in value.items():
        names = _names(parts)
        if len(names) < 2:
            problems.append(f"totals: {total!r} needs at least two parts")
        out.append((str(total), names))
    return tuple(out)


def _positive(value: object, key: str, problems: list[str]) -> int:
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if number < 1:
        problems.append(f"{key} must be a whole number of at least 1, got {value!r}")
        return 1
    return number


def _consistency(config: DisclosureConfig) -> list[str]:
    problems = []
    if not config.measures and not config.quasi_identifiers:
        problems.append("nothing to protect: name counts, a population, averages or quasi_identifiers")
    if config.averages and not (config.population or config.households):
        problems.append("averages need a population or households column (the persons behind each value)")
    both = set(config.count_columns) & set(config.averages)
    if both:
        problems.append(f"{', '.join(sorted(both))}: a column is either a count or an average, not both")
    if len(config.measures) >= MAX_COLUMNS:
        problems.append(f"at most {MAX_COLUMNS - 1} count and average columns")
    return problems


# -- where the configuration and the key live --------------------------------------------------------------------
def config_path(settings: Settings, dataset_id: str) -> Path:
    return settings.home / "disclosure" / f"{check_dataset_id(dataset_id)}.yaml"


def load_config(store: Store, dataset_id: str) -> DisclosureConfig | None:
    """The dataset's configured profile, or None when it has none."""
    path = config_path(store.settings, dataset_id)
    if not path.is_file():
        return None
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return DisclosureConfig.from_mapping(raw, where=str(path))


def save_config(store: Store, dataset_id: str, config: DisclosureConfig) -> Path:
    """Keep the profile for the dataset (checked against its current version first), written whole or not at all."""
    check_columns(config, store.version(dataset_id))
    path = config_path(store.settings, dataset_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    staged.write_text(yaml.safe_dump({"disclosure": config.to_mapping()}, sort_keys=False, allow_unicode=True),
                      encoding="utf-8")
    os.replace(staged, path)
    return path


def instance_key(settings: Settings) -> bytes:
    """The configured key file (the pseudonym key), else `<home>/disclosure.key`; never inside the data folder."""
    if settings.pseudonym_key_file:
        return pseudonyms.load_key(settings)
    return pseudonyms.load_key(settings.with_(pseudonym_key_file=str(settings.home / KEY_FILE)))


def check_columns(config: DisclosureConfig, version: VersionRecord) -> None:
    """Every column the profile names exists in the version, and what it counts or averages is a number."""
    types = {f["name"]: f.get("type") for f in version.fields}
    named = [*config.measures, *config.by, *config.quasi_identifiers]
    named += [c for c in (config.region, config.period) if c]
    problems = [f"column {name!r} does not exist" for name in dict.fromkeys(named) if name not in types]
    problems += [f"column {name!r} is {types[name]}, not a number" for name in config.measures
                 if name in types and types[name] not in NUMERIC_TYPES]
    if config.measures and not config.region and not any(c in types for c in KEYED_REGIONS):
        problems.append("no region column: name it with `region:` (a column of CBS codes)")
    if problems:
        raise InvalidInput(f"disclosure profile of {version.dataset_id} v{version.number}: " + "; ".join(problems),
                           reasons=problems)

