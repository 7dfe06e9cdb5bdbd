"""CSV to Parquet at DuckDB speed: detect encoding and dialect, infer types from a sample, convert in one pass."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

from wierde.collect.files import (
    FileFormatError,
    Loaded,
    OptionsError,
    ReadOptions,
    Rejected,
    check_names,
    duck_error,
    extent_crs,
    override_types,
    sql_id,
    sql_str,
    text_to,
    write_parquet,
)

HEAD_BYTES = 1 << 20
CHUNK_BYTES = 1 << 20
SAMPLE_CELLS = 400_000  # the type sample is sized in cells, so a wide file does not make inference slow
MIN_SAMPLE_ROWS, MAX_SAMPLE_ROWS = 2_000, 20_000
# Tokens passed to DuckDB's error(): a value that breaks an inferred type, or one that breaks a steward's override.
WIDEN = "wierde-widen"
REFUSE = "wierde-refuse"

# --- encodings ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Encoding:
    name: str  # as a steward would write it: utf-8, utf-8-sig, latin-1, cp1252, utf-16, ...
    duckdb: str  # what read_csv is told
    transcode: str | None  # Python codec to transcode with first; None when DuckDB reads the file as it is
    detected: bool


UTF8 = Encoding("utf-8", "utf-8", None, True)
# cp1252 has printable characters (€, ‘, ’, …) where latin-1 has control codes; five bytes are undefined in both
# and stay control codes. Decoding as latin-1 and translating those 27 characters is cp1252 without errors.
CP1252_TABLE = {b: bytes([b]).decode("cp1252") for b in range(0x80, 0xA0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}
C1_BYTES = re.compile(rb"[\x80-\x9f]")
UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def read_head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(HEAD_BYTES)


def any_match(path: Path, pattern: re.Pattern[bytes]) -> bool:
    """Whether `pattern` occurs anywhere in the file, reading it in chunks (overlapping, for multibyte matches)."""
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            if pattern.search(tail + chunk):
                return True
            tail = chunk[-3:]
    return False


def detect_encoding(source: Path, requested: str | None) -> Encoding:
    """UTF-8 (with or without BOM), UTF-16 by its BOM, else cp1252 or latin-1 (judged from the first MiB)."""
    if requested:
        return requested_encoding(source, requested)
    head = read_head(source)
    if head.startswith(codecs.BOM_UTF8):
        return Encoding("utf-8-sig", "utf-8", None, True)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Encoding("utf-16", "utf-8", "utf-16", True)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < HEAD_BYTES)
    except UnicodeDecodeError:
        # Real UTF-8 next to bytes that are not: a mixed file. Reading it as UTF-8 reports the bad rows;
        # reading it as latin-1 would silently garble every accented letter in the good ones.
        return UTF8 if UTF8_MULTIBYTE.search(head) else legacy_encoding(source)
    return UTF8


def legacy_encoding(source: Path) -> Encoding:
    """cp1252 when a byte 0x80-0x9F occurs (only control codes in latin-1), else latin-1, which DuckDB reads itself."""
    if any_match(source, C1_BYTES):
        return Encoding("cp1252", "utf-8", "cp1252", True)
    return Encoding("latin-1", "latin-1", None, True)


def requested_encoding(source: Path, requested: str) -> Encoding:
    try:
        name = codecs.lookup(requested).name
    except LookupError as exc:
        raise OptionsError(f"{source.name}: unknown encoding {requested!r}") from exc
    if name in ("utf-8", "utf-8-sig"):
        return Encoding(name, "utf-8", None, False)
    if name == "iso8859-1" and not any_match(source, C1_BYTES):
        return Encoding("latin-1", "latin-1", None, False)
    return Encoding(name, "utf-8", name, False)


def transcode(source: Path, target: io.BufferedWriter, codec: str) -> None:
    """Stream `source` from `codec` into UTF-8, a chunk at a time (line ends and so line numbers stay the same)."""
    decoder = codecs.getincrementaldecoder("latin-1" if codec == "cp1252" else codec)()
    offset = 0
    with source.open("rb") as handle:
        while True:
            chunk = handle.read(CHUNK_BYTES)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                raise FileFormatError(f"{source.name}: not valid {codec} at byte {offset + exc.start}") from exc
            if codec == "cp1252":
                text = text.translate(CP1252_TABLE)
            target.write(text.encode("utf-8"))
            if not chunk:
                return
            offset += len(chunk)


@contextmanager
def readable(source: Path, encoding: Encoding, folder: Path) -> Iterator[Path]:
    """The file DuckDB can read: the source itself, or a UTF-8 copy beside the output that is removed afterwards."""
    if encoding.transcode is None:
        yield source
        return
    handle, name = tempfile.mkstemp(prefix=f".{source.stem}-", suffix=".utf8.csv", dir=folder)
    copy = Path(name)
    try:
        with os.fdopen(handle, "wb") as target:
            transcode(source, target, encoding.transcode)
        yield copy
    finally:
        copy.unlink(missing_ok=True)


# --- dialect ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    quote: str
    escape: str
    skip: int
    names: tuple[str, ...]

    def python(self) -> dict[str, Any]:
        """The same dialect for Python's csv module (used for the header and to find lines of bad values)."""
        if not self.quote:
            return {"delimiter": self.delimiter, "quoting": csv.QUOTE_NONE, "escapechar": self.escape or None}
        escape = None if self.escape == self.quote else self.escape
        return {"delimiter": self.delimiter, "quotechar": self.quote, "escapechar": escape,
                "doublequote": escape is None, "strict": False}


