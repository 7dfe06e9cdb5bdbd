"""Engines run a view's SQL over exact input versions and write one Parquet file: DuckDB here, others by name.

`DuckEngine` opens a fresh connection per run, so one view cannot see another's tables or settings, and locks it
down before the view's SQL runs: only the input files and the output file are reachable from SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow.parquet as pq
from sqlglot import exp

from wierde.collect.files import safe_type
from wierde.combine.helpers import register_helpers
from wierde.combine.spec import ViewError, duckdb_only_features, parse_sql
from wierde.config import Settings
from wierde.sqltext import quote_ident, quote_literal
from wierde.store.duck import connect

# Periods and dates are cut in the province's own time zone, whatever the server's clock is set to.
TIME_ZONE = "Europe/Amsterdam"


class Engine(Protocol):
    """Runs view SQL (DuckDB dialect) with `tables` (name → Parquet file) and writes the result to `out`."""

    name: str

    def run(self, sql: str, tables: Mapping[str, Path], out: Path) -> int: ...


class DuckEngine:
    """The default engine: DuckDB in-process, with wierde's helper macros."""

    name = "duckdb"

    def __init__(self, *, memory_limit: str | None = None, threads: int | None = None,
                 temp_directory: Path | None = None) -> None:
        self.memory_limit = memory_limit
        self.threads = threads
        self.temp_directory = temp_directory

    def run(self, sql: str, tables: Mapping[str, Path], out: Path) -> int:
        spatial = needs_spatial(sql, tables.values())
        con = connect(extensions=("spatial",) if spatial else (), memory_limit=self.memory_limit,
                      threads=self.threads, temp_directory=self.temp_directory)
        try:
            con.execute(f"SET TimeZone = {quote_literal(TIME_ZONE)}")
            con.execute("SET enable_progress_bar = false")  # a refresh is not an interactive query
            register_helpers(con)
            for name, path in tables.items():
                source = f"read_parquet({quote_literal(str(path))})"
                con.execute(f"CREATE VIEW {quote_ident(name)} AS SELECT * FROM {source}")  # noqa: S608 - quoted
            lock_down(con, [*tables.values(), out], self.temp_directory)
            return write_result(con, stable_order(sql), out)
        finally:
            con.close()


def lock_down(con: duckdb.DuckDBPyConnection, files: Sequence[Path], spill: Path | None, *,
              max_spill: str | None = None) -> None:
    """From here on SQL reaches only these files and the spill folder, no Python object, and cannot change that.
    Views and the SQL page both run their SQL on connections locked this way."""
    con.execute("SET python_enable_replacements = false")  # else `FROM name` finds a local variable of that name
    con.execute(f"SET allowed_paths = [{', '.join(quote_literal(str(f)) for f in files)}]")
    if spill is not None:
        spill.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET allowed_directories = [{quote_literal(str(spill))}]")
    if max_spill is not None:
        con.execute(f"SET max_temp_directory_size = {quote_literal(max_spill)}")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def needs_spatial(sql: str, files: Iterable[Path]) -> bool:
    """Load the spatial extension (a third of a second) only for spatial SQL or inputs with geometry columns."""
    if any(feature.startswith("spatial") for feature in duckdb_only_features(sql)):
        return True
    return any(has_geometry(path) for path in files)


def has_geometry(path: Path) -> bool:
    """GeoParquet says so in its footer; reading the footer costs nothing next to loading spatial."""
    return b"geo" in (pq.read_schema(path).metadata or {})


# Operators whose output order DuckDB does not keep from run to run (hash tables, parallel merges).
UNORDERED = (exp.Join, exp.Group, exp.AggFunc, exp.Distinct, exp.SetOperation, exp.Window, exp.Pivot, exp.Unnest)


def stable_order(sql: str) -> str:
    """The query, sorted by all its columns when nothing else fixes the order of its rows.

    DuckDB keeps the order of scans, filters and projections (`preserve_insertion_order`), but joins and
    aggregates return rows in a different order on every run. Sorted, the same inputs give a byte-identical
    file, so a refresh that changes nothing makes no new version; plain selections skip the sort's cost.
    """
    tree = parse_sql(sql)
    nested = any(select is not tree for select in tree.find_all(exp.Select))  # IN (SELECT ...) is a join too
    if tree.args.get("order") or not (nested or any(tree.find_all(*UNORDERED))):
        return sql
    return f"SELECT * FROM ({sql}) ORDER BY ALL"  # noqa: S608 - the view's own SQL


def write_result(con: duckdb.DuckDBPyConnection, sql: str, out: Path) -> int:
    """COPY the query to zstd Parquet in one pass, with the types every engine reads (see collect.files)."""
    relation = con.sql(sql)
    refuse_duplicate_columns(relation.columns)
    casts = {name: safe_type(kind) for name, kind in zip(relation.columns, relation.types, strict=True)}
    # sum() of integers is HUGEINT: keep it a BIGINT, which it nearly always fits; if not, DOUBLE, as Spark would.
    huge = [name for name, kind in zip(relation.columns, relation.types, strict=True) if kind.id == "hugeint"]
    try:
        return _copy(con, sql, out, {**casts, **dict.fromkeys(huge, "BIGINT")})
    except duckdb.ConversionException:
        return _copy(con, sql, out, casts)


def refuse_duplicate_columns(columns: Sequence[str]) -> None:
    """A dataset's fields have distinct names (DuckDB matches them without regard to case)."""
    seen: set[str] = set()
    twice: list[str] = []
    for name in columns:
        if name.casefold() in seen:
            twice.append(name)
        seen.add(name.casefold())
    if twice:
        raise ViewError(f"the result has more than one column named {', '.join(map(repr, twice))}; "
                        "name each column once (`... AS other_name`)", columns=twice)


def _copy(con: duckdb.DuckDBPyConnection, sql: str, out: Path, casts: Mapping[str, str | None]) -> int:
    columns = [f"CAST({quote_ident(name)} AS {target}) AS {quote_ident(name)}" if target else quote_ident(name)
               for name, target in casts.items()]
    query = f"SELECT {', '.join(columns)} FROM ({sql})"  # noqa: S608 - the view's own SQL, names quoted
    # Over an existing file DuckDB writes a `tmp_` file beside it first, which the locked connection may not.
    out.unlink(missing_ok=True)
    row = con.execute(f"COPY ({query}) TO {quote_literal(str(out))} (FORMAT parquet, COMPRESSION zstd)").fetchone()
    return int(row[0]) if row else 0


def engine_for(name: str, settings: Settings) -> Engine:
    """The engine called `name`, configured for this instance; Spark is imported only when a view asks for it."""
    if name == "duckdb":
        return DuckEngine(memory_limit=settings.duckdb_memory_limit, temp_directory=settings.tmp_dir / "duckdb")
    if name == "spark":
        try:
            from wierde.combine.spark_engine import SparkEngine
        except ImportError as error:
            raise ViewError(f"the spark engine is not available here: {error}") from None
        engine: Engine = SparkEngine(settings.spark_master)
        return engine
    raise ViewError(f"unknown engine {name!r}; choose duckdb or spark")
