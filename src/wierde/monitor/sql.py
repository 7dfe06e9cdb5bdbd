"""The one DuckDB query that computes an indicator's values per region and period from its sources' columns.

Built from checked parts only: expressions were parsed and re-rendered by `spec`, names are quoted here, and the
engine that runs it can read nothing but the input files. Regions come from the columns ingest keying adds
(`pv_code`, `gm_code`, `wk_code`, `bu_code`) and periods from `period` (ISO text), so any keyed dataset works.
"""

# ruff: noqa: S608  -- SQL is assembled from re-rendered expressions, quoted names and numeric literals.
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wierde.monitor.periods import cut_sql
from wierde.monitor.spec import LEVEL_COLUMNS, IndicatorError, IndicatorSpec, Part
from wierde.sqltext import quote_ident, quote_literal

PARENTS = {"province": None, "gemeente": "pv_code", "wijk": "gm_code", "buurt": "wk_code"}
PERIOD = '"__period"'  # the row's period cut to the indicator's granularity
SECRET_MARKERS = ("x", "Secret")  # CBS symbol (v3) and ValueAttribute (v4) for a figure kept secret
STATUS_COLUMN = "status"
FLAG_SUFFIX = "__status"  # protect.disclosure's companion column: suppressed or rounded
COLUMNS = ("indicator", "region_level", "region_code", "parent_code", "period", "value", "numerator", "denominator",
           "status", "flag", "target")


@dataclass(frozen=True)
class TargetPoint:
    """One target value for one region and year, with the policy it comes from."""

    region: str
    year: int
    value: float
    source: Mapping[str, str]


class Columns:
    """A source's column names, matched without regard to case as DuckDB does."""

    def __init__(self, dataset: str, names: Sequence[str]) -> None:
        self.dataset = dataset
        self.names = {name.casefold(): name for name in names}

    def has(self, name: str) -> bool:
        return name.casefold() in self.names

    def require(self, name: str, spec: IndicatorSpec, field: str) -> None:
        if not self.has(name):
            raise IndicatorError(f"indicator {spec.id!r}: field {field!r}: column {name!r} is not in dataset "
                                 f"{self.dataset!r}; its columns are {', '.join(self.names.values())}",
                                 indicator=spec.id, field=field)


def check_columns(spec: IndicatorSpec, columns: Mapping[str, Columns]) -> None:
    """Every column an expression, a period or a region level reads exists in its source; errors say which."""
    for name, part in zip(("numerator", "denominator"), spec.parts, strict=False):
        have = columns[part.source]
        for column in part.columns:
            have.require(column, spec, f"measure.{name}")
        if part.period_value is None:
            have.require(part.period_column, spec, "period_column")
        levels = {*spec.levels, *(g.level for g in spec.groups)} - {"province"}
        for level in sorted(levels):
            have.require(LEVEL_COLUMNS[level], spec, "regions")


def _period(part: Part, spec: IndicatorSpec) -> str:
    text = (quote_literal(part.period_value) if part.period_value is not None
            else f"CAST({quote_ident(part.period_column)} AS VARCHAR)")
    return cut_sql(text, spec.granularity)


def _code(level: str, have: Columns, spec: IndicatorSpec) -> str:
    column = LEVEL_COLUMNS[level]
    if have.has(column):
        return quote_ident(column)
    return quote_literal(spec.province)  # a dataset without region columns is about the whole province


def _parent(level: str, have: Columns, spec: IndicatorSpec) -> str:
    column = PARENTS[level]
    if column is None:
        return "CAST(NULL AS VARCHAR)"
    return _code("province", have, spec) if level == "gemeente" else quote_ident(column)


def _status(have: Columns) -> str:
    """Provisional when any row behind the value is (CBS `status` column); final when all are; else unknown."""
    if not have.has(STATUS_COLUMN):
        return "CAST(NULL AS VARCHAR)"
    status = f"lower(trim(CAST({quote_ident(STATUS_COLUMN)} AS VARCHAR)))"
    return (f"CASE WHEN count({quote_ident(STATUS_COLUMN)}) = 0 THEN NULL "
            f"WHEN bool_or({status} NOT IN ('definitief', 'final')) THEN 'provisional' ELSE 'final' END")


def _flag(part: Part, have: Columns) -> str:
    """Suppressed or rounded when any cell behind the value was (disclosure companions, CBS secrecy markers)."""
    suppressed, rounded = [], []
    for column in part.columns:
        companion = column + FLAG_SUFFIX
        if have.has(companion):
            suppressed.append(f"{quote_ident(companion)} = 'suppressed'")
            rounded.append(f"{quote_ident(companion)} = 'rounded'")
    if "waarde" in {c.casefold() for c in part.columns} and have.has("waarde_kenmerk"):
        markers = ", ".join(quote_literal(m) for m in SECRET_MARKERS)
        suppressed.append(f"trim(CAST(waarde_kenmerk AS VARCHAR)) IN ({markers})")
    if not suppressed:
        return "CAST(NULL AS VARCHAR)"
    return (f"CASE WHEN bool_or({' OR '.join(suppressed)}) THEN 'suppressed' "
            f"WHEN bool_or({' OR '.join(rounded) or 'FALSE'}) THEN 'rounded' END")


def _conditions(*items: str | None) -> str:
    return " AND ".join(f"({item})" for item in items if item)


def _rows(part: Part, spec: IndicatorSpec) -> str:
    """The source's rows with their period cut to the indicator's granularity, as `__period`."""
    return f"(SELECT *, {_period(part, spec)} AS {PERIOD} FROM {quote_ident(part.source)})"


