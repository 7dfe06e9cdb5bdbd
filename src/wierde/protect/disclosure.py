"""Statistical disclosure control, so published statistics and microdata never single out a person.

A publication profile is applied to a version by DuckDB SQL and committed as a NEW version (the original stays as
it was). The built-in "cbs" profile does what CBS does for neighbourhood statistics:

- counts are randomly rounded to multiples of 5, unbiased: with r = count mod 5 the count goes up to the next
  multiple with probability r/5 and down otherwise, so the expected published value is the true value. The random
  number comes from a keyed hash of (dataset, region code, period, column) with the instance's key, so the same
  cell rounds the same way in every run and every version: republishing cannot average the rounding away;
- a count of 1-9, and every value of a row with fewer than `min_persons` (10) persons behind it, is secret;
- averages and percentages are secret with fewer than `min_households` (100) persons or households behind them;
- secondary suppression: where a suppressed cell could be recomputed from a total, one more cell is suppressed.
  A total is the parent region's row (buurt → wijk → gemeente → provincie, when the parent row is in the data) or
  a column declared as the sum of others (`totals: {inwoners: [mannen, vrouwen]}`). Rule: when exactly one part of
  a visible total is suppressed, the smallest visible part is suppressed too (the total itself when no other part
  is left); when a total is suppressed and every part is visible, the smallest part is suppressed. This repeats
  until no total gives a suppressed cell away.

Microdata get k-anonymity on declared quasi-identifiers: `check_k_anonymity` reports the records in groups smaller
than k and proposes the generalisation (birth year → 5-year band, PC6 → PC4, …) that fixes them, found by
re-running the check; applying a profile with `quasi_identifiers` publishes that generalisation.

Each published cell that was changed gets a marker in a companion column `<column>__status` ("suppressed" or
"rounded"), so every door (portal, API, downloads) carries it without knowing about this module; the version's
`report["disclosure"]` says, per column, how many cells were suppressed or rounded, with the profile and thresholds.

The configuration is a `disclosure:` block kept per dataset in `<home>/disclosure/<id>.yaml`:

    disclosure:
      profile: cbs
      counts: [mannen, vrouwen, huishoudens]
      population: inwoners        # the persons behind each row's values (itself a count)
      households: huishoudens     # optional: the households behind averages (else the population)
      averages: [gemiddeld_inkomen, perc_koopwoningen]
      region: regio_code          # default: the finest of bu_code, wk_code, gm_code, pv_code
      period: period              # default: `period` when the version has it
      totals: {inwoners: [mannen, vrouwen]}
      min_persons: 10
      min_households: 100
      quasi_identifiers: [pc6, geboortejaar, geslacht]   # microdata
      k: 5
"""

# ruff: noqa: S608  -- SQL is built from quoted identifiers of the version's own schema and numeric thresholds.
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import yaml

from wierde.config import Settings
from wierde.errors import InvalidInput
from wierde.protect.privacy import pseudonyms
from wierde.sqltext import quote_ident, quote_literal
from wierde.store.records import VersionRecord
from wierde.store.repository import Store, check_dataset_id

KEY_FILE = "disclosure.key"
STATUS_SUFFIX = "__status"
SUPPRESSED, ROUNDED = "suppressed", "rounded"
KEYED_REGIONS = ("bu_code", "wk_code", "gm_code", "pv_code")  # finest first: the columns ingest keying adds
MAX_COLUMNS = 1000  # a cell's id packs its column's index below this
MAX_ROUNDS = 100  # secondary suppression converges in a few rounds; this only guards against a bad hierarchy
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


# -- applying a profile --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Applied:
    """What applying a profile did: the version that holds the result and its `report["disclosure"]`."""

    dataset_id: str
    version: int
    created: bool  # False: the current version already is this profile's result
    derived_from: int
    report: dict[str, Any]


def is_applied(config: DisclosureConfig, version: VersionRecord) -> bool:
    return (version.report.get("disclosure") or {}).get("digest") == config.digest()