def sniff_row(con: duckdb.DuckDBPyConnection, args: list[str], source: Path) -> tuple[Any, ...]:
    try:
        row = con.execute(
            f"SELECT Delimiter, Quote, Escape, SkipRows, HasHeader, len(Columns) FROM sniff_csv({', '.join(args)})"  # noqa: S608
        ).fetchone()
    except duckdb.Error as exc:
        raise duck_error(source, exc) from exc
    assert row is not None
    return tuple(row)


def sniff(
    con: duckdb.DuckDBPyConnection, path: Path, source: Path, encoding: Encoding, delimiter: str | None
) -> Dialect:
    """DuckDB's sniffer for delimiter, quoting and header; the names come from the header line as written."""
    if delimiter is not None and len(delimiter) != 1:
        raise OptionsError(f"{source.name}: the delimiter must be one character, not {delimiter!r}")
    args = [sql_str(path), f"encoding={sql_str(encoding.duckdb)}"]
    if delimiter:
        args.append(f"delim={sql_str(delimiter)}")
    try:
        row: tuple[Any, ...] | None = sniff_row(con, args, source)
    except FileFormatError:
        row = None  # bad bytes in the sample, for one; the lenient sniff below looks past them
    if row is None or row[5] == 1:
        # One column often means a few bad rows in the sample put the sniffer off; it can look past them
        # (but then it no longer sees title lines above the header, so the strict answer goes first).
        lenient = sniff_row(con, [*args, "ignore_errors=true"], source)
        layout = None if lenient[5] > 1 else guess_layout(path, encoding, delimiter)
        if layout:
            # Title lines and bad rows together: name the delimiter and the lines to skip, then look past errors.
            lenient = sniff_row(con, [*args[:2], f"delim={sql_str(layout[0])}", f"skip={layout[1]}",
                                      "ignore_errors=true"], source)
        row = lenient if row is None or lenient[5] > 1 else row
    found, quote, escape, skip, has_header, width = row
    if not has_header:
        raise FileFormatError(f"{source.name}: no header row; line {skip + 1} looks like data, not column names")
    if quote == "(empty)":
        # No quote in the sniffer's sample: quoted values further on still need reading, so '"' it is, unless
        # the file does have quotes the sniffer chose to read as plain characters.
        quote = "" if b'"' in read_head(path) else '"'
    escape = quote if escape == "(empty)" else escape
    dialect = Dialect(found, quote, escape, int(skip), ())
    names = header_names(path, source, encoding, dialect)
    if len(names) != width:
        raise FileFormatError(
            f"{source.name}: the header on line {skip + 1} has {len(names)} names but the rows have {width} fields"
        )
    return replace(dialect, names=tuple(names))


def guess_layout(path: Path, encoding: Encoding, delimiter: str | None) -> tuple[str, int] | None:
    """The delimiter that splits most of the first lines into the same number (>1) of fields, and how many lines
    come before the first such line (titles above the header)."""
    text = read_head(path).decode(python_encoding(encoding), errors="replace")
    lines = text.splitlines()[:200][:-1]  # the last line may be cut off
    best: tuple[int, str, int] | None = None
    for candidate in [delimiter] if delimiter else [";", ",", "\t", "|"]:
        counts = [len(next(csv.reader([line], delimiter=candidate), [])) if line.strip() else 0 for line in lines]
        widths = Counter(n for n in counts if n > 1)
        if not widths:
            continue
        width, score = widths.most_common(1)[0]
        if best is None or score > best[0]:
            best = (score, candidate, counts.index(width))
    return (best[1], best[2]) if best else None


