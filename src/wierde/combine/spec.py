"""What a view is (id, texts, SQL over dataset ids, pins, engine) and how it is read from and written to YAML.

Inputs are the table names found by parsing the SQL (sqlglot, DuckDB dialect), never by pattern matching, so a
CTE, a subquery alias or a string that looks like a table name is never mistaken for a dataset.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import sqlglot
import yaml
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import traverse_scope

from wierde.catalog.model import DatasetMetadata, MetadataError
from wierde.combine.helpers import HELPERS, helper_calls, helper_problems
from wierde.config import Settings
from wierde.errors import InvalidInput
from wierde.store.repository import DATASET_ID
from wierde.yamlfile import read_yaml

VIEWS_FILE = "views.yaml"
ENGINES = ("duckdb", "spark")
FIELDS = ("id", "title", "description", "sql", "pins", "engine", "publish", "metadata")
# Table functions that make rows without reading anything (a calendar of hours, a list of years).
SAFE_TABLE_FUNCTIONS = (exp.GenerateSeries, exp.Unnest)


class ViewError(InvalidInput):
    """A view that cannot be defined or run as written; the message names the view and what to change."""


@dataclass(frozen=True)
class ViewSpec:
    """One view: `sql` reads datasets by id; `inputs` are those ids, found by parsing the SQL."""

    id: str
    title: Mapping[str, str]
    sql: str
    inputs: tuple[str, ...]
    description: Mapping[str, str] = field(default_factory=dict)
    pins: Mapping[str, int] = field(default_factory=dict)
    engine: str = "duckdb"
    publish: bool = False
    metadata: Mapping[str, Any] = field(default_factory=dict)  # further DCAT-AP-NL fields for the view's dataset

    def version_of(self, dataset_id: str) -> int | None:
        """The pinned version of an input, or None to follow its current version."""
        return self.pins.get(dataset_id)

    def to_mapping(self) -> dict[str, Any]:
        """The YAML form, with defaults left out so the file stays what a steward would write."""
        data: dict[str, Any] = {"id": self.id, "title": dict(self.title)}
        if self.description:
            data["description"] = dict(self.description)
        data["sql"] = self.sql
        if self.pins:
            data["pins"] = dict(self.pins)
        if self.engine != "duckdb":
            data["engine"] = self.engine
        if self.publish:
            data["publish"] = True
        if self.metadata:
            data["metadata"] = dict(self.metadata)
        return data


# --- parsing one view ----------------------------------------------------------------------------------------


def parse_view(data: object, where: str) -> ViewSpec:
    """A checked view from a mapping (a YAML entry, a request body); errors name `where`, the view and the field."""
    if not isinstance(data, Mapping):
        raise ViewError(f"{where}: a view is a mapping with id, title and sql, not {type(data).__name__}")
    view_id = data.get("id")
    if not isinstance(view_id, str) or not DATASET_ID.match(view_id):
        raise ViewError(f"{where}: field 'id': {view_id!r} is not a dataset id (lower-case letters, digits, '-', "
                        "'_'; starting with a letter or digit)", field="id")
    at = f"{where}: view {view_id!r}"
    unknown = [str(k) for k in data if k not in FIELDS]
    if unknown:
        raise ViewError(f"{at}: unknown field {', '.join(map(repr, unknown))}; known: {', '.join(FIELDS)}",
                        view=view_id, field=unknown[0])
    sql = _sql(data.get("sql"), at)
    inputs = check_sql(sql, f"{at}: field 'sql'")
    if view_id in inputs:
        raise ViewError(f"{at}: field 'sql': the view reads itself ({view_id}); a view cannot be its own input",
                        view=view_id, field="sql")
    spec = ViewSpec(
        id=view_id, title=_texts(data.get("title"), at, "title", required=True), sql=sql, inputs=inputs,
        description=_texts(data.get("description"), at, "description"), pins=_pins(data.get("pins"), inputs, at),
        engine=_engine(data.get("engine", "duckdb"), at), publish=_flag(data.get("publish", False), at),
        metadata=_metadata(data.get("metadata"), at),
    )
    return spec


def _sql(value: object, at: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ViewError(f"{at}: field 'sql': the SQL (DuckDB dialect) is required", field="sql")
    return value.strip().rstrip(";").strip()


def _texts(value: object, at: str, name: str, *, required: bool = False) -> Mapping[str, str]:
    """A plain string is Dutch; a mapping is keyed by language (nl, en)."""
    if value is None or value == "":
        if required:
            raise ViewError(f"{at}: field {name!r} is required (a text, or {{nl: ..., en: ...}})", field=name)
        return MappingProxyType({})
    if isinstance(value, str):
        value = {"nl": value}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ViewError(f"{at}: field {name!r}: expected a text or a mapping like {{nl: ..., en: ...}}", field=name)
    texts = {str(lang): text.strip() for lang, text in value.items() if text.strip()}
    if required and not texts:
        raise ViewError(f"{at}: field {name!r} is required (a text, or {{nl: ..., en: ...}})", field=name)
    return MappingProxyType(texts)


def _pins(value: object, inputs: Sequence[str], at: str) -> Mapping[str, int]:
    if value in (None, {}):
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise ViewError(f"{at}: field 'pins': expected a mapping of dataset id to version number", field="pins")
    pins = {}
    for dataset_id, number in value.items():
        if dataset_id not in inputs:
            raise ViewError(f"{at}: field 'pins': {dataset_id!r} is not an input of this view; its inputs are "
                            f"{', '.join(inputs)}", field="pins")
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ViewError(f"{at}: field 'pins': the version of {dataset_id!r} must be a number from 1, "
                            f"not {number!r}", field="pins")
        pins[str(dataset_id)] = number
    return MappingProxyType(pins)


def _engine(value: object, at: str) -> str:
    if value not in ENGINES:
        raise ViewError(f"{at}: field 'engine': {value!r} is not an engine; choose {' or '.join(ENGINES)}",
                        field="engine")
    return str(value)


def _flag(value: object, at: str) -> bool:
    if not isinstance(value, bool):
        raise ViewError(f"{at}: field 'publish': expected true or false, not {value!r}", field="publish")
    return value


def _metadata(value: object, at: str) -> Mapping[str, Any]:
    """Further DCAT-AP-NL fields (themes, licence ...), checked now so a refresh never stores invalid metadata."""
    if value in (None, {}):
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise ViewError(f"{at}: field 'metadata': expected a mapping of DCAT-AP-NL fields", field="metadata")
    clash = [k for k in ("title", "description") if k in value]
    if clash:
        raise ViewError(f"{at}: field 'metadata': give {' and '.join(clash)} as the view's own field(s)",
                        field="metadata")
    try:
        DatasetMetadata.from_mapping({"title": "x", **value}, where=f"{at}: field 'metadata'")
    except MetadataError as error:
        raise ViewError(error.detail, field="metadata") from None
    return MappingProxyType(dict(value))


# --- the SQL -------------------------------------------------------------------------------------------------


def parse_sql(sql: str, where: str = "view") -> exp.Query:
    """One query (SELECT, UNION, FROM-first ...) in DuckDB's dialect; anything else is refused."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except SqlglotError as error:
        raise ViewError(f"{where}: the SQL does not parse: {_first_line(error)}") from None
    if len(statements) != 1:
        raise ViewError(f"{where}: write exactly one SELECT statement, not {len(statements)}")
    tree = statements[0]
    if isinstance(tree, exp.Pivot):
        raise ViewError(f"{where}: write a PIVOT statement as a subquery, selecting everything from (PIVOT ...)")
    if not isinstance(tree, exp.Query):
        raise ViewError(f"{where}: a view is a SELECT query; {tree.key.upper()} statements are not allowed")
    return tree