def apply_profile(store: Store, dataset_id: str, config: DisclosureConfig | None = None) -> Applied:
    """Apply the dataset's profile (or `config`) to its current data, committed as a new version."""
    config = config or load_config(store, dataset_id)
    if config is None:
        raise InvalidInput(f"{dataset_id} has no disclosure profile: configure one first, e.g. "
                           f"`wierde disclosure {dataset_id} --profile cbs --counts COLUMNS --population COLUMN`")
    current = store.version(dataset_id)
    if is_applied(config, current):
        report = current.report["disclosure"]
        return Applied(dataset_id, current.number, False, int(report.get("applied_to", current.number)), report)
    base = _base_of(store, current)
    check_columns(config, base)
    con = store.duck()
    try:
        staged, rows, report = _write(store, con, base, config)
    finally:
        con.close()
    privacy = _privacy_of(store, base)
    try:
        committed = store.commit_version(
            dataset_id, staged, row_count=rows, table_schema=_schema(base, config, report),
            source={**base.source, "derived_from": base.number, "disclosure_profile": config.profile},
            report=_version_report(base, report, privacy),
        )
    finally:
        staged.unlink(missing_ok=True)
    if privacy is not None and committed.created:
        _save_privacy(store, privacy, committed.version.number)
    return Applied(dataset_id, committed.version.number, committed.created, base.number, report)


def _base_of(store: Store, current: VersionRecord) -> VersionRecord:
    """A profile's own output is re-derived from what it was made from, so thresholds can also be lowered."""
    applied_to = (current.report.get("disclosure") or {}).get("applied_to")
    if not applied_to:
        return current
    base = store.version(current.dataset_id, int(applied_to))
    return current if "purged" in base.report else base


def _version_report(base: VersionRecord, disclosure: dict[str, Any], privacy: Any) -> dict[str, Any]:
    report: dict[str, Any] = {"derived_from": base.number, "crs": base.report.get("crs"), "disclosure": disclosure,
                              "geometry_columns": base.geometry_columns}
    if privacy is not None:  # committed before its number is known, as privacy.derive does
        report["privacy"] = {**privacy.to_dict(), "version": None}
    return report


def _privacy_of(store: Store, base: VersionRecord) -> Any:
    """The base's privacy report, if it has one: decisions on its findings hold for the protected data too."""
    from wierde.protect.privacy.records import load_report

    return load_report(store, base.dataset_id, base.number)


def _save_privacy(store: Store, privacy: Any, number: int) -> None:
    from wierde.protect.privacy.records import save_report

    save_report(store, privacy.with_findings(privacy.findings, version=number))


def _schema(base: VersionRecord, config: DisclosureConfig, report: Mapping[str, Any]) -> dict[str, Any]:
    markers = {status_column(c) for c in config.measures}
    generalised = (report.get("k_anonymity") or {}).get("generalised") or {}
    fields = [{"name": f["name"], "type": "string", "description": f"generalised for k-anonymity: "
               f"{generalised[f['name']]}"} if f["name"] in generalised else f
              for f in base.fields if f["name"] not in markers]
    fields += [{"name": status_column(c), "type": "string",
                "description": f"disclosure control of {c}: suppressed (secret) or rounded (random, to multiples "
                               f"of {config.rounding_base}); empty: published as it is"}
               for c in config.measures]
    return {**base.table_schema, "fields": fields}


def status_column(column: str) -> str:
    return column + STATUS_SUFFIX


