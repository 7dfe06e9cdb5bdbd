"""Staff's ad-hoc SQL: one read-only query over the datasets its author may see, with a time and a row limit.

A query passes three locks before it reads a row. sqlglot refuses anything but one SELECT and every file or table
function; DuckDB's own parser (`json_serialize_sql`) checks the same, so the two parsers must agree; and the query
runs on a fresh connection that knows only one view per dataset it names (selecting the columns its author may
read), may open only those datasets' files, and cannot change its settings. The first two matter because the third
alone would let `read_parquet` on an allowed file reach a withheld column.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import shapely
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from wierde.combine.engine import TIME_ZONE, lock_down, needs_spatial
from wierde.combine.helpers import register_helpers
from wierde.combine.spec import SAFE_TABLE_FUNCTIONS, input_tables
from wierde.errors import Forbidden, InvalidInput, NotFound, TooManyRequests
from wierde.protect import access
from wierde.protect.access import Principal
from wierde.publish import datasets as ds
from wierde.publish.export_stream import neutralise
from wierde.sqltext import quote_ident, quote_literal
from wierde.store.duck import connect
from wierde.store.records import DatasetRecord, VersionRecord
from wierde.store.repository import DATASET_ID, Store

MAX_ROWS = 10_000
TIMEOUT_S = 10.0
ERROR_LINES = 6  # DuckDB's message, its hint and its LINE/caret excerpt; the rest repeats the query
# Table functions DuckDB may run here: they make rows without reading anything (sqlglot: spec.SAFE_TABLE_FUNCTIONS).
SAFE_DUCKDB_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
# Query nodes and FROM items of DuckDB's parse tree a query may contain; anything else (SHOW_REF: DESCRIBE or
# SUMMARIZE of a file, and kinds a later DuckDB adds) is refused rather than trusted.
DUCKDB_NODES = frozenset({"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE", "BASE_TABLE", "JOIN",
                          "SUBQUERY", "EXPRESSION_LIST", "EMPTY", "TABLE_FUNCTION"})
PATH_LIKE = re.compile(r"[./\\:]")  # a name DuckDB could take for a file (a replacement scan)
UNKNOWN_LOCATION = 2**64 - 1
MAX_RESULT_BYTES = 64 * 1024**2  # rows are streamed into Python; a few wide text columns must not fill its memory
FETCH_ROWS = 1000
MAX_SPILL = "1GB"  # beside the memory limit, so a huge result fails quickly instead of filling the disk
# Each query may use `duckdb_memory_limit` and MAX_RESULT_BYTES, so a server process runs only a few at once;
# the rest wait a moment, then are told to try again rather than pile up.
MAX_RUNNING = 2
WAIT_S = 5.0
_running = threading.BoundedSemaphore(MAX_RUNNING)


class SqlError(InvalidInput):
    """A query that is refused or fails; the message says where in the SQL (line, column) when that is known."""

    title = "Query refused"


class QueryTimeout(SqlError):
    title = "Query too slow"


class ConsoleBusy(TooManyRequests):
    title = "SQL page busy"


@dataclass(frozen=True)
class Result:
    """The first `max_rows` rows of a query; `truncated` says there were more. Geometries are WKT text."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    truncated: bool
    elapsed: float  # seconds, checks and connection included
    types: tuple[str, ...] = ()  # DuckDB's type of each column
    datasets: tuple[str, ...] = ()  # the datasets the query read


@dataclass(frozen=True)
class Queryable:
    """A dataset as this principal may query it: its current version and the columns they may read."""

    dataset: DatasetRecord
    version: VersionRecord
    columns: tuple[tuple[str, str], ...]  # (name, Table Schema type)


def queryable(store: Store, principal: Principal) -> list[Queryable]:
    """What the SQL page lists: every visible dataset with data, without its withheld columns."""
    current = store.current_versions()
    found = []
    for dataset in access.visible(principal, store.datasets()):
        version = current.get(dataset.id)
        if version is None:
            continue
        hidden = access.hidden_columns(principal, dataset)
        columns = tuple((str(f["name"]), str(f.get("type", ""))) for f in version.fields if f["name"] not in hidden)
        found.append(Queryable(dataset, version, columns))
    return found


