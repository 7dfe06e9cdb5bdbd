"""Turns a data steward's file (CSV, Excel, JSON, geodata, Parquet) into one typed (Geo)Parquet file plus a report."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import duckdb
from duckdb.sqltypes import DuckDBPyType

from wierde.collect.archives import check_archive
from wierde.errors import InvalidInput

FORMATS = ("csv", "xlsx", "json", "ndjson", "geojson", "gpkg", "shapefile", "parquet")
FIELD_TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "year", "geometry")
# What a Frictionless type becomes in DuckDB when the steward asks for it.
DUCK_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "year": "INTEGER",
}
SHOWN_IN_MESSAGE = 5


class IngestError(InvalidInput):
    """Something about the input that the steward has to fix; the message says what and where."""


class FileFormatError(IngestError):
    """The file cannot be read as the format it claims or seems to be."""


class OptionsError(IngestError, ValueError):
    """The read options do not fit the file (an unknown column in `types`, an unknown encoding, ...)."""


@dataclass(frozen=True)
class ReadOptions:
    format: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    layer: str | None = None
    types: Mapping[str, str] = field(default_factory=dict, hash=False)  # a mapping cannot be hashed
    bad_rows: Literal["refuse", "quarantine"] = "refuse"

    def __post_init__(self) -> None:
        if self.format is not None and self.format not in FORMATS:
            raise OptionsError(f"unknown format {self.format!r}; choose one of {', '.join(FORMATS)}")
        if self.bad_rows not in ("refuse", "quarantine"):
            raise OptionsError(f"bad_rows must be 'refuse' or 'quarantine', not {self.bad_rows!r}")
        unknown = {name: kind for name, kind in self.types.items() if kind not in FIELD_TYPES}
        if unknown:
            raise OptionsError(f"unknown types {unknown}; choose from {', '.join(FIELD_TYPES)}")
        # A read-only copy, so a frozen options object cannot change under the reader.
        object.__setattr__(self, "types", MappingProxyType({k.strip(): v for k, v in self.types.items()}))


@dataclass(frozen=True)
class Rejected:
    line: int | None  # 1-based line in the source file (the sheet row for xlsx); None where a format has no lines
    column: str | None
    reason: str
    raw: str | None


@dataclass(frozen=True)
class IngestResult:
    path: Path
    format: str
    row_count: int
    schema: dict[str, Any]
    rejected: tuple[Rejected, ...]
    geometry_columns: tuple[str, ...]
    crs: str | None
    dialect: dict[str, Any]


class RejectedRowsError(IngestError):
    """Raised with bad_rows="refuse" when any row is bad; `.rejected` holds the whole report."""

    def __init__(self, source: Path, rejected: Sequence[Rejected]) -> None:
        self.source = source
        self.rejected = tuple(rejected)
        super().__init__(rejection_message(source, self.rejected), rejected_count=len(self.rejected))


@dataclass(frozen=True)
class Loaded:
    """What a format reader hands back once it has written the Parquet file."""

    format: str
    row_count: int
    rejected: tuple[Rejected, ...]
    dialect: dict[str, Any]


Reader = Callable[[duckdb.DuckDBPyConnection, Path, Path, ReadOptions], Loaded]


def ingest_file(
    con: duckdb.DuckDBPyConnection, source: Path, out: Path, options: ReadOptions | None = None
) -> IngestResult:
    """Read `source`, write one zstd (Geo)Parquet file at `out`, and report what was read and what was refused."""
    options = options or ReadOptions()
    source, out = Path(source), Path(out)
    if not source.is_file():
        raise FileFormatError(f"{source}: no such file")
    if is_empty(source):
        raise FileFormatError(f"{source.name}: the file is empty")
    if zipfile.is_zipfile(source):
        check_archive(source)  # before anything (format detection included) unpacks a member
    kind = options.format or detect_format(source)
    try:
        loaded = reader_for(kind)(con, source, out, options)
        if loaded.rejected and options.bad_rows == "refuse":
            raise RejectedRowsError(source, loaded.rejected)
        schema = table_schema(con, f"SELECT * FROM read_parquet({sql_str(out)})", options.types)  # noqa: S608
    except BaseException:
        out.unlink(missing_ok=True)  # a refused or failed load leaves nothing that could pass for output
        raise
    geometry = tuple(f["name"] for f in schema["fields"] if f["type"] == "geometry")
    crs = next((f.get("crs") for f in schema["fields"] if f["type"] == "geometry"), None)
    return IngestResult(out, loaded.format, loaded.row_count, schema, loaded.rejected, geometry, crs, loaded.dialect)


def is_empty(source: Path) -> bool:
    """No bytes, or nothing but white space (and perhaps a byte order mark)."""
    with source.open("rb") as handle:
        head = handle.read(65537)
    return len(head) <= 65536 and not head.strip(b" \t\r\n\xef\xbb\xbf")


def reader_for(kind: str) -> Reader:
    """The reader for a format. Imported here, not at the top: the reader modules import this module's types."""
    if kind == "csv":
        from wierde.collect.csv_reader import read_csv

        return read_csv
    if kind == "xlsx":
        from wierde.collect.excel import read_xlsx

        return read_xlsx
    if kind in ("json", "ndjson"):
        return read_json
    if kind == "parquet":
        return read_parquet
    if kind in ("geojson", "gpkg", "shapefile"):
        from wierde.collect.geo import read_geo

        return read_geo
    raise FileFormatError(f"unknown format {kind!r}")


EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json",
    ".ndjson": "ndjson", ".jsonl": "ndjson", ".geojson": "geojson", ".gpkg": "gpkg", ".shp": "shapefile",
    ".parquet": "parquet", ".geoparquet": "parquet",
}


def detect_format(source: Path) -> str:
    """The format from the file's first bytes where they are telling (magic numbers, JSON), else its extension."""
    with source.open("rb") as handle:
        head = handle.read(65536)
    suffix = source.suffix.lower()
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith(b"PK"):
        return zip_format(source)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileFormatError(f"{source.name}: an old binary Excel file (.xls); save it as .xlsx")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    looks_json = suffix not in EXTENSIONS and text[:1] in (b"[", b"{")
    if looks_json or EXTENSIONS.get(suffix) in ("json", "ndjson", "geojson"):
        return json_kind(text, suffix)
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    if b"\x00" not in head:
        return "csv"
    raise FileFormatError(f"{source.name}: cannot tell the format; pass ReadOptions(format=...)")


def zip_format(source: Path) -> str:
    """An xlsx workbook or a zipped shapefile: both are zip archives, told apart by what they hold."""
    try:
        with zipfile.ZipFile(source) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise FileFormatError(f"{source.name}: not a readable zip archive ({exc})") from exc
    if "xl/workbook.xml" in names:
        return "xlsx"
    if any(name.lower().endswith(".shp") for name in names):
        return "shapefile"
    raise FileFormatError(f"{source.name}: a zip archive with neither an Excel workbook nor a .shp file in it")


def json_kind(text: bytes, suffix: str) -> str:
    """JSON array, newline-delimited JSON, or GeoJSON, from the first characters of the document."""
    if suffix == ".geojson" or re.search(rb'"type"\s*:\s*"Feature(Collection)?"', text):
        return "geojson"
    if suffix in (".ndjson", ".jsonl"):
        return "ndjson"
    return "json" if text[:1] == b"[" else "ndjson"


def rejection_message(source: Path, rejected: Sequence[Rejected]) -> str:
    """The file, how many rows were refused, and the first few line numbers with their reasons."""
    lines = {r.line for r in rejected}
    count = len(lines) if None not in lines else len(rejected)
    shown = "; ".join(describe(r) for r in rejected[:SHOWN_IN_MESSAGE])
    more = f"; and {len(rejected) - SHOWN_IN_MESSAGE} more" if len(rejected) > SHOWN_IN_MESSAGE else ""
    return f"{source.name}: {count} bad row{'s' if count != 1 else ''} refused: {shown}{more}"


def describe(rejected: Rejected) -> str:
    where = f"line {rejected.line}" if rejected.line is not None else "a row"
    column = f" (column {rejected.column!r})" if rejected.column else ""
    return f"{where}{column}: {rejected.reason}"


# --- SQL text -----------------------------------------------------------------------------------------------