def python_encoding(encoding: Encoding) -> str:
    return "latin-1" if encoding.duckdb == "latin-1" else "utf-8-sig"


def header_names(path: Path, source: Path, encoding: Encoding, dialect: Dialect) -> list[str]:
    """The header as written (DuckDB's sniffer renames duplicates and blanks, which we must refuse instead)."""
    text = read_head(path).decode(python_encoding(encoding), errors="replace")
    stream = io.StringIO(text, newline="")
    for _ in range(dialect.skip):
        stream.readline()
    header = next(csv.reader(stream, **dialect.python()), None)
    if not header:
        raise FileFormatError(f"{source.name}: no header row on line {dialect.skip + 1}")
    return check_names(header, f"{source.name}, header on line {dialect.skip + 1}")


def scan_sql(path: Path, encoding: Encoding, dialect: Dialect, types: Mapping[str, str], **extra: str) -> str:
    """read_csv with the dialect fixed (no second sniff) and each column's type given (VARCHAR when SQL types it)."""
    columns = "{" + ", ".join(f"{sql_str(name)}: {sql_str(types.get(name, 'VARCHAR'))}" for name in dialect.names) + "}"
    options = [
        sql_str(path), "auto_detect=false", "header=true", f"delim={sql_str(dialect.delimiter)}",
        f"quote={sql_str(dialect.quote)}", f"escape={sql_str(dialect.escape)}", f"skip={dialect.skip}",
        f"encoding={sql_str(encoding.duckdb)}", f"columns={columns}",
    ]
    options += [f"{key}={value}" for key, value in extra.items()]
    return f"read_csv({', '.join(options)})"


# --- type inference -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    key: str
    ftype: str  # Frictionless type
    pattern: str  # the text must match this fully, so '0123' is no integer and '31-12-24' no date
    convert: str  # SQL on {v}, NULL where the value does not fit
    native: str | None = None  # the type read_csv can parse itself (fast); None when only SQL checks it well enough
    fmt: str | None = None  # strptime format (None: ISO 8601)
    decimal: str | None = None
    exact: bool = False  # every value matching the pattern converts, so one CASE can check and convert

    def attempt(self, v: str) -> str:
        return f"CASE WHEN regexp_full_match({v}, {sql_str(self.pattern)}) THEN {self.convert.format(v=v)} END"

    def guard(self, v: str, token: str) -> str:
        """Convert, and stop the query with `token` at a value outside the type (a cheaper form when exact)."""
        stop = f"WHEN nullif(trim({v}), '') IS NULL THEN NULL ELSE error({sql_str(token)})"
        if self.exact:
            match = f"regexp_full_match({v}, {sql_str(self.pattern)})"
            return f"CASE WHEN {match} THEN {self.convert.format(v=v)} {stop} END"
        return f"coalesce({self.attempt(v)}, CASE {stop} END)"


def strptime_candidate(ftype: str, fmt: str, pattern: str) -> Candidate:
    parsed = f"try_strptime(trim({{v}}), {sql_str(fmt)})"
    convert = f"CAST({parsed} AS DATE)" if ftype == "date" else parsed
    return Candidate(f"{ftype} {fmt}", ftype, pattern, convert, "DATE" if ftype == "date" else "TIMESTAMP", fmt)