def _write(store: Store, con: duckdb.DuckDBPyConnection, base: VersionRecord,
           config: DisclosureConfig) -> tuple[Path, int, dict[str, Any]]:
    """The protected data as a staged Parquet file, with its row count and what was done to it."""
    staged = store.new_tmp_path()
    names = _Names()
    try:
        # Set once as a variable, so the key never shows in the queries below, their plans or error messages
        # (a bound parameter would do too, but makes DuckDB import pandas: seconds on a command's start-up).
        key = quote_literal(instance_key(store.settings).decode("ascii"))
        con.execute(f"SET VARIABLE {names.get('key')} = {key}")
        kanon = _source(con, store.path_of(base), base, config, names)
        secondary = _secondary(con, config, names) if config.count_columns else {}
        written = con.execute(f"COPY ({_output_sql(con, config, names)}) TO {quote_literal(str(staged))} "
                              f"(FORMAT parquet, COMPRESSION zstd)")
        row = written.fetchone()
        columns = _statistics(con, staged, config, secondary)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    finally:
        con.execute(f"RESET VARIABLE {names.get('key')}")
        names.drop(con)
    report: dict[str, Any] = {
        "profile": config.profile, "digest": config.digest(), "applied_to": base.number,
        "applied_at": datetime.now(UTC).isoformat(timespec="seconds"), "config": config.to_mapping(),
        "thresholds": {key: getattr(config, key) for key in INT_KEYS}, "columns": columns,
        "markers": {c: status_column(c) for c in config.measures},
    }
    if kanon is not None:
        report["k_anonymity"] = kanon
    return staged, int(row[0]) if row else 0, report


@dataclass
class _Names:
    """The temporary tables and views one application uses, named apart so concurrent runs never meet."""

    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    made: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, what: str, kind: str = "TABLE") -> str:
        name = self.get(what)
        self.made.append((kind, name))
        return name

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        for kind, name in reversed(self.made):
            con.execute(f"DROP {kind} IF EXISTS {name}")

    def get(self, what: str) -> str:
        return f"sdc_{what}_{self.tag}"


def _source(con: duckdb.DuckDBPyConnection, path: Path, base: VersionRecord, config: DisclosureConfig,
            names: _Names) -> dict[str, Any] | None:
    """A view of the version with a stable row id, its cell keys, and (microdata) the k-anonymous generalisation."""
    parquet = f"read_parquet({quote_literal(str(path))}, file_row_number = true)"
    present = {f["name"] for f in base.fields}
    pv = quote_ident("pv_code") if "pv_code" in present else "NULL"
    group = [f"CAST({quote_ident(config.period or 'period')} AS VARCHAR)"] \
        if config.period or "period" in present else []
    group += [f"CAST({quote_ident(c)} AS VARCHAR)" for c in config.by]
    grp = f"concat_ws('|', {', '.join(group)})" if group else "''"
    keyed = (f"SELECT file_row_number AS __sdc_rid, {_region_sql(config, present)} AS __sdc_region, "
             f"{grp} AS __sdc_grp, * EXCLUDE (file_row_number) FROM {parquet}")
    report = None
    if config.quasi_identifiers:
        found = check_k_anonymity(con, path, config.quasi_identifiers, config.k)
        keyed, report = _k_anonymous(keyed, found, config.k), found.as_report()
    # The keyed hash of the row's cell keys (dataset, region, period and `by` values); each column mixes it with
    # its own name below, so every cell gets its own draw, the same in every run and every version.
    cell = (f"getvariable('{names.get('key')}') || '|' || {quote_literal(base.dataset_id)} || '|' || "
            f"coalesce(__sdc_region, '') || '|' || __sdc_grp")
    con.execute(f"CREATE TEMP VIEW {names('src', 'VIEW')} AS SELECT *, {_parent_sql('__sdc_region', pv)} "
                f"AS __sdc_parent, CAST(('0x' || substr(sha256({cell}), 1, 8)) AS BIGINT) % {SPACE} AS __sdc_w "
                f"FROM ({keyed})")
    return report


def _region_sql(config: DisclosureConfig, present: set[str]) -> str:
    if config.region:
        return f"upper(trim(CAST({quote_ident(config.region)} AS VARCHAR)))"
    keyed = [f"CAST({quote_ident(c)} AS VARCHAR)" for c in KEYED_REGIONS if c in present]
    return f"coalesce({', '.join(keyed)})" if keyed else "NULL::VARCHAR"