def sql_str(value: str | Path) -> str:
    """A SQL string literal; every value we splice into SQL goes through here or `sql_id`."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_id(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def check_names(names: Iterable[str | None], where: str) -> list[str]:
    """Column names with surrounding whitespace stripped; empty or duplicate names are refused, naming them."""
    stripped = [("" if name is None else str(name)).strip() for name in names]
    empty = [str(i + 1) for i, name in enumerate(stripped) if not name]
    if empty:
        raise FileFormatError(f"{where}: column {', '.join(empty)} has no name; give every column a header")
    seen: dict[str, str] = {}
    duplicates = []
    for name in stripped:
        key = name.casefold()  # DuckDB and most tools treat names that differ only in case as the same column
        if key in seen:
            duplicates.append(f"{seen[key]!r} and {name!r}" if seen[key] != name else repr(name))
        seen[key] = name
    if duplicates:
        raise FileFormatError(f"{where}: duplicate column names {', '.join(duplicates)}; rename them")
    return stripped


def override_types(types: Mapping[str, str], names: Sequence[str], where: str) -> dict[str, str]:
    """The steward's overrides, checked against the columns the file really has."""
    missing = [name for name in types if name not in names]
    if missing:
        raise OptionsError(f"{where}: types names columns that are not in the file: {missing}; it has {list(names)}")
    return dict(types)


# --- writing ------------------------------------------------------------------------------------------------

# Types that Spark (and some other Parquet readers) cannot read, and what they become instead.
SPARK_UNSAFE = {
    "uuid": "VARCHAR", "interval": "VARCHAR", "bit": "VARCHAR", "union": "VARCHAR", "bignum": "VARCHAR",
    "time with time zone": "VARCHAR", "uhugeint": "DOUBLE", "hugeint": "DOUBLE", "timestamp_ns": "TIMESTAMP",
}


def safe_type(kind: DuckDBPyType) -> str | None:
    """The type to cast to so Spark can read the column, or None when it already can."""
    if kind.id in SPARK_UNSAFE:
        return SPARK_UNSAFE[kind.id]
    if kind.id in ("list", "array", "struct", "map"):
        typed = [(name, child) for name, child in kind.children if isinstance(child, DuckDBPyType)]
        children = [(name, child, safe_type(child)) for name, child in typed]
        if all(new is None for _, _, new in children):
            return None
        parts = [(name, new or str(child)) for name, child, new in children]
        if kind.id == "list":
            return f"{parts[0][1]}[]"
        if kind.id == "array":
            return f"{parts[0][1]}[{dict(kind.children)['size']}]"
        if kind.id == "map":
            return f"MAP({parts[0][1]}, {parts[1][1]})"
        return "STRUCT(" + ", ".join(f"{sql_id(name)} {child}" for name, child in parts) + ")"
    return None


def hugeint_target(con: duckdb.DuckDBPyConnection, select_sql: str, column: str) -> str:
    """BIGINT when every value fits, else DOUBLE (what Spark would turn it into anyway)."""
    query = f"SELECT min({sql_id(column)}), max({sql_id(column)}) FROM ({select_sql})"  # noqa: S608
    low, high = con.execute(query).fetchone() or (0, 0)
    fits = all(v is None or -(2**63) <= v < 2**63 for v in (low, high))
    return "BIGINT" if fits else "DOUBLE"


def write_parquet(con: duckdb.DuckDBPyConnection, select_sql: str, out: Path) -> int:
    """COPY a query to zstd Parquet, casting what Spark cannot read; returns the number of rows written."""
    relation = con.sql(select_sql)
    columns = []
    for name, kind in zip(relation.columns, relation.types, strict=True):
        target = safe_type(kind)
        if kind.id == "hugeint":
            target = hugeint_target(con, select_sql, name)
        columns.append(f"CAST({sql_id(name)} AS {target}) AS {sql_id(name)}" if target else sql_id(name))
    final = f"SELECT {', '.join(columns)} FROM ({select_sql})"  # noqa: S608
    row = con.execute(f"COPY ({final}) TO {sql_str(out)} (FORMAT parquet, COMPRESSION zstd)").fetchone()
    return int(row[0]) if row else 0


# --- schema -------------------------------------------------------------------------------------------------

FRICTIONLESS = {
    "varchar": "string", "blob": "string", "boolean": "boolean", "date": "date", "time": "time",
    "timestamp": "datetime", "timestamp with time zone": "datetime", "timestamp_s": "datetime",
    "timestamp_ms": "datetime", "timestamp_ns": "datetime", "float": "number", "double": "number",
    "decimal": "number", "list": "array", "array": "array", "struct": "object", "map": "object",
    "geometry": "geometry", "enum": "string",
}
INTEGERS = (
    "tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint", "uinteger", "ubigint", "uhugeint",
)