def _select(part: Part, spec: IndicatorSpec, have: Columns, level: str, code: str, parent: str,
            extra: str | None) -> str:
    where = _conditions(f"{code} IS NOT NULL", f"{PERIOD} IS NOT NULL", part.where, extra)
    return (f"SELECT {quote_literal(level)} AS region_level, {code} AS region_code, any_value({parent}) AS "
            f"parent_code, {PERIOD} AS period, CAST({part.value} AS DOUBLE) AS value, {_status(have)} AS status, "
            f"{_flag(part, have)} AS flag FROM {_rows(part, spec)} WHERE {where} GROUP BY 1, 2, 4")


def part_sql(part: Part, spec: IndicatorSpec, have: Columns) -> str:
    """The part's aggregate for every region level and group, stacked."""
    selects = [_select(part, spec, have, level, _code(level, have, spec), _parent(level, have, spec),
                       part.level_filters.get(level)) for level in spec.levels]
    for group in spec.groups:
        members = ", ".join(quote_literal(m) for m in group.members)
        extra = _conditions(f"{quote_ident(LEVEL_COLUMNS[group.level])} IN ({members})",
                            part.level_filters.get(group.level))
        selects.append(_select(part, spec, have, "group", quote_literal(group.code), quote_literal(spec.province),
                               extra))
    return " UNION ALL ".join(selects)


def _filled(part: Part, spec: IndicatorSpec, raw: str) -> str:
    """Every region that occurs, in every period the source has at all, with `fill_missing` where no row counted."""
    return (f"SELECT k.region_level, k.region_code, k.parent_code, p.period, "
            f"coalesce(r.value, {float(spec.fill_missing or 0)!r}) AS value, r.status, r.flag "
            f"FROM (SELECT region_level, region_code, any_value(parent_code) AS parent_code FROM ({raw}) "
            f"GROUP BY 1, 2) k CROSS JOIN (SELECT DISTINCT {PERIOD} AS period FROM {_rows(part, spec)} "
            f"WHERE {PERIOD} IS NOT NULL) p LEFT JOIN ({raw}) r ON r.region_level = k.region_level "
            "AND r.region_code = k.region_code AND r.period = p.period")


def _combined(spec: IndicatorSpec) -> str:
    scale = float(spec.scale)
    if spec.denominator is None:
        return (f"SELECT region_level, region_code, parent_code, period, value AS numerator, "
                f"CAST(NULL AS DOUBLE) AS denominator, status, flag, value * {scale!r} AS value FROM num")
    return ("SELECT n.region_level, n.region_code, n.parent_code, n.period, n.value AS numerator, "
            "d.value AS denominator, CASE WHEN 'provisional' IN (n.status, d.status) THEN 'provisional' "
            "WHEN 'final' IN (n.status, d.status) THEN 'final' END AS status, "
            "CASE WHEN 'suppressed' IN (n.flag, d.flag) THEN 'suppressed' "
            "WHEN 'rounded' IN (n.flag, d.flag) THEN 'rounded' END AS flag, "
            f"n.value / NULLIF(d.value, 0) * {scale!r} AS value FROM num n JOIN den d "
            "ON d.region_level = n.region_level AND d.region_code = n.region_code AND d.period = n.period")


def _shaped(spec: IndicatorSpec) -> str:
    """Suppressed values are withheld; with `change`, each value becomes the change since the previous period."""
    kept = "CASE WHEN flag = 'suppressed' THEN NULL ELSE value END"
    if spec.change is None:
        return (f"SELECT region_level, region_code, parent_code, period, {kept} AS value, numerator, denominator, "
                "status, flag FROM combined")
    previous = "lag(value) OVER (PARTITION BY region_level, region_code ORDER BY period)"
    change = (f"100 * (value - {previous}) / NULLIF(abs({previous}), 0)" if spec.change == "percent"
              else f"value - {previous}")
    return ("SELECT * FROM (SELECT region_level, region_code, parent_code, period, "
            f"CASE WHEN flag = 'suppressed' THEN NULL ELSE {change} END AS value, numerator, denominator, status, "
            "flag FROM combined) WHERE value IS NOT NULL OR flag IS NOT NULL")


def _targets(points: Sequence[TargetPoint]) -> str:
    if not points:
        return ("SELECT CAST(NULL AS VARCHAR) AS region_code, CAST(NULL AS INTEGER) AS year, "
                "CAST(NULL AS DOUBLE) AS target WHERE FALSE")
    rows = ", ".join(f"({quote_literal(p.region)}, {int(p.year)}, {float(p.value)!r})" for p in points)
    return f"SELECT * FROM (VALUES {rows}) AS t(region_code, year, target)"


def indicator_sql(spec: IndicatorSpec, columns: Mapping[str, Columns], targets: Sequence[TargetPoint]) -> str:
    """The whole computation: one row per region level, region and period, sorted so equal inputs give equal files."""
    check_columns(spec, columns)
    numerator = part_sql(spec.numerator, spec, columns[spec.numerator.source])
    if spec.fill_missing is not None and spec.denominator is None:
        numerator = _filled(spec.numerator, spec, numerator)
    ctes = [f"num AS ({numerator})"]
    if spec.denominator is not None:
        ctes.append(f"den AS ({part_sql(spec.denominator, spec, columns[spec.denominator.source])})")
    ctes += [f"combined AS ({_combined(spec)})", f"shaped AS ({_shaped(spec)})", f"targets AS ({_targets(targets)})"]
    return (f"WITH {', '.join(ctes)} SELECT {quote_literal(spec.id)} AS indicator, r.region_level, r.region_code, "
            "r.parent_code, r.period, r.value, r.numerator, r.denominator, r.status, r.flag, t.target "
            "FROM shaped r LEFT JOIN targets t ON t.region_code = r.region_code "
            "AND t.year = CAST(left(r.period, 4) AS INTEGER) ORDER BY r.region_level, r.region_code, r.period")