def _parent_sql(region: str, pv: str) -> str:
    """The parent region by CBS code: a buurt's wijk and a wijk's gemeente by digits, a gemeente's province from
    the row's `pv_code` (its code does not say)."""
    return (f"CASE WHEN regexp_full_match({region}, 'BU[0-9]{{8}}') THEN 'WK' || substr({region}, 3, 6) "
            f"WHEN regexp_full_match({region}, 'WK[0-9]{{6}}') THEN 'GM' || substr({region}, 3, 4) "
            f"WHEN regexp_full_match({region}, 'GM[0-9]{{4}}') THEN CAST({pv} AS VARCHAR) END")


SPACE = 2**31  # draws are whole numbers below this; every step of the mix below maps this range onto itself


def _draw(w: str, column: str) -> str:
    """A number in [0, 1) for one cell: the row's keyed hash mixed with the column's name by a bijective integer
    mix (xor-shift and odd multipliers modulo 2^31), computed in BIGINT so it is fast and never overflows."""
    z = f"xor({w}, {int(hashlib.sha256(column.encode()).hexdigest()[:7], 16)})"
    for multiplier, increment, shift in ((1103515245, 12345, 13), (1664525, 1013904223, 16),
                                         (747796405, 2891336453, 11)):
        z = f"((xor({z}, {z} >> {shift}) * {multiplier} + {increment}) % {SPACE})"
    return f"(CAST({z} AS DOUBLE) / {SPACE}.0)"


def _primary(config: DisclosureConfig, column: str) -> str:
    """Primary suppression: too few persons behind a cell, or (counts) a count of 1 up to the minimum."""
    value = f"CAST({quote_ident(column)} AS DOUBLE)"
    persons = f"CAST({quote_ident(config.population)} AS DOUBLE)" if config.population else None
    few_persons = f"coalesce({persons} < {config.min_persons}, false)" if persons else "false"
    if column in config.count_columns:
        return f"({value} IS NOT NULL AND ({few_persons} OR ({value} > 0 AND {value} < {config.min_persons})))"
    behind = f"CAST({quote_ident(config.households or str(config.population))} AS DOUBLE)"
    return f"({value} IS NOT NULL AND ({few_persons} OR coalesce({behind} < {config.min_households}, true)))"


def _earlier(column: str, present: Sequence[str]) -> str:
    """A cell an earlier application suppressed stays suppressed (its value is gone)."""
    marker = status_column(column)
    return f"coalesce({quote_ident(marker)} = '{SUPPRESSED}', false)" if marker in present else "false"


def _secondary(con: duckdb.DuckDBPyConnection, config: DisclosureConfig, names: _Names) -> dict[str, int]:
    """Suppress more count cells until no total (parent region, declared column total) gives a suppressed cell
    away; the suppressed cells go to a small table the output joins. Returns how many per column."""
    src, index = names.get("src"), {c: i for i, c in enumerate(config.measures)}
    present = con.sql(f"SELECT * FROM {src}").columns
    pairs = names("pairs")
    con.execute(f"CREATE TEMP TABLE {pairs} AS SELECT c.__sdc_rid AS child, p.__sdc_rid AS parent FROM {src} c "
                f"JOIN {src} p ON p.__sdc_region = c.__sdc_parent AND p.__sdc_grp = c.__sdc_grp")
    in_totals = {c for total, parts in config.totals for c in (total, *parts)}
    linked = f"__sdc_rid IN (SELECT child FROM {pairs} UNION SELECT parent FROM {pairs})"
    cells = names("cells")
    con.execute(f"CREATE TEMP TABLE {cells} AS " + " UNION ALL ".join(
        f"SELECT __sdc_rid * {MAX_COLUMNS} + {index[c]} AS id, __sdc_rid AS rid, {index[c]} AS col, "
        f"CAST({quote_ident(c)} AS DOUBLE) AS value, ({_earlier(c, present)} OR {_primary(config, c)}) AS sup, "
        f"false AS secondary FROM {src}" + ("" if c in in_totals else f" WHERE {linked}")
        for c in config.count_columns))
    counted = ", ".join(f"({index[c]})" for c in config.count_columns)
    sums = [f"SELECT t.id AS total, t.rid * {MAX_COLUMNS} + {index[part]} AS member FROM {cells} t "
            f"WHERE t.col = {index[total]}" for total, parts in config.totals for part in parts]
    links = names("links")
    con.execute(f"CREATE TEMP TABLE {links} AS " + " UNION ALL ".join([
        f"SELECT p.parent * {MAX_COLUMNS} + i AS total, p.child * {MAX_COLUMNS} + i AS member "
        f"FROM {pairs} p, (VALUES {counted}) AS cols(i)", *sums]))
    _settle(con, cells, links)
    con.execute(f"CREATE TEMP TABLE {names('hidden')} AS SELECT rid, list(col) AS cols FROM {cells} "
                f"WHERE secondary GROUP BY rid")
    rows = con.execute(f"SELECT col, count(*) FROM {cells} WHERE secondary GROUP BY col").fetchall()
    return {config.measures[col]: int(n) for col, n in rows}