def field_for(name: str, kind: DuckDBPyType) -> dict[str, Any]:
    """One Frictionless Table Schema field for a DuckDB column."""
    text = str(kind)
    ftype = "integer" if kind.id in INTEGERS else FRICTIONLESS.get(kind.id, "string")
    if text == "JSON":
        ftype = "object"
    result: dict[str, Any] = {"name": name, "type": ftype}
    if kind.id == "blob":
        result["format"] = "binary"
    if ftype == "geometry":
        match = re.fullmatch(r"GEOMETRY\('(.+)'\)", text)
        result["crs"] = match.group(1) if match else None
    return result


def table_schema(
    con: duckdb.DuckDBPyConnection, select_sql: str, types: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The Frictionless Table Schema of a query's result; `types` marks fields stored wider than they mean (year)."""
    relation = con.sql(select_sql)
    fields = [field_for(name, kind) for name, kind in zip(relation.columns, relation.types, strict=True)]
    for item in fields:
        if (types or {}).get(item["name"]) == "year":
            item["type"] = "year"
    return {"fields": fields}


# --- overrides, applied in SQL -----------------------------------------------------------------------------

# Lenient on purpose: the steward said what the column is, so '007' is a fine integer here (inference is stricter).
INTEGER_TEXT = r"\s*[+-]?[0-9]{1,18}\s*"
YEAR_TEXT = r"\s*[0-9]{4}\s*"
NUMBER_TEXT = {
    ".": r"\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*",
    ",": r"\s*[+-]?([0-9]+(,[0-9]*)?|,[0-9]+)\s*",
}
TRUE_WORDS, FALSE_WORDS = ("true", "1", "ja", "yes"), ("false", "0", "nee", "no")


def text_to(expr: str, target: str, *, decimal: str = ".", fmt: str | None = None) -> str:
    """SQL turning text into the Frictionless `target` type, NULL where a value does not fit."""
    if target == "string":
        return expr
    if target == "integer":
        # A plain cast would round '12.5' to 13 and read '1e3' as 1000; only whole numbers are integers.
        return f"CASE WHEN regexp_full_match({expr}, {sql_str(INTEGER_TEXT)}) THEN TRY_CAST({expr} AS BIGINT) END"
    if target == "year":
        return f"CASE WHEN regexp_full_match({expr}, {sql_str(YEAR_TEXT)}) THEN TRY_CAST({expr} AS INTEGER) END"
    if target == "number":
        value = f"replace({expr}, ',', '.')" if decimal == "," else expr
        pattern = sql_str(NUMBER_TEXT[decimal])
        return f"CASE WHEN regexp_full_match({expr}, {pattern}) THEN TRY_CAST({value} AS DOUBLE) END"
    if target == "boolean":
        words = ", ".join(sql_str(w) for w in TRUE_WORDS + FALSE_WORDS)
        truth = ", ".join(sql_str(w) for w in TRUE_WORDS)
        return f"CASE WHEN lower(trim({expr})) IN ({words}) THEN lower(trim({expr})) IN ({truth}) END"
    if target in ("date", "datetime"):
        if fmt:
            parsed = f"try_strptime(trim({expr}), {sql_str(fmt)})"
            return f"CAST({parsed} AS DATE)" if target == "date" else parsed
        return f"TRY_CAST(trim({expr}) AS {DUCK_TYPES[target]})"
    if target == "geometry":
        return f"coalesce(TRY(ST_GeomFromText({expr})), TRY(ST_GeomFromGeoJSON({expr})))"
    raise OptionsError(f"unknown type {target!r}")


def convert_sql(column: str, source_type: str, target: str) -> str:
    """An expression turning `column` (of DuckDB type `source_type`) into `target`, NULL where it does not fit."""
    col = sql_id(column)
    if source_type.upper() in ("VARCHAR", "JSON"):
        return text_to(col, target)
    if target == "geometry":
        return col if source_type.upper().startswith("GEOMETRY") else f"TRY(ST_GeomFromWKB({col}))"
    return f"TRY_CAST({col} AS {DUCK_TYPES[target]})"


@dataclass(frozen=True)
class Overridden:
    select_sql: str  # the good rows, converted
    rejected: tuple[Rejected, ...]


def apply_overrides(
    con: duckdb.DuckDBPyConnection,
    select_sql: str,
    types: Mapping[str, str],
    *,
    crs: Mapping[str, str] | None = None,
    line_of: Callable[[int], int | None] = lambda _: None,
    unit: str = "row",
    line_column: str | None = None,
) -> Overridden:
    """Cast overridden columns in SQL; rows with a value that does not fit are left out and reported.

    Rows are numbered in file order, or carry their line number in `line_column` (dropped from the output).
    """
    relation = con.sql(select_sql)
    names = [name for name in relation.columns if name != line_column]
    if not types and line_column is None:
        return Overridden(select_sql, ())
    source_types = dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))
    row = sql_id(line_column) if line_column else "__wierde_row"
    numbered = select_sql if line_column else f"SELECT *, row_number() OVER () AS __wierde_row FROM ({select_sql})"  # noqa: S608
    converted = {name: convert_sql(name, source_types[name], kind) for name, kind in types.items()}
    for name, geo_crs in (crs or {}).items():
        converted[name] = f"ST_SetCRS({converted[name]}, {sql_str(geo_crs)})"
    bad = {name: f"({sql_id(name)} IS NOT NULL AND {expr} IS NULL)" for name, expr in converted.items()}
    rejected: tuple[Rejected, ...] = ()
    if bad:
        checks = " UNION ALL ".join(
            f"SELECT {row}, {sql_str(name)}, CAST({sql_id(name)} AS VARCHAR) FROM src WHERE {cond}"  # noqa: S608
            for name, cond in bad.items()
        )
        rows = con.execute(f"WITH src AS ({numbered}) {checks} ORDER BY 1, 2").fetchall()  # noqa: S608
        line = (lambda number: number) if line_column else line_of
        place = "" if line_column else f"{unit} {{}}: "
        rejected = tuple(
            Rejected(line(number), name, f"{place.format(number)}{value!r} is not a valid {types[name]}", value)
            for number, name, value in rows
        )
    outputs = ", ".join(f"{converted[n]} AS {sql_id(n)}" if n in converted else sql_id(n) for n in names)
    keep = " WHERE " + " AND ".join(f"NOT {cond}" for cond in bad.values()) if bad else ""
    return Overridden(f"SELECT {outputs} FROM ({numbered}){keep}", rejected)  # noqa: S608