D, T = r"[0-9]{1,2}", r"[0-9]{1,2}:[0-9]{2}"
ISO_DATETIME = r"\s*[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
# In order of preference: a column takes the first candidate every sampled value fits.
CANDIDATES = (
    # No leading zeros (codes like '0123' or PC4 '0612' stay text), at most 18 digits (fits BIGINT). Checked in
    # SQL on every value, because read_csv itself would read '0123' as 123 and round '12.5' to 13.
    Candidate("integer", "integer", r"\s*[+-]?(0|[1-9][0-9]{0,17})\s*", "TRY_CAST({v} AS BIGINT)", exact=True),
    Candidate("number.", "number", r"\s*[+-]?((0|[1-9][0-9]{0,14})(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?\s*",
              "TRY_CAST({v} AS DOUBLE)", "DOUBLE", decimal="."),
    Candidate("number,", "number", r"\s*[+-]?((0|[1-9][0-9]{0,14})(,[0-9]*)?|,[0-9]+)\s*",
              "TRY_CAST(replace({v}, ',', '.') AS DOUBLE)", "DOUBLE", decimal=","),
    Candidate("boolean", "boolean", r"\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\s*", "lower(trim({v})) = 'true'",
              "BOOLEAN"),
    Candidate("date", "date", r"\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}\s*", "TRY_CAST(trim({v}) AS DATE)", "DATE"),
    strptime_candidate("date", "%d-%m-%Y", rf"\s*{D}-{D}-[0-9]{{4}}\s*"),
    strptime_candidate("date", "%d/%m/%Y", rf"\s*{D}/{D}/[0-9]{{4}}\s*"),
    strptime_candidate("date", "%d.%m.%Y", rf"\s*{D}\.{D}\.[0-9]{{4}}\s*"),
    Candidate("datetime", "datetime", ISO_DATETIME + r"\s*", "TRY_CAST(trim({v}) AS TIMESTAMP)", "TIMESTAMP"),
    # With an offset or Z the instant is kept (TIMESTAMPTZ), whatever the session's time zone; read_csv's
    # TIMESTAMP would drop the offset, so this one is typed in SQL.
    Candidate("datetime tz", "datetime", ISO_DATETIME + r"([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)\s*",
              "TRY_CAST(trim({v}) AS TIMESTAMPTZ)"),
    strptime_candidate("datetime", "%d-%m-%Y %H:%M:%S", rf"\s*{D}-{D}-[0-9]{{4}} {T}:[0-9]{{2}}\s*"),
    strptime_candidate("datetime", "%d-%m-%Y %H:%M", rf"\s*{D}-{D}-[0-9]{{4}} {T}\s*"),
    strptime_candidate("datetime", "%d/%m/%Y %H:%M:%S", rf"\s*{D}/{D}/[0-9]{{4}} {T}:[0-9]{{2}}\s*"),
    strptime_candidate("datetime", "%d/%m/%Y %H:%M", rf"\s*{D}/{D}/[0-9]{{4}} {T}\s*"),
)


@dataclass(frozen=True)
class Stats:
    filled: int  # distinct values that are not blank
    commas: int
    dots: int
    padded: int  # values with spaces around them, which read_csv's own DATE, BOOLEAN, ... parsing refuses
    fits: dict[str, int]  # candidate key -> distinct values that fit it


NO_VALUES = Stats(0, 0, 0, 0, {c.key: 0 for c in CANDIDATES})


def column_stats(con: duckdb.DuckDBPyConnection, source_sql: str) -> dict[str, Stats]:
    """For each column, how many of its distinct values fit each candidate type, in one query.

    Distinct values, because a type holds when all values fit; most columns repeat values a lot.
    """
    counts = ", ".join(f"count({c.attempt('value')})" for c in CANDIDATES)
    rows = con.execute(
        f"""SELECT name, count(*), count_if(contains(value, ',')), count_if(contains(value, '.')),
               count_if(value != trim(value)), {counts}
        FROM (SELECT DISTINCT name, value FROM (UNPIVOT ({source_sql}) ON COLUMNS(*) INTO NAME name VALUE value)
              WHERE nullif(trim(value), '') IS NOT NULL)
        GROUP BY name"""  # noqa: S608
    ).fetchall()
    keys = [c.key for c in CANDIDATES]
    return {row[0]: Stats(row[1], row[2], row[3], row[4], dict(zip(keys, row[5:], strict=True))) for row in rows}


def file_decimal(stats: Mapping[str, Stats], delimiter: str) -> str:
    """One decimal separator per file: a comma when more columns read as comma-decimals than as point-decimals."""
    if delimiter == ",":
        return "."
    commas = sum(1 for s in stats.values() if s.commas and s.fits["number,"] == s.filled)
    dots = sum(1 for s in stats.values() if s.dots and s.fits["number."] == s.filled)
    return "," if commas > dots else "."


def infer(stats: Stats, decimal: str) -> Candidate | None:
    """The first candidate every value fits; None (text) for empty columns and anything else."""
    if not stats.filled:
        return None
    for candidate in CANDIDATES:
        if candidate.decimal not in (None, decimal):
            continue  # in a file with decimal commas, '1.234' is no number (it may be a thousands separator)
        if stats.fits[candidate.key] == stats.filled:
            return candidate
    return None