def _settle(con: duckdb.DuckDBPyConnection, cells: str, links: str) -> None:
    """Apply the rule (see the module's docstring) round after round until no total needs another cell hidden."""
    smallest = "arg_min(m.id, {'v': m.value, 'id': m.id}) FILTER (WHERE NOT m.sup AND m.value IS NOT NULL)"
    pick = (f"SELECT CASE WHEN NOT t_sup THEN coalesce(smallest, total) ELSE smallest END AS id FROM ("
            f"SELECT l.total, any_value(t.sup) AS t_sup, count(*) FILTER (WHERE m.sup) AS hidden, "
            f"count(*) FILTER (WHERE NOT m.sup AND m.value IS NULL) AS empty, {smallest} AS smallest "
            f"FROM {links} l JOIN {cells} m ON m.id = l.member JOIN {cells} t ON t.id = l.total "
            f"WHERE t.value IS NOT NULL GROUP BY l.total) "
            f"WHERE (NOT t_sup AND hidden = 1) OR (t_sup AND hidden = 0 AND empty = 0)")
    for _ in range(MAX_ROUNDS):
        picked = con.execute(f"UPDATE {cells} SET sup = true, secondary = true "
                             f"WHERE NOT sup AND id IN (SELECT id FROM ({pick}) WHERE id IS NOT NULL)").fetchone()
        if not picked or not picked[0]:
            return
    raise InvalidInput("secondary suppression did not settle: check the region column and the totals")


def _output_sql(con: duckdb.DuckDBPyConnection, config: DisclosureConfig, names: _Names) -> str:
    """The version's own columns in their order and types, measures protected, markers added at the end."""
    src = names.get("src")
    relation = con.sql(f"SELECT * FROM {src}")
    types = dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))
    markers = [status_column(c) for c in config.measures]
    helpers = ["__sdc_rid", "__sdc_region", "__sdc_grp", "__sdc_parent", "__sdc_w"]
    if not config.measures:
        exclude = ", ".join(quote_ident(c) for c in helpers)
        return f"SELECT * EXCLUDE ({exclude}) FROM {src} ORDER BY __sdc_rid"
    hidden = names.get("hidden")
    join = f" LEFT JOIN {hidden} h ON h.rid = s.__sdc_rid" if config.count_columns else ""
    flags = []
    for i, c in enumerate(config.measures):
        later = f" OR coalesce(list_contains(h.cols, {i}), false)" if c in config.count_columns else ""
        flags.append(f"({_earlier(c, relation.columns)} OR {_primary(config, c)}{later}) AS __sdc_sup{i}")
    inner = f"SELECT s.*, {', '.join(flags)} FROM {src} s{join}"
    base = config.rounding_base
    replace, marks = [], []
    for i, c in enumerate(config.measures):
        value = f"CAST({quote_ident(c)} AS DOUBLE)"
        if c in config.count_columns:
            rest = f"((({value} % {base}) + {base}) % {base})"
            shown = f"{value} - {rest} + CASE WHEN {_draw('__sdc_w', c)} < {rest} / {base} THEN {base} ELSE 0 END"
            kept = f"WHEN {quote_ident(c)} IS NOT NULL THEN '{ROUNDED}' "
        else:
            shown, kept = value, ""
        replace.append(f"CAST(CASE WHEN __sdc_sup{i} THEN NULL ELSE {shown} END AS {types[c]}) AS {quote_ident(c)}")
        marks.append(f"CASE WHEN __sdc_sup{i} THEN '{SUPPRESSED}' {kept}END AS {quote_ident(status_column(c))}")
    dropped = helpers + [m for m in markers if m in types] + [f"__sdc_sup{i}" for i in range(len(config.measures))]
    exclude = ", ".join(quote_ident(c) for c in dropped)
    return (f"SELECT * EXCLUDE ({exclude}) REPLACE ({', '.join(replace)}), {', '.join(marks)} "
            f"FROM ({inner}) ORDER BY __sdc_rid")