def run_readonly(store: Store, principal: Principal, sql: str, *, max_rows: int = MAX_ROWS,
                 timeout_s: float = TIMEOUT_S) -> Result:
    """Run one SELECT as `principal`, refused or stopped with a clear SqlError; reads of non-public data are audited."""
    started = time.perf_counter()
    with _query(store, principal, sql, timeout_s) as (relation, names):
        limited = relation.limit(max_rows + 1)  # one row more than shown tells whether there were more
        rows = _fetch(limited)
        columns, types = unique_names(limited.columns), tuple(str(t) for t in limited.types)
    geometry = [i for i, kind in enumerate(types) if kind.startswith("GEOMETRY")]
    shown = [_wkt(row, geometry) for row in rows[:max_rows]] if geometry else rows[:max_rows]
    return Result(columns=columns, types=types, rows=shown, truncated=len(rows) > max_rows,
                  elapsed=round(time.perf_counter() - started, 3), datasets=names)


def _fetch(relation: duckdb.DuckDBPyRelation) -> list[tuple[Any, ...]]:
    """All rows of the (limited) relation, streamed, refused once they pass MAX_RESULT_BYTES."""
    rows: list[tuple[Any, ...]] = []
    size = 0
    while batch := relation.fetchmany(FETCH_ROWS):
        rows.extend(batch)
        size += sum(_size(value) for row in batch for value in row)
        if size > MAX_RESULT_BYTES:
            raise SqlError(f"the result passed {MAX_RESULT_BYTES // 1024**2} MB after {len(rows):,} rows; select "
                           "fewer or shorter columns, or fewer rows")
    return rows


def _size(value: Any) -> int:
    if isinstance(value, str | bytes | bytearray):
        return len(value)
    if isinstance(value, list | dict | tuple):
        return len(repr(value))
    return 8


def write_parquet(store: Store, principal: Principal, sql: str, out: Path, *, max_rows: int = MAX_ROWS,
                  timeout_s: float = TIMEOUT_S) -> tuple[str, ...]:
    """The same query's first `max_rows` rows as (Geo)Parquet at `out`, written by DuckDB with its own types."""
    out.unlink(missing_ok=True)  # DuckDB writes a `tmp_` file beside an existing one, which it may not
    with _query(store, principal, sql, timeout_s, out=out) as (relation, names):
        relation.limit(max_rows).to_parquet(str(out), compression="zstd")
    return names


# --- checking --------------------------------------------------------------------------------------------------


def parse(sql: str) -> tuple[str, exp.Query]:
    """The SQL without a trailing ';', and its one query; any other statement is refused by name. Leading
    lines stay, so positions in messages match the author's text."""
    text = sql.rstrip().rstrip(";").rstrip()
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except ParseError as error:
        raise SqlError(_parse_error(text, error)) from None
    except SqlglotError as error:
        raise SqlError(f"the SQL does not parse: {str(error).splitlines()[0]}") from None
    if len(statements) != 1:
        raise SqlError(f"write exactly one query (SELECT, or WITH … SELECT), not {len(statements)} statements")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        kind = str(tree.this).split()[0] if isinstance(tree, exp.Command) else tree.key
        raise SqlError(f"only a query (SELECT, or WITH … SELECT) runs here; {kind.upper()} statements are refused: "
                       "this page reads data and changes nothing")
    return text, tree


def _parse_error(sql: str, error: ParseError) -> str:
    first = error.errors[0] if error.errors else {}
    what = str(first.get("description") or str(error).splitlines()[0])
    missing = _MISSING.match(what)  # sqlglot names its own classes; say which clause is incomplete instead
    if missing:
        what = f"{missing.group(1).upper()} is incomplete"
    highlight = str(first.get("highlight") or "")
    near = f" near {highlight!r}" if highlight else ""
    line, column = first.get("line"), first.get("col")
    if isinstance(line, int) and isinstance(column, int):
        column = max(1, column - len(highlight) + 1)  # sqlglot points at the token's end
        return f"line {line}, column {column}: the SQL does not parse{near}: {what}"
    return f"the SQL does not parse{near}: {what}"