def rename_stripped(con: duckdb.DuckDBPyConnection, select_sql: str, where: str) -> str:
    """Keep names as the file has them, but without surrounding whitespace; refuse empty or duplicate names."""
    columns = con.sql(select_sql).columns
    names = check_names(columns, where)
    if names == list(columns):
        return select_sql
    outputs = ", ".join(f"{sql_id(old)} AS {sql_id(new)}" for old, new in zip(columns, names, strict=True))
    return f"SELECT {outputs} FROM ({select_sql})"  # noqa: S608


def duck_error(source: Path, exc: duckdb.Error) -> FileFormatError:
    """A DuckDB read error as a steward-facing message: the file, then DuckDB's first line."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return FileFormatError(f"{source.name}: {first}")


# --- JSON and Parquet: DuckDB reads these directly ----------------------------------------------------------


def json_text_columns(con: duckdb.DuckDBPyConnection, select_sql: str) -> str:
    """Columns DuckDB could only type as JSON (mixed values) become text: scalars unquoted, objects as JSON."""
    relation = con.sql(select_sql)
    outputs = []
    for name, kind in zip(relation.columns, relation.types, strict=True):
        col = sql_id(name)
        if str(kind) == "JSON":
            outputs.append(
                f"CASE WHEN json_type({col}) IN ('OBJECT', 'ARRAY') THEN CAST({col} AS VARCHAR) "
                f"ELSE {col} ->> '$' END AS {col}"
            )
        else:
            outputs.append(col)
    return f"SELECT {', '.join(outputs)} FROM ({select_sql})"  # noqa: S608


def ndjson_line_numbers(source: Path) -> Callable[[int], int | None]:
    """Record number → line number, for NDJSON files where blank lines are skipped by the reader."""
    lines: list[int] = []
    with source.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                lines.append(number)
    return lambda record: lines[record - 1] if 0 < record <= len(lines) else None


def read_json(con: duckdb.DuckDBPyConnection, source: Path, out: Path, options: ReadOptions) -> Loaded:
    """A JSON array of objects or NDJSON, typed by DuckDB over all records (not a sample)."""
    kind = options.format or detect_format(source)
    layout = "array" if kind == "json" else "newline_delimited"
    base = f"SELECT * FROM read_json({sql_str(source)}, format={sql_str(layout)}, sample_size=-1)"  # noqa: S608
    try:
        select_sql = json_text_columns(con, rename_stripped(con, base, source.name))
        names = con.sql(select_sql).columns
        types = override_types(options.types, names, source.name)
        line_of = ndjson_line_numbers(source) if layout == "newline_delimited" and types else (lambda _: None)
        unit = "record" if layout == "newline_delimited" else "array element"
        crs = geometry_crs(con, select_sql, types)
        overridden = apply_overrides(con, select_sql, types, crs=crs, line_of=line_of, unit=unit)
        rows = write_parquet(con, overridden.select_sql, out)
    except duckdb.Error as exc:
        raise duck_error(source, exc) from exc
    return Loaded(kind, rows, overridden.rejected, {"format": layout})


def read_parquet(con: duckdb.DuckDBPyConnection, source: Path, out: Path, options: ReadOptions) -> Loaded:
    """Parquet or GeoParquet: kept as it is, apart from names, overrides and the casts Spark needs."""
    base = f"SELECT * FROM read_parquet({sql_str(source)})"  # noqa: S608
    try:
        select_sql = rename_stripped(con, base, source.name)
        types = override_types(options.types, con.sql(select_sql).columns, source.name)
        overridden = apply_overrides(con, select_sql, types, crs=geometry_crs(con, select_sql, types))
        rows = write_parquet(con, overridden.select_sql, out)
    except duckdb.Error as exc:
        raise duck_error(source, exc) from exc
    return Loaded("parquet", rows, overridden.rejected, {})


# --- coordinate systems -------------------------------------------------------------------------------------

# Coordinate ranges that identify a CRS when a source does not say: RD New covers the Netherlands in metres.
RD_BOUNDS = (-7000.0, 289000.0, 300000.0, 629000.0)
LONLAT_BOUNDS = (-180.0, -90.0, 180.0, 90.0)


def guess_crs(bounds: tuple[float | None, ...]) -> str | None:
    """EPSG:28992 or EPSG:4326 when every coordinate falls in that system's range; None when unsure or empty."""
    if any(v is None for v in bounds):
        return None
    xmin, ymin, xmax, ymax = (float(v) for v in bounds if v is not None)
    for crs, (lx, ly, hx, hy) in (("EPSG:4326", LONLAT_BOUNDS), ("EPSG:28992", RD_BOUNDS)):
        if lx <= xmin and xmax <= hx and ly <= ymin and ymax <= hy:
            return crs
    return None