def _statistics(con: duckdb.DuckDBPyConnection, staged: Path, config: DisclosureConfig,
                secondary: Mapping[str, int]) -> dict[str, Any]:
    """Per column, what the published file says: cells suppressed (primary and secondary) and rounded."""
    if not config.measures:
        return {}
    counts = []
    for c in config.measures:
        marker = quote_ident(status_column(c))
        counts += [f"count(*) FILTER (WHERE {marker} = '{SUPPRESSED}')", f"count(*) FILTER (WHERE {marker} = "
                                                                         f"'{ROUNDED}')"]
    row = con.execute(f"SELECT {', '.join(counts)} FROM read_parquet({quote_literal(str(staged))})").fetchone()
    values = list(row or [0] * len(counts))
    out: dict[str, Any] = {}
    for i, c in enumerate(config.measures):
        suppressed, rounded = int(values[2 * i]), int(values[2 * i + 1])
        later = int(secondary.get(c, 0))
        out[c] = {"kind": "count" if c in config.count_columns else "average", "suppressed": suppressed,
                  "primary": suppressed - later, "secondary": later, "rounded": rounded}
    return out


# -- k-anonymity for microdata -----------------------------------------------------------------------------------
PC6 = re.compile(r"^\d{4}\s?[A-Za-z]{2}$")
PC4 = re.compile(r"^\d{4}$")
YEAR_NAME = re.compile(r".*(jaar|year).*", re.IGNORECASE)
AGE_NAME = re.compile(r".*(leeftijd|age).*", re.IGNORECASE)
INTEGER = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
DECIMAL = ("FLOAT", "DOUBLE", "REAL")
SHOWN_GROUPS = 50


@dataclass(frozen=True)
class Step:
    """One level of generalisation of a quasi-identifier: what it is called and its SQL over the column."""

    label: str
    sql: str


@dataclass(frozen=True)
class RiskyGroup:
    """Records that share their quasi-identifiers with fewer than k-1 others."""

    values: dict[str, Any]
    size: int


@dataclass(frozen=True)
class Proposal:
    """The generalisation that fixes the risky records, verified by running the check on it."""

    steps: dict[str, str]  # quasi-identifier → what it becomes (e.g. "PC4", "5-year band")
    expressions: dict[str, str]  # quasi-identifier → DuckDB SQL over the original column
    risky_records: int  # left after the generalisation: 0 when it fixes everything
    groups: int


@dataclass(frozen=True)
class KAnonymity:
    """Which records of a microdata file can be singled out by their quasi-identifiers, and how to fix that."""

    k: int
    quasi_identifiers: tuple[str, ...]
    records: int
    risky_records: int
    risky_groups: tuple[RiskyGroup, ...]  # the smallest groups first, at most SHOWN_GROUPS
    proposal: Proposal | None  # None: nothing is risky

    @property
    def anonymous(self) -> bool:
        return self.risky_records == 0

    def as_report(self) -> dict[str, Any]:
        """What a version's report keeps: counts and the generalisation, never the risky values themselves."""
        out: dict[str, Any] = {"k": self.k, "quasi_identifiers": list(self.quasi_identifiers),
                               "records": self.records, "risky_records": self.risky_records}
        if self.proposal is not None:
            out.update(generalised=self.proposal.steps, records_removed=self.proposal.risky_records)
        return out