_MISSING = re.compile(r"Required keyword: '\w+' missing for <class '[\w.]*\.(\w+)'>")


def check(sql: str, tree: exp.Query) -> tuple[str, ...]:
    """The datasets the query names, after refusing files, table functions and names that are no dataset id."""
    for node in tree.find_all(exp.Table, exp.Lateral):
        function = node.this
        if isinstance(function, exp.Func) and not isinstance(function, SAFE_TABLE_FUNCTIONS):
            raise SqlError(f"{at(sql, node)}files and table functions cannot be read here: "
                           f"{_function_name(function)}(…) is refused; query datasets by their id")
        if isinstance(node, exp.Table) and (node.args.get("db") or node.args.get("catalog")):
            raise SqlError(f"{at(sql, node)}refer to a dataset by its id alone, not {node.sql(dialect='duckdb')}")
    names = input_tables(tree)
    for name in names:
        if not DATASET_ID.match(name):
            raise SqlError(f"{at(sql, _table_named(tree, name))}{name!r} is not a dataset id; files cannot be read "
                           "here, only the datasets listed beside the query")
    return names


def check_with_duckdb(sql: str, names: Iterable[str]) -> None:
    """DuckDB's own parser must find nothing but `names` and CTEs, so no construct sqlglot reads differently
    (a LATERAL function, a quoted file name, a DESCRIBE in a subquery) can open a file."""
    con = connect(extensions=())
    try:
        raw = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()
    finally:
        con.close()
    tree: dict[str, Any] = json.loads(raw[0]) if raw else {"error": True}
    if tree.get("error"):
        raise SqlError("this query cannot be checked, so it does not run here (DuckDB: "
                       f"{tree.get('error_message', 'unknown error')}); write it without PIVOT or other statements")
    if len(tree.get("statements", [])) != 1:
        raise SqlError("write exactly one query (SELECT, or WITH … SELECT)")
    problem = next(_duckdb_problems(tree, frozenset(names)), None)
    if problem:
        message, location = problem
        raise SqlError(f"{_at_byte(sql, location)}{message}")


def _duckdb_problems(tree: Mapping[str, Any], names: frozenset[str]) -> Iterator[tuple[str, int | None]]:
    nodes = [n for n in _walk(tree) if "sample" in n and "class" not in n]  # query nodes and FROM items
    ctes = {str(entry.get("key", "")).lower() for n in _walk(tree) for entry in (n.get("cte_map") or {}).get("map", [])
            if isinstance(entry, Mapping)}
    allowed = names | {c for c in ctes if not PATH_LIKE.search(c)}
    for node in nodes:
        kind, location = node.get("type"), node.get("query_location")
        if kind == "SHOW_REF":
            yield "DESCRIBE, SUMMARIZE and SHOW cannot run here; the page lists each dataset's columns", location
        elif kind not in DUCKDB_NODES:
            yield f"this kind of query part ({kind}) is not allowed here", location
        elif kind == "TABLE_FUNCTION":
            function = node.get("function") or {}
            name = str(function.get("function_name", "?"))
            if name.lower() not in SAFE_DUCKDB_FUNCTIONS or function.get("schema") or function.get("catalog"):
                yield f"files and table functions cannot be read here: {name}(…) is refused", location
        elif kind == "BASE_TABLE":
            name = str(node.get("table_name", ""))
            if node.get("schema_name") or node.get("catalog_name") or name.lower() not in allowed:
                yield f"{name!r} is not a dataset you can query here", location