def check_sql(sql: str, where: str = "view") -> tuple[str, ...]:
    """The dataset ids the SQL reads, after refusing what a view may not do; errors say what to change."""
    tree = parse_sql(sql, where)
    problems = [*_table_problems(tree), *helper_problems(tree), *_unnamed_columns(tree)]
    if problems:
        raise ViewError(f"{where}: {'; '.join(problems)}")
    return input_tables(tree)


def input_tables(sql: str | exp.Expr) -> tuple[str, ...]:
    """The datasets a query reads: its real tables, not CTEs or subqueries, lower-cased as DuckDB matches them."""
    tree = parse_sql(sql) if isinstance(sql, str) else sql
    names = set()
    for scope in traverse_scope(tree):
        for source in scope.sources.values():
            if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
                names.add(source.name.lower())
    # Scopes do not reach into every construct (a PIVOT in a subquery); any other table that no CTE names counts.
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    names.update(t.name.lower() for t in tree.find_all(exp.Table)
                 if isinstance(t.this, exp.Identifier) and t.name.lower() not in ctes)
    return tuple(sorted(names))


def _table_problems(tree: exp.Expr) -> Iterator[str]:
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Func):
            if not isinstance(table.this, SAFE_TABLE_FUNCTIONS):
                yield (f"views read datasets by their id, not files or table functions: "
                       f"{_function_name(table.this)}(...) is not allowed")
        elif table.args.get("db") or table.args.get("catalog"):
            yield f"refer to a dataset by its id alone, not {table.sql(dialect='duckdb')}"
        elif isinstance(table.this, exp.Identifier) and not DATASET_ID.match(table.name.lower()):
            yield f"{table.name!r} is not a dataset id"