def override_candidate(ftype: str, stats: Stats, decimal: str) -> Candidate | None:
    """For an overridden number or date column, the decimal separator or date order its values use."""
    if ftype == "number":
        if stats.fits["number,"] != stats.fits["number."]:
            decimal = "," if stats.fits["number,"] > stats.fits["number."] else "."
        return next(c for c in CANDIDATES if c.decimal == decimal)
    if ftype in ("date", "datetime"):
        kinds = ("date",) if ftype == "date" else ("date", "datetime")
        best = max((c for c in CANDIDATES if c.ftype in kinds and c.native), key=lambda c: stats.fits[c.key])
        if not stats.fits[best.key]:
            return None
        # Dates read as datetimes: read_csv would make them DATE, so SQL converts them (to midnight).
        return replace(best, native=None) if best.ftype != ftype else best
    return None


# --- the plan: what read_csv types itself, and what SQL converts --------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    ftype: str
    override: bool
    native: str = "VARCHAR"  # the type read_csv produces
    convert: str | None = None  # SQL from text to ftype, NULL where it does not fit; None when read_csv types it
    fmt: str | None = None  # shown in the dialect: date format, CRS of a geometry
    guarded: str | None = None  # SQL that converts and stops at a surprise (inferred columns typed in SQL)

    @property
    def v(self) -> str:
        return sql_id(self.name)

    def bad(self) -> str:
        return f"(nullif(trim({self.v}), '') IS NOT NULL AND {self.convert} IS NULL)"

    def output(self, filtered: bool) -> str:
        """The column's SQL. A value outside an inferred type stops the query with a recognisable error, and so
        does one outside an override, unless rows with such values are `filtered` out already."""
        if self.convert is None:
            return self.v
        if self.guarded is not None:
            return f"{self.guarded} AS {self.v}"
        if filtered:
            return f"{self.convert} AS {self.v}"
        token = sql_str(f"{REFUSE}:{self.name}")
        stop = f"CASE WHEN nullif(trim({self.v}), '') IS NULL THEN NULL ELSE error({token}) END"
        return f"coalesce({self.convert}, {stop}) AS {self.v}"


@dataclass(frozen=True)
class Plan:
    columns: tuple[Column, ...]
    options: dict[str, str]  # read_csv's dateformat, timestampformat, decimal_separator

    @property
    def natives(self) -> dict[str, str]:
        return {c.name: c.native for c in self.columns}


def shared_format(wants: Mapping[str, Candidate | None], native: str) -> str | None:
    """read_csv takes one date and one timestamp format per file: the one most columns use (ISO is None)."""
    fmts = Counter(c.fmt or "" for c in wants.values() if c is not None and c.native == native)
    return (fmts.most_common(1)[0][0] or None) if fmts else None


def column_for(
    name: str, ftype: str, want: Candidate | None, override: bool, options: Mapping[str, str], native: bool
) -> Column:
    """read_csv types the column when it can do so exactly (and `native` allows it); otherwise SQL does, from text."""
    if ftype == "string":
        return Column(name, ftype, override)
    shown = (want.fmt if want and want.fmt else "ISO 8601") if ftype in ("date", "datetime") else None
    if native and want is not None and want.native and matches_reader(want, options):
        return Column(name, ftype, override, want.native, None, shown)
    if override:
        decimal = want.decimal if want and want.decimal else "."
        convert = text_to(sql_id(name), ftype, decimal=decimal, fmt=want.fmt if want else None)
        return Column(name, ftype, True, convert=convert, fmt=shown)
    assert want is not None
    v = sql_id(name)
    return Column(name, ftype, False, convert=want.attempt(v), fmt=shown, guarded=want.guard(v, f"{WIDEN}:{name}"))


def matches_reader(want: Candidate, options: Mapping[str, str]) -> bool:
    if want.native == "DATE":
        return want.fmt == options.get("dateformat")
    if want.native == "TIMESTAMP":
        return want.fmt == options.get("timestampformat")
    if want.native == "DOUBLE":
        return want.decimal == options.get("decimal_separator", ".")
    return True