def _walk(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, Mapping):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def resolve(store: Store, principal: Principal, sql: str, tree: exp.Query,
            names: Sequence[str]) -> dict[str, tuple[VersionRecord, list[str]]]:
    """Each named dataset's current version and the columns `principal` may read, through the one door check
    (`get_dataset`), which also writes reads of non-public data to the audit log with their purpose."""
    found = {}
    for name in names:
        try:
            dataset = ds.get_dataset(store, principal, name)
            version = store.version(name)
        except (NotFound, Forbidden) as error:
            raise type(error)(f"{at(sql, _table_named(tree, name))}{error.detail}", **error.extra) from None
        hidden = access.hidden_columns(principal, dataset)
        readable = [c for c in pq.read_schema(store.path_of(version)).names if c not in hidden]
        if not readable:
            raise SqlError(f"{at(sql, _table_named(tree, name))}dataset {name!r} has no column you may read")
        found[name] = (version, readable)
    return found


# --- running ---------------------------------------------------------------------------------------------------


@contextmanager
def _query(store: Store, principal: Principal, sql: str, timeout_s: float,
           out: Path | None = None) -> Iterator[tuple[duckdb.DuckDBPyRelation, tuple[str, ...]]]:
    """The bound query on its locked connection, interrupted after `timeout_s` seconds (the block included)."""
    text, tree = parse(sql)
    names = check(text, tree)
    check_with_duckdb(text, names)
    tables = resolve(store, principal, text, tree, names)
    if not _running.acquire(timeout=WAIT_S):
        raise ConsoleBusy(f"{MAX_RUNNING} queries are running on this server already; try again in a moment")
    try:
        yield from _run(store, text, tree, names, tables, timeout_s, out)
    finally:
        _running.release()


def _run(store: Store, text: str, tree: exp.Query, names: tuple[str, ...],
         tables: Mapping[str, tuple[VersionRecord, list[str]]], timeout_s: float,
         out: Path | None) -> Iterator[tuple[duckdb.DuckDBPyRelation, tuple[str, ...]]]:
    spill = store.new_tmp_path(suffix="")
    spatial = needs_spatial(text, [store.path_of(version) for version, _columns in tables.values()])
    con = _connection(store, tables, spill, out, spatial=spatial)
    timer = threading.Timer(timeout_s, con.interrupt)
    timer.start()
    try:
        # Bound as written, so DuckDB's errors point into the author's own text; rows come later.
        yield con.sql(text), names
    except duckdb.InterruptException:
        raise QueryTimeout(f"the query ran longer than {timeout_s:g} s and was stopped; filter or aggregate "
                           "sooner, or ask a data steward to save it as a view") from None
    except duckdb.OutOfMemoryException:
        raise SqlError(f"the query needs more memory than this page allows ({store.settings.duckdb_memory_limit}); "
                       "filter or aggregate sooner") from None
    except duckdb.Error as error:
        raise SqlError(_duckdb_message(text, tree, error)) from None
    finally:
        timer.cancel()
        con.close()
        _remove(spill)


def _connection(store: Store, tables: Mapping[str, tuple[VersionRecord, list[str]]], spill: Path, out: Path | None,
                *, spatial: bool) -> duckdb.DuckDBPyConnection:
    spill.mkdir(parents=True, exist_ok=True)
    con = connect(extensions=("spatial",) if spatial else (), memory_limit=store.settings.duckdb_memory_limit,
                  temp_directory=spill)
    try:
        con.execute(f"SET TimeZone = {quote_literal(TIME_ZONE)}")  # as views see their data
        register_helpers(con)
        for name, (version, columns) in tables.items():
            source = f"read_parquet({quote_literal(str(store.path_of(version)))})"
            selected = ", ".join(quote_ident(c) for c in columns)
            con.execute(f"CREATE VIEW {quote_ident(name)} AS SELECT {selected} FROM {source}")  # noqa: S608 - quoted
        files = [store.path_of(version) for version, _columns in tables.values()]
        lock_down(con, [*files, *([out] if out else [])], spill, max_spill=MAX_SPILL)
    except BaseException:
        con.close()
        raise
    return con


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


