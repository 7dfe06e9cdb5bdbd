"""What an indicator is (texts, source and measure, regions, periods, direction, targets) and how YAML declares it.

Indicators live in `<home>/indicators.yaml`, a list; stewards may also define one through the API. Every error
names the file (or request), the indicator and the field, so a steward knows what to change.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import sqlglot
import yaml
from sqlglot import exp
from sqlglot.errors import SqlglotError

from wierde.catalog import vocab
from wierde.config import Settings
from wierde.errors import InvalidInput, NotFound
from wierde.monitor.periods import GRANULARITIES
from wierde.regions.codes import RegionCodeError, validate_code
from wierde.store.repository import DATASET_ID
from wierde.yamlfile import read_yaml

INDICATORS_FILE = "indicators.yaml"
DATASET_PREFIX = "indicator-"
LEVELS = ("province", "gemeente", "wijk", "buurt")
LEVEL_COLUMNS = {"province": "pv_code", "gemeente": "gm_code", "wijk": "wk_code", "buurt": "bu_code"}
DIRECTIONS = ("higher_is_better", "lower_is_better")
CHANGES = ("percent", "absolute")
RESERVED_IDS = frozenset({"embed"})  # /indicators/embed is the embeddable dashboard
FIELDS = ("id", "name", "definition", "unit", "theme", "source", "measure", "where", "level_filters", "period",
          "period_column", "period_value", "regions", "groups", "default_region", "province", "direction",
          "targets", "statutory_code", "method", "change", "fill_missing", "decimals", "trend_periods")
PART_FIELDS = ("source", "value", "where", "level_filters", "period_column", "period_value")
TARGET_FIELDS = ("values", "regions", "dataset", "column", "region_column", "period_column", "source")


class IndicatorError(InvalidInput):
    """An indicator that cannot be declared or computed as written; the message says where and what to change."""


@dataclass(frozen=True)
class Part:
    """One aggregate (numerator or denominator) over one dataset or view, per region and period."""

    source: str
    value: str  # an aggregate SQL expression (DuckDB dialect), checked and re-rendered
    where: str | None = None
    level_filters: Mapping[str, str] = field(default_factory=dict)  # region level → extra SQL condition
    period_column: str = "period"
    period_value: str | None = None  # a fixed period, for a source that holds one period and no period column
    columns: tuple[str, ...] = ()  # the source columns the expressions read


@dataclass(frozen=True)
class Target:
    """A policy target: fixed values per year, or a series read from a dataset; always with its policy source."""

    source: Mapping[str, str]  # {nl, en, url}: the policy document the target comes from
    values: Mapping[int, float] = field(default_factory=dict)
    regions: tuple[str, ...] = ()  # empty: the indicator's default region
    dataset: str | None = None
    column: str | None = None
    region_column: str | None = None  # default: the finest of bu_code, wk_code, gm_code, pv_code
    period_column: str = "period"


@dataclass(frozen=True)
class Group:
    """Regions of one level taken together (the eastern municipalities), computed from their rows, not averaged."""

    code: str
    name: Mapping[str, str]
    level: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class IndicatorSpec:
    id: str
    name: Mapping[str, str]
    definition: Mapping[str, str]
    unit: Mapping[str, str]
    theme: str
    numerator: Part
    direction: str
    granularity: str
    levels: tuple[str, ...]
    denominator: Part | None = None
    scale: float = 1.0
    targets: tuple[Target, ...] = ()
    groups: tuple[Group, ...] = ()
    default_region: str = "PV20"
    province: str = "PV20"
    statutory_code: str | None = None
    method: Mapping[str, str] = field(default_factory=dict)
    change: str | None = None
    fill_missing: float | None = None
    decimals: int = 1
    trend_periods: int = 5
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)  # as declared, for writing back

    @property
    def dataset_id(self) -> str:
        return DATASET_PREFIX + self.id

    @property
    def parts(self) -> tuple[Part, ...]:
        return (self.numerator,) if self.denominator is None else (self.numerator, self.denominator)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(sorted({p.source for p in self.parts}))

    @property
    def inputs(self) -> tuple[str, ...]:
        """Every dataset the values depend on: the measure's sources and the datasets targets are read from."""
        return tuple(sorted({*self.sources, *(t.dataset for t in self.targets if t.dataset)}))

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher_is_better"

    def group(self, code: str) -> Group | None:
        return next((g for g in self.groups if g.code == code), None)


# --- small field readers -------------------------------------------------------------------------------------