def check_k_anonymity(con: duckdb.DuckDBPyConnection, parquet: Path | str, quasi_identifiers: Sequence[str],
                      k: int) -> KAnonymity:
    """Find the records in groups smaller than k, and a small generalisation that leaves none: each round coarsens
    the quasi-identifier that removes most risky records (replacing values by '*' only as a last resort), then
    every step that turns out not to be needed is taken back; the result is checked by running the grouping."""
    if k < 2 or not quasi_identifiers:
        raise InvalidInput("k-anonymity needs k of at least 2 and at least one quasi-identifier")
    table = f"sdc_qi_{uuid.uuid4().hex[:12]}"
    qis = tuple(quasi_identifiers)
    con.execute(f"CREATE TEMP TABLE {table} AS SELECT {', '.join(quote_ident(q) for q in qis)} "
                f"FROM read_parquet({quote_literal(str(parquet))})")
    try:
        ladders = {q: _ladder(con, table, q) for q in qis}
        original = {q: quote_ident(q) for q in qis}
        records, risky = _risk(con, table, original, k)
        groups = _risky_groups(con, table, qis, k) if risky else ()
        proposal = _search(con, table, ladders, k, risky) if risky else None
    finally:
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return KAnonymity(k, qis, records, risky, groups, proposal)


def _risk(con: duckdb.DuckDBPyConnection, table: str, expressions: Mapping[str, str], k: int) -> tuple[int, int]:
    """All records, and those in groups smaller than k, when the quasi-identifiers are these expressions."""
    keys = ", ".join(expressions.values())
    row = con.execute(f"SELECT coalesce(sum(n), 0), coalesce(sum(n) FILTER (WHERE n < {k}), 0) "
                      f"FROM (SELECT count(*) AS n FROM {table} GROUP BY {keys})").fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _risky_groups(con: duckdb.DuckDBPyConnection, table: str, qis: Sequence[str], k: int
                  ) -> tuple[RiskyGroup, ...]:
    keys = ", ".join(quote_ident(q) for q in qis)
    rows = con.execute(f"SELECT {keys}, count(*) AS n FROM {table} GROUP BY {keys} HAVING n < {k} "
                       f"ORDER BY n, {keys} LIMIT {SHOWN_GROUPS}").fetchall()
    return tuple(RiskyGroup(dict(zip(qis, row[:-1], strict=True)), int(row[-1])) for row in rows)


def _search(con: duckdb.DuckDBPyConnection, table: str, ladders: Mapping[str, list[Step]], k: int,
            risky: int) -> Proposal:
    level = dict.fromkeys(ladders, -1)

    def expressions(levels: Mapping[str, int]) -> dict[str, str]:
        return {q: ladders[q][i].sql if i >= 0 else quote_ident(q) for q, i in levels.items()}

    while risky:
        tried = []
        for q, i in level.items():
            if i + 1 < len(ladders[q]):
                trial = {**level, q: i + 1}
                suppressing = ladders[q][i + 1].label == "suppressed"
                tried.append((_risk(con, table, expressions(trial), k)[1], suppressing, i + 1, q))
        if not tried:
            break
        risky, _, _, chosen = min(tried)
        level[chosen] += 1
    if not risky:  # greedy steps can overshoot: take back each step that is not needed after all
        for q in level:
            while level[q] >= 0 and not _risk(con, table, expressions({**level, q: level[q] - 1}), k)[1]:
                level[q] -= 1
    final = expressions(level)
    groups = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} GROUP BY {', '.join(final.values())})"
                         ).fetchone()
    return Proposal({q: ladders[q][i].label for q, i in level.items() if i >= 0},
                    {q: final[q] for q, i in level.items() if i >= 0}, risky, int(groups[0]) if groups else 0)