def _unnamed_columns(tree: exp.Query) -> Iterator[str]:
    """Every computed column needs a name: it becomes a field of the view's dataset, the same on every engine."""
    for column in tree.selects:
        if not isinstance(column, exp.Alias | exp.Column | exp.Star | exp.Columns):
            yield f"give the computed column {column.sql(dialect='duckdb')} a name: write `... AS name`"


def _function_name(node: exp.Func) -> str:
    return node.name if isinstance(node, exp.Anonymous) else node.sql_name().lower()


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def duckdb_only_features(sql: str) -> list[str]:
    """What in a view only DuckDB runs: spatial functions and types, table functions, DuckDB-only syntax and
    wierde's helpers (which `helpers.expand_helpers` rewrites to plain SQL before another engine sees them)."""
    tree = parse_sql(sql)
    found: set[str] = set()
    for node in tree.find_all(exp.Func):
        name = _function_name(node)
        if name.lower().startswith("st_"):
            found.add(f"spatial function {name.upper()}")
    for kind in tree.find_all(exp.DataType):
        if kind.this in (exp.DataType.Type.GEOMETRY, exp.DataType.Type.GEOGRAPHY):
            found.add(f"spatial type {kind.sql(dialect='duckdb')}")
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Func) and not isinstance(table.this, SAFE_TABLE_FUNCTIONS):
            found.add(f"table function {_function_name(table.this)}")
    if any(tree.find_all(exp.Columns)):
        found.add("COLUMNS(...) expression")
    found.update(f"wierde helper {HELPERS[call.name.lower()].name}" for call in helper_calls(tree))
    return sorted(found)


# --- the views file ------------------------------------------------------------------------------------------


def views_path(settings: Settings) -> Path:
    return settings.home / VIEWS_FILE


def load_views(path: Path) -> list[ViewSpec]:
    """Every view declared in the file (none when there is no file); two views with one id are refused."""
    if not path.exists():
        return []
    raw = read_yaml(path, ViewError)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ViewError(f"{path}: expected a list of views (each starting with '- id: ...')")
    views = [parse_view(item, f"{path}, view {i + 1}" if not _has_id(item) else str(path))
             for i, item in enumerate(raw)]
    _refuse_duplicates(views, str(path))
    return views


def _has_id(item: object) -> bool:
    return isinstance(item, Mapping) and isinstance(item.get("id"), str)


def _refuse_duplicates(views: Sequence[ViewSpec], where: str) -> None:
    seen: set[str] = set()
    for view in views:
        if view.id in seen:
            raise ViewError(f"{where}: view {view.id!r} is declared twice", view=view.id)
        seen.add(view.id)


class _Dumper(yaml.SafeDumper):
    """Writes multi-line SQL as a literal block, so the file stays readable and diffable."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def save_views(path: Path, views: Sequence[ViewSpec]) -> None:
    """Replace the file in one rename, so a reader never sees half of it."""
    _refuse_duplicates(views, str(path))
    text = yaml.dump([v.to_mapping() for v in views], Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=110)
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    staged.write_text(text, encoding="utf-8")
    os.replace(staged, path)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the views file's lock while reading, changing and writing it (CLI and server may both add views)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(f".{path.name}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
