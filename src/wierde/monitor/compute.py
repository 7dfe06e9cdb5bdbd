"""Compute an indicator from its sources' current versions and store the values as a dataset of its own.

The values (one row per region level, region and period) become a version of the dataset `indicator-<id>`, so
they are versioned, lineaged and served like any other data; the dataset inherits the strictest access of its
inputs. A computation that fails commits nothing: the last good version stays current.
"""

# ruff: noqa: S608  -- SQL is built from quoted names the schema was checked against.
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wierde.combine.engine import DuckEngine
from wierde.combine.inherit import inherited_access
from wierde.combine.materialise import result_schema
from wierde.errors import Conflict, NotFound, WierdeError
from wierde.monitor.spec import IndicatorError, IndicatorSpec, Target, indicators_path, load_indicators
from wierde.monitor.sql import COLUMNS, Columns, TargetPoint, indicator_sql
from wierde.protect import gate
from wierde.protect.access import Principal
from wierde.sqltext import quote_ident, quote_literal
from wierde.store.duck import connect
from wierde.store.records import DatasetRecord, VersionRecord
from wierde.store.repository import Committed, Store, json_safe

ERROR_LINES = 4
KEYED = ("bu_code", "wk_code", "gm_code", "pv_code")  # finest first
COPIED_META = ("publisher", "contact_point", "licence", "spatial", "attribution", "synthetic", "access_rights",
               "language")
# Who publishes an indicator's values once every dataset they come from is published (in the audit log).
MONITOR = Principal(kind="steward", name="monitor", purpose="indicator computed from published datasets")
log = logging.getLogger(__name__)
_specs: dict[str, tuple[tuple[int, int, int], list[IndicatorSpec]]] = {}
_specs_lock = threading.Lock()


@dataclass(frozen=True)
class Computed:
    indicator: str
    version: VersionRecord
    created: bool  # False: the values equal a version the indicator already had
    inputs: dict[str, int]  # dataset id → the version number that was read
    seconds: float


# --- inputs ------------------------------------------------------------------------------------------------


def input_versions(store: Store, spec: IndicatorSpec) -> dict[str, VersionRecord]:
    versions = {}
    for dataset_id in spec.inputs:
        try:
            versions[dataset_id] = store.version(dataset_id)
        except NotFound as error:
            raise IndicatorError(f"indicator {spec.id!r} reads {dataset_id!r}: {error.detail}", indicator=spec.id,
                                 missing=[dataset_id]) from None
    return versions


def columns_of(version: VersionRecord) -> Columns:
    return Columns(version.dataset_id, [str(f["name"]) for f in version.fields])


def _target_sql(store: Store, spec: IndicatorSpec, target: Target, version: VersionRecord) -> str:
    have = columns_of(version)
    assert target.column is not None
    have.require(target.column, spec, "targets.column")
    have.require(target.period_column, spec, "targets.period_column")
    if target.region_column:
        have.require(target.region_column, spec, "targets.region_column")
        region = quote_ident(target.region_column)
    else:
        keyed = [quote_ident(c) for c in KEYED if have.has(c)]
        if not keyed:
            raise IndicatorError(f"indicator {spec.id!r}: field 'targets.region_column': dataset "
                                 f"{version.dataset_id!r} has no region columns; name the column holding region codes",
                                 indicator=spec.id, field="targets.region_column")
        region = f"coalesce({', '.join(keyed)})"
    period = f"CAST({quote_ident(target.period_column)} AS VARCHAR)"
    return (f"SELECT {region} AS region, TRY_CAST(left({period}, 4) AS INTEGER) AS year, "
            f"CAST({quote_ident(target.column)} AS DOUBLE) AS value "
            f"FROM read_parquet({quote_literal(str(store.path_of(version)))}) "
            f"WHERE {region} IS NOT NULL AND {quote_ident(target.column)} IS NOT NULL ORDER BY 1, 2")