def extent_crs(con: duckdb.DuckDBPyConnection, geometry_sql: str, where: str) -> str:
    """The CRS of geometries that carry none, from their coordinate ranges; refused when they fit neither."""
    box = con.execute(
        f"SELECT min(ST_XMin(g)), min(ST_YMin(g)), max(ST_XMax(g)), max(ST_YMax(g)) FROM ({geometry_sql}) t(g)"  # noqa: S608
    ).fetchone()
    crs = guess_crs(tuple(box) if box else (None,))
    if crs is None:
        raise FileFormatError(
            f"{where}: the geometries say nothing about their coordinate system and their coordinates {box} "
            "are neither longitude/latitude nor RD New (EPSG:28992)"
        )
    return crs


def geometry_crs(con: duckdb.DuckDBPyConnection, select_sql: str, types: Mapping[str, str]) -> dict[str, str]:
    """The CRS for each column the steward declared a geometry, judged from the values that parse."""
    relation = con.sql(select_sql)
    source_types = dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))
    result = {}
    for name, kind in types.items():
        if kind == "geometry" and not source_types[name].upper().startswith("GEOMETRY"):
            expr = convert_sql(name, source_types[name], "geometry")
            result[name] = extent_crs(con, f"SELECT {expr} FROM ({select_sql})", f"column {name!r}")  # noqa: S608
    return result