def plan(
    names: Sequence[str], stats: Mapping[str, Stats], types: Mapping[str, str], decimal: str, text_only: set[str]
) -> Plan:
    """Every column's type: the steward's where given, else the first candidate its values all fit.

    Columns in `text_only` (read_csv's parser refused a value SQL accepts) and columns with padded values are
    read as text and converted in SQL.
    """
    wants: dict[str, Candidate | None] = {}
    ftypes: dict[str, str] = {}
    for name in names:
        column_stats_ = stats.get(name, NO_VALUES)
        if name in types:
            ftypes[name] = types[name]
            wants[name] = override_candidate(types[name], column_stats_, decimal)
            if types[name] in ("integer", "year"):
                wants[name] = None  # read_csv would round '12.5'; the SQL check refuses it instead
        else:
            wants[name] = infer(column_stats_, decimal)
            ftypes[name] = wants[name].ftype if wants[name] else "string"  # type: ignore[union-attr]
    options = {"decimal_separator": decimal}
    for native, option in (("DATE", "dateformat"), ("TIMESTAMP", "timestampformat")):
        fmt = shared_format(wants, native)
        if fmt:
            options[option] = fmt
    typed_by_reader = {n: n not in text_only and not stats.get(n, NO_VALUES).padded for n in names}
    columns = tuple(column_for(n, ftypes[n], wants[n], n in types, options, typed_by_reader[n]) for n in names)
    return Plan(columns, options)


def with_geometry_crs(con: duckdb.DuckDBPyConnection, found: Plan, sample_sql: str, where: str) -> Plan:
    """A text column declared geometry has no CRS of its own; RD New or lon/lat is told from sampled coordinates."""
    columns = []
    for column in found.columns:
        if column.ftype == "geometry":
            geometry = f"SELECT {column.convert} FROM ({sample_sql})"  # noqa: S608
            crs = extent_crs(con, geometry, f"{where}, column {column.name!r}")
            column = replace(column, convert=f"ST_SetCRS({column.convert}, {sql_str(crs)})", fmt=crs)
        columns.append(column)
    return replace(found, columns=tuple(columns))


def select_sql(scan: str, columns: Sequence[Column], *, filtered: bool) -> str:
    """One pass that stops on a surprise; `filtered` leaves out the rows with a value outside its override."""
    outputs = ", ".join(c.output(filtered) for c in columns)
    where = " AND ".join(f"NOT {c.bad()}" for c in columns if c.override and c.convert) if filtered else ""
    return f"SELECT {outputs} FROM {scan}" + (f" WHERE {where}" if where else "")  # noqa: S608


# --- reading ------------------------------------------------------------------------------------------------


@dataclass
class Context:
    """One CSV read in progress: where it is, how to read it, and the reject tables DuckDB fills."""

    con: duckdb.DuckDBPyConnection
    source: Path
    path: Path  # the file DuckDB reads (a UTF-8 copy for some encodings)
    encoding: Encoding
    dialect: Dialect
    tables: list[str]

    def scan(self, found: Plan | None = None) -> str:
        """All text and skipping bad rows (for inference), or typed by `found` with bad rows in fresh tables."""
        if found is None:
            return scan_sql(self.path, self.encoding, self.dialect, {}, ignore_errors="true")
        errors, scans = (f"wierde_{kind}_{uuid.uuid4().hex[:12]}" for kind in ("rejects", "scans"))
        self.tables += [errors, scans]
        options = {key: sql_str(value) for key, value in found.options.items()}
        return scan_sql(self.path, self.encoding, self.dialect, found.natives, store_rejects="true",
                        rejects_table=sql_str(errors), rejects_scan=sql_str(scans), **options)

    def drop_tables(self) -> None:
        for table in self.tables:
            self.con.execute(f"DROP TABLE IF EXISTS {sql_id(table)}")


CONVERT_MESSAGE = re.compile(r'Could not convert string "(.*)" to')


@dataclass(frozen=True)
class ReaderRejects:
    rejected: list[Rejected]
    surprises: set[str]  # inferred columns with a value read_csv could not parse: infer those again
    bad_bytes: bool  # bytes that are not in the encoding: maybe the encoding was guessed wrong


def physical_lines(path: Path, offsets: Sequence[int]) -> dict[int, int]:
    """Byte offset → 1-based line number, counting newlines in one pass over the file.

    DuckDB's own `line` counts records, so a quoted value spanning lines would shift every later number.
    """
    lines: dict[int, int] = {}
    pending = sorted(set(offsets))
    next_, newlines, start = 0, 0, 0
    with path.open("rb") as handle:
        while next_ < len(pending) and (chunk := handle.read(CHUNK_BYTES)):
            while next_ < len(pending) and pending[next_] < start + len(chunk):
                offset = pending[next_]
                lines[offset] = newlines + chunk[: offset - start].count(b"\n") + 1
                next_ += 1
            newlines += chunk.count(b"\n")
            start += len(chunk)
    for offset in pending[next_:]:
        lines[offset] = newlines + 1
    return lines