def target_points(store: Store, spec: IndicatorSpec, versions: Mapping[str, VersionRecord]) -> list[TargetPoint]:
    """Every target as (region, year, value, policy source); the first target declared for a region-year wins."""
    points: dict[tuple[str, int], TargetPoint] = {}
    for target in spec.targets:
        regions = target.regions or (spec.default_region,)
        if target.dataset is None:
            for region in regions:
                for year, value in target.values.items():
                    points.setdefault((region, year), TargetPoint(region, year, value, target.source))
            continue
        rows = store.duck().execute(_target_sql(store, spec, target, versions[target.dataset])).fetchall()
        for region, year, value in rows:
            if year is not None and (not target.regions or region in target.regions):
                points.setdefault((str(region), int(year)), TargetPoint(str(region), int(year), float(value),
                                                                       target.source))
    return sorted(points.values(), key=lambda p: (p.region, p.year))


# --- running and committing --------------------------------------------------------------------------------


def _existing(store: Store, dataset_id: str) -> DatasetRecord | None:
    try:
        return store.dataset(dataset_id)
    except NotFound:
        return None


def refuse_plain_dataset(store: Store, spec: IndicatorSpec) -> None:
    """The indicator's values must never overwrite a dataset that was loaded under the same id."""
    dataset = _existing(store, spec.dataset_id)
    if dataset is None or dataset.current_version is None:
        return
    if store.version(dataset.id).source.get("indicator") != spec.id:
        raise Conflict(f"indicator {spec.id!r}: a dataset {spec.dataset_id!r} exists and is not this indicator's; "
                       "choose another id", indicator=spec.id)


def compute(store: Store, spec: IndicatorSpec) -> Computed:
    """Compute the indicator from its inputs' current versions and commit the values (a new version or none)."""
    started = time.perf_counter()
    versions = input_versions(store, spec)
    refuse_plain_dataset(store, spec)
    points = target_points(store, spec, versions)
    sql = indicator_sql(spec, {d: columns_of(v) for d, v in versions.items()}, points)
    staged = store.new_tmp_path()
    engine = DuckEngine(memory_limit=store.settings.duckdb_memory_limit, temp_directory=store.settings.tmp_dir /
                        "duckdb")
    try:
        rows = _run(store, spec, engine, sql, versions, staged)
        _stamp_targets(store, staged, points)
        committed = _commit(store, spec, staged, versions, points, rows=rows, sql=sql,
                            seconds=time.perf_counter() - started)
    finally:
        staged.unlink(missing_ok=True)
    lineage = {d: v.number for d, v in sorted(versions.items())}
    return Computed(spec.id, committed.version, committed.created, lineage, round(time.perf_counter() - started, 3))


def _run(store: Store, spec: IndicatorSpec, engine: DuckEngine, sql: str, versions: Mapping[str, VersionRecord],
         staged: Path) -> int:
    tables = {d: store.path_of(v) for d, v in versions.items() if d in spec.sources}
    try:
        rows = engine.run(sql, tables, staged)
    except Exception as error:  # DuckDB's own errors (a type mismatch in an expression) name no indicator
        text = error.detail if isinstance(error, WierdeError) else str(error)
        reason = "\n".join(text.strip().splitlines()[:ERROR_LINES]) or type(error).__name__
        raise IndicatorError(f"indicator {spec.id!r} could not be computed{_kept(store, spec)}: {reason}",
                             indicator=spec.id) from error
    if rows == 0:
        raise IndicatorError(f"indicator {spec.id!r} gave no values{_kept(store, spec)}: no rows of "
                             f"{', '.join(spec.sources)} have a region and a {spec.granularity} period after the "
                             "filters; check source, where, regions and period", indicator=spec.id)
    return rows


def targets_json(points: Sequence[TargetPoint]) -> list[dict[str, Any]]:
    return [{"region": p.region, "year": p.year, "value": p.value, "source": dict(p.source)} for p in points]


def _stamp_targets(store: Store, staged: Path, points: Sequence[TargetPoint]) -> None:
    """Write the targets into the file's metadata, so new targets alone make a new version (versions are compared
    by content, and a target for a year without data appears in no row)."""
    text = json.dumps(targets_json(points), sort_keys=True, ensure_ascii=False)
    stamped = store.new_tmp_path()
    con = connect(extensions=())
    try:
        con.execute(f"COPY (SELECT * FROM read_parquet({quote_literal(str(staged))})) TO "
                    f"{quote_literal(str(stamped))} (FORMAT parquet, COMPRESSION zstd, "
                    f"KV_METADATA {{wierde_targets: {quote_literal(text)}}})")
        stamped.replace(staged)
    finally:
        con.close()
        stamped.unlink(missing_ok=True)


