"""Excel sheets to Parquet: streamed with openpyxl (read-only), typed from the cells, bad rows by sheet row number."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from wierde.collect.files import (
    FALSE_WORDS,
    INTEGER_TEXT,
    NUMBER_TEXT,
    TRUE_WORDS,
    YEAR_TEXT,
    FileFormatError,
    Loaded,
    OptionsError,
    ReadOptions,
    Rejected,
    apply_overrides,
    check_names,
    duck_error,
    geometry_crs,
    override_types,
    sql_str,
    write_parquet,
)

BATCH_ROWS = 10_000
LINE = "__wierde_line"  # the sheet row number, carried through the temporary file for the report
ARROW = {
    "string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
    "date": pa.date32(), "datetime": pa.timestamp("us"), "year": pa.int32(), "geometry": pa.string(),
}
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y")
DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M")


class Unfit(Exception):
    """A cell value that does not fit its column's type."""


# --- one cell -----------------------------------------------------------------------------------------------


def kind_of(value: Any) -> str:
    """The type a single cell suggests; text stays text (a code typed as '0612' is text in Excel, too)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, dt.datetime):
        return "date" if value.time() == dt.time(0) and value.tzinfo is None else "datetime"
    if isinstance(value, dt.date):
        return "date"
    return "string"


def column_type(kinds: set[str]) -> str:
    """The narrowest type that holds every kind of cell seen in a column."""
    if not kinds or len(kinds) == 1:
        return next(iter(kinds), "string")
    if kinds <= {"integer", "number"}:
        return "number"
    if kinds <= {"date", "datetime"}:
        return "datetime"
    return "string"


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def parse_text(text: str, formats: Sequence[str]) -> dt.datetime:
    for fmt in formats:
        try:
            return dt.datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    raise Unfit


def to_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise Unfit
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(INTEGER_TEXT, value):
        return int(value)
    raise Unfit


def to_number(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        for decimal, pattern in NUMBER_TEXT.items():
            if re.fullmatch(pattern, value):
                return float(value.replace(",", ".") if decimal == "," else value)
    raise Unfit


def to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise Unfit


def to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise Unfit  # a time of day would be lost
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return parse_text(value, DATE_FORMATS).date()
    raise Unfit


def to_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0))
    if isinstance(value, str):
        return parse_text(value, DATETIME_FORMATS + DATE_FORMATS)
    raise Unfit


def to_year(value: Any) -> int:
    year = int(value.strip()) if isinstance(value, str) and re.fullmatch(YEAR_TEXT, value) else to_integer(value)
    if not 1000 <= year <= 9999:
        raise Unfit
    return year


CONVERT: dict[str, Callable[[Any], Any]] = {
    "string": as_text, "integer": to_integer, "number": to_number, "boolean": to_boolean, "date": to_date,
    "datetime": to_datetime, "year": to_year, "geometry": as_text,  # geometry text is parsed in SQL afterwards
}


# --- the sheet ----------------------------------------------------------------------------------------------

EXCEL_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")


@dataclass(frozen=True)
class Sheet:
    workbook: Any
    worksheet: Any
    name: str
    names: tuple[str, ...]

    def rows(self) -> Iterator[tuple[int, tuple[Any, ...], list[str]]]:
        """Data rows with their sheet row number, values and cell types; empty rows are left out."""
        for number, cells in enumerate(self.worksheet.iter_rows(min_row=2), start=2):
            values = tuple(cell.value for cell in cells)
            if any(v is not None and v != "" for v in values):
                yield number, values, [getattr(cell, "data_type", "n") for cell in cells]


@contextmanager
def open_sheet(source: Path, wanted: str | None) -> Iterator[Sheet]:
    """The workbook opened read-only (it streams), the chosen sheet (the first unless named), and its header."""
    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise FileFormatError(f"{source.name}: not a readable .xlsx workbook ({exc})") from exc
    try:
        name = wanted if wanted is not None else workbook.sheetnames[0]
        if name not in workbook.sheetnames:
            raise OptionsError(f"{source.name}: no sheet {name!r}; the workbook has {workbook.sheetnames}")
        worksheet = workbook[name]
        header = next(worksheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
        cells = list(header)
        while cells and (cells[-1] is None or str(cells[-1]).strip() == ""):
            cells.pop()  # formatting often stretches a sheet wider than its header
        if not cells:
            raise FileFormatError(f"{source.name}: row 1 of sheet {name!r} is empty; it must hold the column names")
        names = check_names([None if c is None else as_text(c) for c in cells], f"{source.name}, sheet {name!r}, row 1")
        yield Sheet(workbook, worksheet, name, tuple(names))
    finally:
        workbook.close()


def problem(sheet: Sheet, values: Sequence[Any], types: Sequence[str]) -> str | None:
    """Why a row is bad on its face: an Excel error value, or data in a column without a header."""
    for i, (value, kind) in enumerate(zip(values, types, strict=False)):
        if kind == "e" or (isinstance(value, str) and value in EXCEL_ERRORS):
            where = sheet.names[i] if i < len(sheet.names) else get_column_letter(i + 1)
            return f"Excel error value {value} in column {where!r}"
    extra = [i for i, v in enumerate(values[len(sheet.names):], start=len(sheet.names)) if v not in (None, "")]
    if extra:
        return f"a value in column {get_column_letter(extra[0] + 1)}, which has no header"
    return None


def infer_types(sheet: Sheet) -> dict[str, str]:
    """First pass: the kinds of cells each column holds (rows that are bad on their face do not count)."""
    kinds: list[set[str]] = [set() for _ in sheet.names]
    for _, values, types in sheet.rows():
        if problem(sheet, values, types):
            continue
        for i, value in enumerate(values[: len(sheet.names)]):
            if value is not None and value != "":
                kinds[i].add(kind_of(value))
    return {name: column_type(k) for name, k in zip(sheet.names, kinds, strict=True)}


def raw_row(values: Sequence[Any]) -> str:
    return "\t".join("" if v is None else as_text(v) for v in values)


def converted_rows(
    sheet: Sheet, types: Mapping[str, str], rejected: list[Rejected]
) -> Iterator[tuple[int, list[Any]]]:
    """Second pass: each good row's values in its column's type; bad rows go to `rejected` instead."""
    converters = [CONVERT[types[name]] for name in sheet.names]
    for number, values, cell_types in sheet.rows():
        reason = problem(sheet, values, cell_types)
        if reason:
            rejected.append(Rejected(number, None, reason, raw_row(values)))
            continue
        padded = list(values[: len(sheet.names)]) + [None] * (len(sheet.names) - len(values))
        out: list[Any] = []
        bad: list[Rejected] = []
        for name, convert, value in zip(sheet.names, converters, padded, strict=True):
            if value is None or value == "":
                out.append(None)
                continue
            try:
                out.append(convert(value))
            except (Unfit, ValueError, OverflowError):
                bad.append(Rejected(number, name, f"{as_text(value)!r} is not a valid {types[name]}", raw_row(values)))
        if bad:
            rejected.extend(bad)
        else:
            yield number, out


def batches(sheet: Sheet, types: Mapping[str, str], rejected: list[Rejected]) -> Iterator[pa.RecordBatch]:
    schema = arrow_schema(sheet, types)
    lines: list[int] = []
    columns: list[list[Any]] = [[] for _ in sheet.names]
    for number, values in converted_rows(sheet, types, rejected):
        lines.append(number)
        for column, value in zip(columns, values, strict=True):
            column.append(value)
        if len(lines) >= BATCH_ROWS:
            yield pa.RecordBatch.from_arrays([pa.array(c) for c in (*columns, lines)], schema=schema)
            lines, columns = [], [[] for _ in sheet.names]
    if lines:
        yield pa.RecordBatch.from_arrays([pa.array(c) for c in (*columns, lines)], schema=schema)


def arrow_schema(sheet: Sheet, types: Mapping[str, str]) -> pa.Schema:
    return pa.schema([(name, ARROW[types[name]]) for name in sheet.names] + [(LINE, pa.int64())])


@contextmanager
def staged(folder: Path, schema: pa.Schema, rows: Iterator[pa.RecordBatch]) -> Iterator[Path]:
    """The converted rows in a temporary Parquet file beside the output, so DuckDB can read them more than once."""
    handle, name = tempfile.mkstemp(prefix=".xlsx-", suffix=".parquet", dir=folder)
    os.close(handle)
    path = Path(name)
    try:
        with pq.ParquetWriter(path, schema) as writer:
            for batch in rows:
                writer.write_batch(batch)
        yield path
    finally:
        path.unlink(missing_ok=True)


def read_xlsx(con: duckdb.DuckDBPyConnection, source: Path, out: Path, options: ReadOptions) -> Loaded:
    """An .xlsx sheet as typed Parquet: two streaming passes (types, then values), never the whole sheet in memory."""
    with open_sheet(source, options.sheet) as sheet:
        where = f"{source.name}, sheet {sheet.name!r}"
        overrides = override_types(options.types, sheet.names, where)
        types = {**infer_types(sheet), **overrides}
        rejected: list[Rejected] = []
        with staged(out.parent, arrow_schema(sheet, types), batches(sheet, types, rejected)) as path:
            base = f"SELECT * FROM read_parquet({sql_str(path)})"  # noqa: S608
            geometry = {name: kind for name, kind in overrides.items() if kind == "geometry"}
            try:
                crs = geometry_crs(con, base, geometry)
                overridden = apply_overrides(con, base, geometry, crs=crs, line_column=LINE)
                rows = write_parquet(con, overridden.select_sql, out)
            except duckdb.Error as exc:
                raise duck_error(source, exc) from exc
    everything = sorted(rejected + list(overridden.rejected), key=lambda r: (r.line or 0, r.column or ""))
    dialect = {"sheet": sheet.name, "sheets": list(sheet.workbook.sheetnames), "header_row": 1}
    return Loaded("xlsx", rows, tuple(everything), dialect)