# --- where in the SQL ------------------------------------------------------------------------------------------


def position(sql: str, offset: int) -> str:
    """'line 2, column 7' for a character offset into the SQL."""
    line_start = sql.rfind("\n", 0, offset) + 1
    return f"line {sql.count(chr(10), 0, offset) + 1}, column {offset - line_start + 1}"


def at(sql: str, node: exp.Expr | None) -> str:
    """'line 1, column 15: ' for the first token sqlglot placed in `node`, or '' when it placed none."""
    starts = [part.meta["start"] for part in (node.walk() if node is not None else ())
              if part.meta and isinstance(part.meta.get("start"), int)]
    return f"{position(sql, min(starts))}: " if starts else ""


def _at_byte(sql: str, location: object) -> str:
    """DuckDB counts UTF-8 bytes; an unknown location is the largest 64-bit number."""
    if not isinstance(location, int) or location == UNKNOWN_LOCATION:
        return ""
    offset = len(sql.encode("utf-8")[:location].decode("utf-8", errors="ignore"))
    return f"{position(sql, offset)}: "


def _table_named(tree: exp.Query, name: str) -> exp.Table | None:
    return next((t for t in tree.find_all(exp.Table) if t.name.lower() == name), None)


def _function_name(node: exp.Func) -> str:
    return node.name if isinstance(node, exp.Anonymous) else node.sql_name().lower()


_NAMED = re.compile(r'(?:Referenced column|Scalar Function with name|Table Function with name) "?([^"!\s]+)')


def _duckdb_message(sql: str, tree: exp.Query, error: duckdb.Error) -> str:
    """DuckDB's first lines; for errors it reports without a LINE excerpt (unknown columns and functions), the
    position of the name it complains about. A withheld column is unknown here, as everywhere else."""
    text = "\n".join(str(error).strip().splitlines()[:ERROR_LINES]) or type(error).__name__
    if isinstance(error, duckdb.PermissionException):
        return "files cannot be read here; query datasets by their id"
    named = _NAMED.search(text)
    if named and "\nLINE " not in text:
        wanted = named.group(1).lower()
        node = next((n for n in tree.find_all(exp.Column, exp.Anonymous, exp.Func)
                     if isinstance(n, exp.Column | exp.Anonymous) and n.name.lower() == wanted), None)
        return f"{at(sql, node)}{text}"
    return text


# --- values ----------------------------------------------------------------------------------------------------


def unique_names(names: Sequence[str]) -> tuple[str, ...]:
    """`a.id, b.id` both come back as `id`: the second becomes `id_1`, as DuckDB names them in Parquet."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 0
        while candidate.lower() in seen:
            n += 1
            candidate = f"{name}_{n}"
        seen.add(candidate.lower())
        out.append(candidate)
    return tuple(out)


def _wkt(row: tuple[Any, ...], positions: Sequence[int]) -> tuple[Any, ...]:
    values = list(row)
    for i in positions:
        if isinstance(values[i], bytes | bytearray):
            values[i] = shapely.from_wkb(bytes(values[i])).wkt
    return tuple(values)


def plain(value: Any) -> Any:
    """A value JSON can carry: times as ISO 8601, exact decimals as numbers, bytes as hex, NaN as null, the rest as
    text."""
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN or infinity
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value)


def json_bytes(result: Result) -> bytes:
    """A JSON array with one object per row, keyed by column name."""
    rows = [dict(zip(result.columns, map(plain, row), strict=True)) for row in result.rows]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def csv_bytes(result: Result) -> bytes:
    """RFC 4180 CSV in UTF-8; text a spreadsheet would run as a formula is neutralised, as in every download."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(name) for name in result.columns])
    for row in result.rows:
        writer.writerow([_csv_cell(value) for value in row])
    return out.getvalue().encode("utf-8")


def _csv_cell(value: Any) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return neutralise(json.dumps(value, ensure_ascii=False))
    return neutralise(value) if isinstance(value, str) else str(value)