def _kept(store: Store, spec: IndicatorSpec) -> str:
    dataset = _existing(store, spec.dataset_id)
    if dataset is None or dataset.current_version is None:
        return ""
    return f" (version {dataset.current_version} stays current)"


def _commit(store: Store, spec: IndicatorSpec, staged: Path, versions: Mapping[str, VersionRecord],
            points: Sequence[TargetPoint], *, rows: int, sql: str, seconds: float) -> Committed:
    """Commit with the inherited access in force before anyone can read the values (as views do)."""
    schema = result_schema(staged)
    inputs = [store.dataset(d) for d in sorted(versions)]
    classification, rules = inherited_access(inputs, list(COLUMNS))
    existing = _existing(store, spec.dataset_id)
    if existing is not None and (existing.classification, existing.access) != (classification, rules):
        store.set_access(spec.dataset_id, classification, rules)
    committed = store.commit_version(
        spec.dataset_id, staged, row_count=rows, table_schema=schema, meta=indicator_meta(store, spec, existing,
                                                                                          inputs),
        source={"indicator": spec.id, "sql": sql, "engine": "duckdb",
                "inputs": {d: v.number for d, v in sorted(versions.items())},
                "targets": targets_json(points)},
        report={"seconds": round(seconds, 3)},
    )
    if existing is None:  # a new dataset starts as a draft, which only staff see, until its access is set
        store.set_access(spec.dataset_id, classification, rules)
    if all(d.is_published for d in inputs) and store.dataset(spec.dataset_id).status != "published":
        _publish(store, spec)
    return committed


def _publish(store: Store, spec: IndicatorSpec) -> None:
    """Through the publication gate, as any dataset; when it refuses, the values stay a draft for a steward."""
    try:
        gate.publish(store, MONITOR, spec.dataset_id)
    except WierdeError as error:
        reasons = error.extra.get("reasons")
        log.warning("indicator %s stays a draft: %s %s", spec.id, error.detail,
                    "; ".join(str(r) for r in reasons) if isinstance(reasons, list) else "")


def indicator_meta(store: Store, spec: IndicatorSpec, existing: DatasetRecord | None,
                   inputs: Sequence[DatasetRecord]) -> dict[str, Any]:
    """DCAT-AP-NL metadata: the indicator's own texts and theme; publisher, licence and the like from its source."""
    first = next((d.meta for d in inputs if d.id == spec.numerator.source), {})
    meta: dict[str, Any] = {key: first[key] for key in COPIED_META if key in first}
    meta.update(existing.meta if existing else {})
    meta.update({
        "title": dict(spec.name), "description": dict(spec.definition), "themes": [spec.theme],
        "keywords": {"nl": ["indicator", "monitor"], "en": ["indicator", "monitor"]},
        "source": f"{store.settings.base_url.rstrip('/')}/indicators/{spec.id}",
    })
    return json_safe(meta)


# --- many --------------------------------------------------------------------------------------------------


def all_indicators(store: Store) -> list[IndicatorSpec]:
    """The instance's indicators; the file is parsed again only when it changed (pages ask on every request)."""
    path = indicators_path(store.settings)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return []
    key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    with _specs_lock:
        cached = _specs.get(str(path))
    if cached is not None and cached[0] == key:
        return list(cached[1])
    specs = load_indicators(path)
    with _specs_lock:
        _specs[str(path)] = (key, specs)
    return list(specs)


def compute_many(store: Store, specs: Sequence[IndicatorSpec]) -> tuple[list[Computed], list[WierdeError]]:
    """Compute each; a failure is collected (naming the indicator) and the others go on."""
    done, failed = [], []
    for spec in specs:
        try:
            done.append(compute(store, spec))
        except WierdeError as error:
            failed.append(error)
    return done, failed


def reading(specs: Sequence[IndicatorSpec], dataset_id: str) -> list[IndicatorSpec]:
    """The indicators a new version of `dataset_id` makes stale."""
    return [spec for spec in specs if dataset_id in spec.inputs]