def reader_rejects(ctx: Context, found: Plan) -> ReaderRejects:
    """Rows DuckDB's reader set aside: wrong field count, bad bytes, or a value its typed columns cannot parse."""
    rows = ctx.con.execute(
        "SELECT line_byte_position, column_name, error_type, error_message, csv_line "  # noqa: S608
        f"FROM {sql_id(ctx.tables[-2])} ORDER BY line, column_idx"
    ).fetchall()
    lines = physical_lines(ctx.path, [row[0] for row in rows]) if rows else {}
    kinds = {c.name: c for c in found.columns}
    rejected, surprises = [], set()
    for offset, name, kind, message, raw in rows:
        if kind == "CAST" and name in kinds:
            if not kinds[name].override:
                surprises.add(name)
                continue
            value = CONVERT_MESSAGE.search(message)
            reason = f"{value.group(1)!r} is not a valid {kinds[name].ftype}" if value else message
            rejected.append(Rejected(lines[offset], name, reason, raw))
        else:
            rejected.append(Rejected(lines[offset], None, f"{kind.lower()}: {message}", raw))
    return ReaderRejects(rejected, surprises, any(kind == "INVALID ENCODING" for _, _, kind, _, _ in rows))


def bad_values(ctx: Context, found: Plan) -> dict[str, set[str]]:
    """The distinct values that break an override SQL checks, in one pass (which also fills fresh reject tables)."""
    checks = [c for c in found.columns if c.override and c.convert]
    scan = ctx.scan(found)
    parts = " UNION ALL ".join(
        f"SELECT {sql_str(c.name)} AS name, {c.v} AS value FROM src WHERE {c.bad()}"  # noqa: S608
        for c in checks
    )
    query = f"WITH src AS (SELECT * FROM {scan}) SELECT DISTINCT name, value FROM ({parts})"  # noqa: S608
    found_values: dict[str, set[str]] = {}
    for name, value in ctx.con.execute(query).fetchall():
        found_values.setdefault(name, set()).add(value)
    return found_values


def locate(ctx: Context, found: Mapping[str, set[str]], columns: Sequence[Column]) -> list[Rejected]:
    """Line numbers of records holding a bad value. Only runs when there are some, so speed matters less here."""
    names = ctx.dialect.names
    index = {names.index(name): name for name in found}
    kinds = {c.name: c.ftype for c in columns}
    rejected, seen = [], set()
    with ctx.path.open(encoding=python_encoding(ctx.encoding), newline="") as handle:
        for _ in range(ctx.dialect.skip):
            handle.readline()
        reader = csv.reader(handle, **ctx.dialect.python())
        next(reader, None)
        last = reader.line_num
        for record in reader:
            first, last = ctx.dialect.skip + last + 1, reader.line_num
            if len(record) != len(names):
                continue  # DuckDB reports this row itself, as a structural error
            for i, name in index.items():
                if record[i] in found[name]:
                    seen.add((name, record[i]))
                    reason = f"{record[i]!r} is not a valid {kinds[name]}"
                    rejected.append(Rejected(first, name, reason, ctx.dialect.delimiter.join(record)))
    # Should Python's csv module split a record differently from DuckDB, the row is still reported, lineless.
    for name, values in found.items():
        for value in sorted(values - {v for n, v in seen if n == name}):
            rejected.append(Rejected(None, name, f"{value!r} is not a valid {kinds[name]} (line not found)", None))
    return rejected