def _ladder(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[Step]:
    """How a quasi-identifier can be coarsened, from its type and values: dates to years and bands, birth years
    and ages to 5/10/20-year bands, PC6 to PC4 and shorter, other numbers to wider bands; anything to '*'."""
    name = quote_ident(column)
    kind = str(con.sql(f"SELECT {name} FROM {table}").types[0]).upper()
    steps: list[Step]
    if kind == "DATE" or kind.startswith("TIMESTAMP"):
        steps = [Step("year", f"CAST(year({name}) AS VARCHAR)")]
        steps += [_band(f"year({name})", w, True) for w in (5, 10, 20)]
    elif kind in INTEGER or kind in DECIMAL or kind.startswith("DECIMAL"):
        steps = _number_steps(con, table, column)
    elif kind == "VARCHAR":
        steps = _postcode_steps(con, table, column)
    else:
        steps = []
    return [*steps, Step("suppressed", "'*'")]


def _band(expr: str, width: int, years: bool) -> Step:
    low = f"CAST(floor({expr} / {width}) * {width} AS BIGINT)"
    return Step(f"{width}-year band" if years else f"band of {width}",
                f"CAST({low} AS VARCHAR) || '-' || CAST({low} + {width - 1} AS VARCHAR)")


def _number_steps(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[Step]:
    """Birth years and ages go to 5, 10 and 20-year bands; other numbers to bands of growing powers of ten."""
    name = quote_ident(column)
    row = con.execute(f"SELECT min({name}), max({name}) FROM {table}").fetchone()
    low, high = (float(row[0]), float(row[1])) if row and row[0] is not None else (0.0, 0.0)
    by_name = YEAR_NAME.match(column) or AGE_NAME.match(column)
    if by_name or 1850 <= low <= high <= 2100 or 0 <= low <= high <= 125:
        return [_band(f"floor({name})", w, bool(by_name) or low >= 1850) for w in (5, 10, 20)]
    magnitude = 10 ** max(0, int(math.log10(max(abs(low), abs(high), 1))) - 1)
    return [_band(f"floor({name})", w, False) for w in (magnitude, magnitude * 10, magnitude * 100)]


def _postcode_steps(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[Step]:
    """PC6 → PC4 → first 3 digits → first 2 digits, when (nearly) all values are postcodes."""
    name = quote_ident(column)
    sample = [str(v[0]) for v in con.execute(
        f"SELECT DISTINCT {name} FROM {table} WHERE {name} IS NOT NULL LIMIT 1000").fetchall()]
    if not sample:
        return []
    clean = f"upper(replace(CAST({name} AS VARCHAR), ' ', ''))"
    share_pc6 = sum(bool(PC6.match(v.strip())) for v in sample) / len(sample)
    share_pc4 = sum(bool(PC4.match(v.strip())) for v in sample) / len(sample)
    lengths = [4, 3, 2] if share_pc6 >= 0.9 else [3, 2] if share_pc4 >= 0.9 else []
    labels = {4: "PC4", 3: "first 3 digits of the postcode", 2: "first 2 digits of the postcode"}
    return [Step(labels[n], f"left({clean}, {n})") for n in lengths]


def _k_anonymous(keyed: str, found: KAnonymity, k: int) -> str:
    """The records generalised as proposed; those still in groups smaller than k are left out."""
    if found.proposal is None:
        return keyed
    expressions = found.proposal.expressions
    replace = ", ".join(f"{sql} AS {quote_ident(q)}" for q, sql in expressions.items())
    generalised = f"SELECT * REPLACE ({replace}) FROM ({keyed})" if replace else keyed
    keys = ", ".join(quote_ident(q) for q in found.quasi_identifiers)
    return (f"SELECT * EXCLUDE (__sdc_n) FROM (SELECT *, count(*) OVER (PARTITION BY {keys}) AS __sdc_n "
            f"FROM ({generalised})) WHERE __sdc_n >= {k}")