def _texts(value: object, at: str, name: str, *, required: bool = False) -> Mapping[str, str]:
    """A plain string is Dutch; a mapping is keyed by language (nl, en)."""
    if value is None or value == "":
        if required:
            raise IndicatorError(f"{at}: field {name!r} is required (a text, or {{nl: ..., en: ...}})", field=name)
        return MappingProxyType({})
    if isinstance(value, str):
        value = {"nl": value}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise IndicatorError(f"{at}: field {name!r}: expected a text or a mapping like {{nl: ..., en: ...}}",
                             field=name)
    texts = {str(lang): text.strip() for lang, text in value.items() if text.strip()}
    if required and not texts:
        raise IndicatorError(f"{at}: field {name!r} is required (a text, or {{nl: ..., en: ...}})", field=name)
    return MappingProxyType(texts)


def _choice(value: object, choices: Sequence[str], at: str, name: str) -> str:
    if value not in choices:
        raise IndicatorError(f"{at}: field {name!r}: {value!r} is not one of {', '.join(choices)}", field=name)
    return str(value)


def _number(value: object, at: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IndicatorError(f"{at}: field {name!r}: expected a number, not {value!r}", field=name)
    return float(value)


def _count(value: object, at: str, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise IndicatorError(f"{at}: field {name!r}: expected a whole number from {low} to {high}, not {value!r}",
                             field=name)
    return value


def _dataset(value: object, at: str, name: str) -> str:
    if not isinstance(value, str) or not DATASET_ID.match(value):
        raise IndicatorError(f"{at}: field {name!r}: {value!r} is not a dataset or view id", field=name)
    if value.startswith(DATASET_PREFIX):
        raise IndicatorError(f"{at}: field {name!r}: {value!r} is an indicator's own dataset; compute from the "
                             "datasets or views it is made from", field=name)
    return value


def _region(value: object, at: str, name: str, groups: Sequence[str] = ()) -> str:
    if isinstance(value, str) and value in groups:
        return value
    try:
        return validate_code(value)
    except RegionCodeError as error:
        raise IndicatorError(f"{at}: field {name!r}: {error.detail}", field=name) from None


def _column(value: object, at: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise IndicatorError(f"{at}: field {name!r}: expected a column name", field=name)
    return value.strip()


# --- SQL expressions -----------------------------------------------------------------------------------------

FORBIDDEN = (exp.Query, exp.Subquery, exp.Table, exp.Window, exp.Command, exp.Placeholder)


def _expression(text: object, at: str, name: str, *, aggregate: bool) -> tuple[str, tuple[str, ...]]:
    """A single SQL expression over one row set, re-rendered from its parse tree, and the columns it reads."""
    kind = "an aggregate such as sum(inwoners) or count(*)" if aggregate else "a condition such as magnitude >= 1.5"
    if not isinstance(text, str) or not text.strip():
        raise IndicatorError(f"{at}: field {name!r}: expected {kind}", field=name)
    try:
        tree = sqlglot.parse_one(text, read="duckdb", into=exp.Condition)
    except SqlglotError as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise IndicatorError(f"{at}: field {name!r}: {text!r} is not one SQL expression ({first})",
                             field=name) from None
    bad = next((node for node in tree.walk() if isinstance(node, FORBIDDEN)), None)
    if bad is not None:
        raise IndicatorError(f"{at}: field {name!r}: write an expression over the source's own columns, without "
                             f"queries, tables or window functions ({bad.sql(dialect='duckdb')[:60]})", field=name)
    has_aggregate = any(isinstance(node, exp.AggFunc) for node in tree.walk())
    if has_aggregate != aggregate:
        raise IndicatorError(f"{at}: field {name!r}: expected {kind}, not {text!r}", field=name)
    columns = tuple(sorted({c.name for c in tree.find_all(exp.Column)}))
    return tree.sql(dialect="duckdb"), columns


def _level_filters(value: object, at: str, name: str) -> tuple[Mapping[str, str], tuple[str, ...]]:
    if value in (None, {}):
        return MappingProxyType({}), ()
    if not isinstance(value, Mapping):
        raise IndicatorError(f"{at}: field {name!r}: expected a mapping of region level to a condition, e.g. "
                             "{gemeente: \"regio_niveau = 'gemeente'\"}", field=name)
    filters: dict[str, str] = {}
    columns: set[str] = set()
    for level, condition in value.items():
        _choice(level, LEVELS, at, f"{name}.{level}")
        filters[str(level)], used = _expression(condition, at, f"{name}.{level}", aggregate=False)
        columns.update(used)
    return MappingProxyType(filters), tuple(sorted(columns))


# --- the measure -------------------------------------------------------------------------------------------


def _part(value: object, defaults: Mapping[str, Any], at: str, name: str) -> Part:
    """A numerator or denominator: an aggregate over the indicator's source, or a mapping with its own source."""
    data: Mapping[str, Any] = {"value": value} if isinstance(value, str) else value  # type: ignore[assignment]
    if not isinstance(data, Mapping):
        raise IndicatorError(f"{at}: field {name!r}: expected an aggregate (sum(x)) or a mapping with source and "
                             "value", field=name)
    unknown = [str(k) for k in data if k not in PART_FIELDS]
    if unknown:
        raise IndicatorError(f"{at}: field {name!r}: unknown field {', '.join(map(repr, unknown))}; known: "
                             f"{', '.join(PART_FIELDS)}", field=f"{name}.{unknown[0]}")
    merged = {**{k: v for k, v in defaults.items() if v is not None}, **data}
    if merged.get("source") is None:
        raise IndicatorError(f"{at}: field 'source' is required: the dataset or view the measure reads",
                             field="source")
    source = _dataset(merged["source"], at, f"{name}.source" if "source" in data else "source")
    value_sql, columns = _expression(merged.get("value"), at, f"{name}.value" if isinstance(value, Mapping)
                                     else name, aggregate=True)
    where_sql: str | None = None
    where_columns: tuple[str, ...] = ()
    if merged.get("where") is not None:
        where_sql, where_columns = _expression(merged["where"], at, "where" if "where" not in data
                                               else f"{name}.where", aggregate=False)
    filters, filter_columns = _level_filters(merged.get("level_filters"), at, "level_filters")
    period_value = merged.get("period_value")
    if period_value is not None and not isinstance(period_value, str | int):
        raise IndicatorError(f"{at}: field 'period_value': expected a period such as 2025 or 2025-Q1",
                             field="period_value")
    return Part(source=source, value=value_sql, where=where_sql, level_filters=filters,
                period_column=_column(merged.get("period_column", "period"), at, "period_column"),
                period_value=None if period_value is None else str(period_value),
                columns=tuple(sorted({*columns, *where_columns, *filter_columns})))


def _measure(data: Mapping[str, Any], at: str) -> tuple[Part, Part | None, float]:
    measure = data.get("measure")
    defaults = {k: data.get(k) for k in ("source", "where", "level_filters", "period_column", "period_value")}
    if isinstance(measure, str):
        return _part(measure, defaults, at, "measure"), None, 1.0
    if not isinstance(measure, Mapping) or "numerator" not in measure:
        raise IndicatorError(f"{at}: field 'measure' is required: an aggregate such as sum(inwoners), or "
                             "{numerator: ..., denominator: ..., scale: 100}", field="measure")
    unknown = [str(k) for k in measure if k not in ("numerator", "denominator", "scale")]
    if unknown:
        raise IndicatorError(f"{at}: field 'measure': unknown field {', '.join(map(repr, unknown))}; known: "
                             "numerator, denominator, scale", field=f"measure.{unknown[0]}")
    numerator = _part(measure["numerator"], defaults, at, "measure.numerator")
    denominator = None
    if measure.get("denominator") is not None:
        denominator = _part(measure["denominator"], defaults, at, "measure.denominator")
    scale = _number(measure.get("scale", 1), at, "measure.scale")
    return numerator, denominator, scale


# --- regions, groups and targets ---------------------------------------------------------------------------


def _levels(value: object, at: str) -> tuple[str, ...]:
    if value is None:
        return ("province", "gemeente")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise IndicatorError(f"{at}: field 'regions': expected a list of levels from {', '.join(LEVELS)}",
                             field="regions")
    chosen = {_choice(level, LEVELS, at, "regions") for level in value}
    return tuple(level for level in LEVELS if level in chosen)


def _groups(value: object, levels: Sequence[str], at: str) -> tuple[Group, ...]:
    if value in (None, []):
        return ()
    if not isinstance(value, list):
        raise IndicatorError(f"{at}: field 'groups': expected a list of {{code, name, members}}", field="groups")
    groups = []
    for i, item in enumerate(value):
        where = f"groups[{i}]"
        if not isinstance(item, Mapping):
            raise IndicatorError(f"{at}: field {where!r}: expected {{code, name, members}}", field=where)
        code = item.get("code")
        if not isinstance(code, str) or not DATASET_ID.match(code):
            raise IndicatorError(f"{at}: field '{where}.code': {code!r} is not a lower-case slug such as "
                                 "oost-groningen", field=f"{where}.code")
        members = item.get("members")
        if not isinstance(members, list) or not members:
            raise IndicatorError(f"{at}: field '{where}.members': expected a list of region codes",
                                 field=f"{where}.members")
        codes = tuple(_region(m, at, f"{where}.members") for m in members)
        level = {"PV": "province", "GM": "gemeente", "WK": "wijk", "BU": "buurt"}[codes[0][:2]]
        if any(c[:2] != codes[0][:2] for c in codes) or level not in levels:
            raise IndicatorError(f"{at}: field '{where}.members': members are regions of one level the indicator "
                                 f"is computed for ({', '.join(levels)})", field=f"{where}.members")
        groups.append(Group(code, _texts(item.get("name"), at, f"{where}.name", required=True), level, codes))
    return tuple(groups)


def _policy_source(value: object, at: str, name: str) -> Mapping[str, str]:
    """Each target names where it comes from: a text (nl/en) and, where there is one, a URL."""
    if isinstance(value, str):
        value = {"nl": value}
    if not isinstance(value, Mapping) or not any(value.get(k) for k in ("nl", "en")):
        raise IndicatorError(f"{at}: field {name!r} is required: the policy the target comes from, as a text or "
                             "{nl: ..., en: ..., url: ...}", field=name)
    url = value.get("url")
    if url is not None and not vocab.is_uri(str(url)):
        raise IndicatorError(f"{at}: field '{name}.url': {url!r} is not an http(s) URL", field=f"{name}.url")
    return MappingProxyType({str(k): str(v).strip() for k, v in value.items() if v})


def _target_values(value: object, at: str, name: str) -> Mapping[int, float]:
    if not isinstance(value, Mapping) or not value:
        raise IndicatorError(f"{at}: field {name!r}: expected a value per year, e.g. {{2030: 40}}", field=name)
    values = {}
    for year, number in value.items():
        if not str(year).isdigit() or len(str(year)) != 4:
            raise IndicatorError(f"{at}: field {name!r}: {year!r} is not a year", field=name)
        values[int(year)] = _number(number, at, f"{name}.{year}")
    return MappingProxyType(dict(sorted(values.items())))


def _target(item: object, i: int, groups: Sequence[str], at: str) -> Target:
    where = f"targets[{i}]"
    if not isinstance(item, Mapping):
        raise IndicatorError(f"{at}: field {where!r}: expected {{values: {{2030: 40}}, source: ...}} or "
                             "{dataset: ..., column: ..., source: ...}", field=where)
    unknown = [str(k) for k in item if k not in TARGET_FIELDS]
    if unknown:
        raise IndicatorError(f"{at}: field {where!r}: unknown field {', '.join(map(repr, unknown))}; known: "
                             f"{', '.join(TARGET_FIELDS)}", field=f"{where}.{unknown[0]}")
    source = _policy_source(item.get("source"), at, f"{where}.source")
    if ("values" in item) == ("dataset" in item):
        raise IndicatorError(f"{at}: field {where!r}: give either values (per year) or a dataset and column",
                             field=where)
    regions = item.get("regions") or []
    if not isinstance(regions, list):
        regions = [regions]
    codes = tuple(_region(r, at, f"{where}.regions", groups) for r in regions)
    if "values" in item:
        return Target(source, _target_values(item["values"], at, f"{where}.values"), codes)
    return Target(source, regions=codes, dataset=_dataset(item["dataset"], at, f"{where}.dataset"),
                  column=_column(item.get("column"), at, f"{where}.column"),
                  region_column=_column(item["region_column"], at, f"{where}.region_column")
                  if item.get("region_column") else None,
                  period_column=_column(item.get("period_column", "period"), at, f"{where}.period_column"))


def _targets(value: object, groups: Sequence[str], at: str) -> tuple[Target, ...]:
    if value in (None, []):
        return ()
    if not isinstance(value, list):
        raise IndicatorError(f"{at}: field 'targets': expected a list of targets", field="targets")
    return tuple(_target(item, i, groups, at) for i, item in enumerate(value))


# --- one indicator -----------------------------------------------------------------------------------------


def _id(data: Mapping[str, Any], where: str) -> str:
    indicator_id = data.get("id")
    if not isinstance(indicator_id, str) or not DATASET_ID.match(indicator_id) or len(indicator_id) > 90:
        raise IndicatorError(f"{where}: field 'id': {indicator_id!r} is not an indicator id (lower-case letters, "
                             "digits, '-', '_'; starting with a letter or digit)", field="id")
    if indicator_id in RESERVED_IDS:
        raise IndicatorError(f"{where}: field 'id': {indicator_id!r} is reserved; choose another id", field="id")
    return indicator_id


def _theme(value: object, at: str) -> str:
    if not isinstance(value, str) or value.upper() not in vocab.THEMES:
        raise IndicatorError(f"{at}: field 'theme': {value!r} is not a data theme; choose one of "
                             f"{', '.join(vocab.THEMES)}", field="theme")
    return value.upper()


def parse_indicator(data: object, where: str) -> IndicatorSpec:
    """A checked indicator from a mapping (a YAML entry, a request body); errors name `where`, the id and field."""
    if not isinstance(data, Mapping):
        raise IndicatorError(f"{where}: an indicator is a mapping with id, name, source and measure, not "
                             f"{type(data).__name__}")
    indicator_id = _id(data, where)
    at = f"{where}: indicator {indicator_id!r}"
    unknown = [str(k) for k in data if k not in FIELDS]
    if unknown:
        raise IndicatorError(f"{at}: unknown field {', '.join(map(repr, unknown))}; known: {', '.join(FIELDS)}",
                             indicator=indicator_id, field=unknown[0])
    try:
        return _build(data, indicator_id, at)
    except IndicatorError as error:
        raise IndicatorError(error.detail, indicator=indicator_id, **error.extra) from None


def _build(data: Mapping[str, Any], indicator_id: str, at: str) -> IndicatorSpec:
    numerator, denominator, scale = _measure(data, at)
    levels = _levels(data.get("regions"), at)
    groups = _groups(data.get("groups"), levels, at)
    group_codes = [g.code for g in groups]
    province = _region(data.get("province", "PV20"), at, "province")
    change = data.get("change")
    fill = data.get("fill_missing")
    return IndicatorSpec(
        id=indicator_id, name=_texts(data.get("name"), at, "name", required=True),
        definition=_texts(data.get("definition"), at, "definition", required=True),
        unit=_texts(data.get("unit"), at, "unit", required=True), theme=_theme(data.get("theme"), at),
        numerator=numerator, denominator=denominator, scale=scale,
        direction=_choice(data.get("direction"), DIRECTIONS, at, "direction"),
        granularity=_choice(data.get("period", "year"), GRANULARITIES, at, "period"), levels=levels,
        targets=_targets(data.get("targets"), group_codes, at), groups=groups,
        default_region=_region(data.get("default_region", province), at, "default_region", group_codes),
        province=province, statutory_code=str(data["statutory_code"]) if data.get("statutory_code") else None,
        method=_texts(data.get("method"), at, "method"),
        change=None if change is None else _choice(change, CHANGES, at, "change"),
        fill_missing=None if fill is None else _number(fill, at, "fill_missing"),
        decimals=_count(data.get("decimals", 1), at, "decimals", 0, 6),
        trend_periods=_count(data.get("trend_periods", 5), at, "trend_periods", 2, 100),
        raw=MappingProxyType(dict(data)),
    )


# --- the indicators file -----------------------------------------------------------------------------------


def indicators_path(settings: Settings) -> Path:
    return settings.home / INDICATORS_FILE


def load_indicators(path: Path) -> list[IndicatorSpec]:
    """Every indicator declared in the file (none when there is no file); two with one id are refused."""
    if not path.exists():
        return []
    raw = read_yaml(path, IndicatorError)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise IndicatorError(f"{path}: expected a list of indicators (each starting with '- id: ...')")
    specs = [parse_indicator(item, str(path) if _has_id(item) else f"{path}, indicator {i + 1}")
             for i, item in enumerate(raw)]
    refuse_duplicates(specs, str(path))
    return specs


def _has_id(item: object) -> bool:
    return isinstance(item, Mapping) and isinstance(item.get("id"), str)


def refuse_duplicates(specs: Sequence[IndicatorSpec], where: str) -> None:
    seen: set[str] = set()
    for spec in specs:
        if spec.id in seen:
            raise IndicatorError(f"{where}: indicator {spec.id!r} is declared twice", indicator=spec.id)
        seen.add(spec.id)


def save_indicators(path: Path, specs: Sequence[IndicatorSpec]) -> None:
    """Replace the file in one rename, so a reader never sees half of it."""
    refuse_duplicates(specs, str(path))
    text = yaml.safe_dump([dict(s.raw) for s in specs], sort_keys=False, allow_unicode=True, width=110)
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    staged.write_text(text, encoding="utf-8")
    staged.replace(path)


def find_indicator(specs: Sequence[IndicatorSpec], indicator_id: str) -> IndicatorSpec:
    for spec in specs:
        if spec.id == indicator_id:
            return spec
    raise NotFound(f"indicator {indicator_id!r} does not exist")