def sample_size(names: Sequence[str]) -> int:
    return max(MIN_SAMPLE_ROWS, min(MAX_SAMPLE_ROWS, SAMPLE_CELLS // max(1, len(names))))


def restats(ctx: Context, stats: dict[str, Stats], found: Plan) -> dict[str, Stats]:
    """A value outside an inferred type appeared past the sample: count the inferred columns over the whole file."""
    guessed = [c.name for c in found.columns if not c.override and c.ftype != "string"]
    columns = ", ".join(sql_id(name) for name in guessed)
    whole = column_stats(ctx.con, f"SELECT {columns} FROM {ctx.scan()}")  # noqa: S608
    return {**stats, **{name: whole.get(name, NO_VALUES) for name in guessed}}


@dataclass(frozen=True)
class Written:
    rows: int
    plan: Plan
    rejected: list[Rejected]
    bad_bytes: bool


def write(
    ctx: Context, stats: dict[str, Stats], make_plan: Callable[[dict[str, Stats], set[str]], Plan], out: Path,
    options: ReadOptions,
) -> Written:
    """One typed pass as a rule; slower paths when a value surprises the inferred types or breaks an override."""
    text_only: set[str] = set()
    found, bad = make_plan(stats, text_only), None
    for _ in range(6):  # each slow path happens at most once; usually the first pass is the only one
        try:
            rows = write_parquet(ctx.con, select_sql(ctx.scan(found), found.columns, filtered=bad is not None), out)
        except duckdb.Error as exc:
            message = str(exc)
            if WIDEN in message:
                stats = restats(ctx, stats, found)
                found = make_plan(stats, text_only)
                continue
            if REFUSE in message and bad is None:
                bad = locate(ctx, bad_values(ctx, found), found.columns)
                if options.bad_rows == "refuse":
                    out.unlink(missing_ok=True)
                    reader = reader_rejects(ctx, found)
                    return Written(0, found, reader.rejected + bad, reader.bad_bytes)
                continue
            raise duck_error(ctx.source, exc) from exc
        reader = reader_rejects(ctx, found)
        if reader.surprises:
            # read_csv refused a value: count over the whole file, and from now on let SQL (which the counts
            # use) do the converting for those columns, so the two cannot disagree again.
            text_only |= reader.surprises
            stats = restats(ctx, stats, found)
            found = make_plan(stats, text_only)
            continue
        return Written(rows, found, reader.rejected + (bad or []), reader.bad_bytes)
    raise FileFormatError(f"{ctx.source.name}: the column types did not settle; set them with ReadOptions(types=...)")


def describe_dialect(ctx: Context, found: Plan, sample_rows: int) -> dict[str, Any]:
    return {
        "encoding": ctx.encoding.name, "encoding_detected": ctx.encoding.detected,
        "delimiter": ctx.dialect.delimiter, "quote": ctx.dialect.quote, "escape": ctx.dialect.escape,
        "header": True, "header_line": ctx.dialect.skip + 1,
        "decimal_separator": found.options["decimal_separator"],
        "date_format": found.options.get("dateformat"), "datetime_format": found.options.get("timestampformat"),
        "formats": {c.name: c.fmt for c in found.columns if c.fmt}, "sample_rows": sample_rows,
    }


def load(
    con: duckdb.DuckDBPyConnection, source: Path, out: Path, options: ReadOptions, encoding: Encoding
) -> tuple[Loaded, bool]:
    """One attempt with one encoding; also says whether DuckDB met bytes that are not in that encoding."""
    with readable(source, encoding, out.parent) as path:
        dialect = sniff(con, path, source, encoding, options.delimiter)
        ctx = Context(con, source, path, encoding, dialect, [])
        try:
            names = list(dialect.names)
            types = override_types(options.types, names, source.name)
            rows = sample_size(names)
            sample = f"SELECT * FROM {ctx.scan()} LIMIT {rows}"  # noqa: S608
            stats = column_stats(con, sample)
            decimal = file_decimal(stats, dialect.delimiter)

            def make_plan(counted: dict[str, Stats], text_only: set[str]) -> Plan:
                return with_geometry_crs(con, plan(names, counted, types, decimal, text_only), sample, source.name)

            written = write(ctx, stats, make_plan, out, options)
        finally:
            ctx.drop_tables()
    rejected = tuple(sorted(written.rejected, key=lambda r: (r.line or 0, r.column or "")))
    return Loaded("csv", written.rows, rejected, describe_dialect(ctx, written.plan, rows)), written.bad_bytes


def read_csv(con: duckdb.DuckDBPyConnection, source: Path, out: Path, options: ReadOptions) -> Loaded:
    """A CSV file as typed Parquet, falling back to cp1252/latin-1 when UTF-8 turns out wrong past the first MiB."""
    encoding = detect_encoding(source, options.encoding)
    loaded, bad_bytes = load(con, source, out, options, encoding)
    if bad_bytes and encoding == UTF8 and not any_match(source, UTF8_MULTIBYTE):
        loaded, _ = load(con, source, out, options, legacy_encoding(source))
    return loaded
