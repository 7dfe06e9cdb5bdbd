"""Binary downloads (Parquet, GeoPackage, XLSX) that need a whole file: written to a temp file, streamed, deleted."""

from __future__ import annotations

import datetime as dt
import math
import shutil
import tempfile
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from wierde.errors import Unacceptable
from wierde.publish.export_select import OutColumn, gpkg_select, main_geometry, sheet_select, wrap
from wierde.publish.export_stream import Chunks, batches
from wierde.publish.row_values import json_value
from wierde.sqltext import quote_literal

CHUNK_BYTES = 1 << 20
XLSX_MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows minus the header
_EXACT_IN_EXCEL = 10**15  # Excel keeps 15 significant digits; longer whole numbers (IDs) go as text


class TooManyRows(Unacceptable):
    """The result does not fit the chosen format (XLSX); raised by the first next(), before any byte is sent."""


def via_temp_file(workdir: Path, extension: str, write: Callable[[Path], None]) -> Chunks:
    """Write the file with `write`, stream it in chunks and delete it, also when the client goes away mid-way."""
    folder = Path(tempfile.mkdtemp(prefix="export-", dir=workdir))
    try:
        path = folder / f"export.{extension}"
        write(path)
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                yield chunk
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def parquet(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any], workdir: Path
) -> Chunks:
    """GeoParquet as DuckDB writes it: geometry stays in its stored CRS, which the 'geo' metadata records."""

    def write(path: Path) -> None:
        con.execute(f"COPY ({sql}) TO {quote_literal(str(path))} (FORMAT parquet, COMPRESSION zstd)", list(params))

    return via_temp_file(workdir, "parquet", write)


def geopackage(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: Sequence[Any],
    columns: Sequence[OutColumn],
    geometry_columns: Sequence[str],
    workdir: Path,
) -> Chunks:
    """One GeoPackage layer in the stored CRS; a layer holds one geometry, so others become WKT (CRS84) text."""
    main = main_geometry(columns, geometry_columns)
    options = "FORMAT GDAL, DRIVER 'GPKG', LAYER_NAME 'data'"
    if main is not None:
        options += f", SRS {quote_literal(main.crs or 'OGC:CRS84')}"
    # Columns are listed one by one: GDAL refuses some (ST_Read's OGC_FID, STACK.md §1) and needs others cast.
    select = wrap(sql, gpkg_select(columns, main))

    def write(path: Path) -> None:
        con.execute(f"COPY ({select}) TO {quote_literal(str(path))} ({options})", list(params))

    return via_temp_file(workdir, "gpkg", write)


def xlsx(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any], columns: Sequence[OutColumn], workdir: Path
) -> Chunks:
    """One worksheet: numbers as numbers, text always as text (never a formula), geometry as WKT in CRS84."""

    def write(path: Path) -> None:
        _write_workbook(path, con, wrap(sql, sheet_select(columns)), params, columns)

    return via_temp_file(workdir, "xlsx", write)


def _write_workbook(
    path: Path, con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any], columns: Sequence[OutColumn]
) -> None:
    # constant_memory flushes each row to disk; no strings_to_* so '=1+2' or 'http://…' stay plain text cells.
    options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
               "strings_to_numbers": False, "tmpdir": str(path.parent)}
    with xlsxwriter.Workbook(str(path), options) as book:
        sheet = book.add_worksheet("data")
        cells = _CellWriter(sheet, {
            "date": book.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            "time": book.add_format({"num_format": "hh:mm:ss"}),
        })
        for col, column in enumerate(columns):
            sheet.write_string(0, col, column.name)
        row = 0
        for batch in batches(con, sql, params):
            if row + batch.num_rows > XLSX_MAX_ROWS:
                raise TooManyRows(
                    f"an XLSX sheet holds at most {XLSX_MAX_ROWS:,} rows; download csv or parquet instead",
                    allowed=["csv", "parquet"],
                )
            for values in zip(*(batch.column(i).to_pylist() for i in range(batch.num_columns)), strict=True):
                row += 1
                for col, value in enumerate(values):
                    cells.write(row, col, value)


class _CellWriter:
    """Chooses the xlsxwriter call per value, so each cell gets its real type."""

    def __init__(self, sheet: Worksheet, formats: dict[str, Any]) -> None:
        self.sheet = sheet
        self.formats = formats

    def write(self, row: int, col: int, value: Any) -> None:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return  # an empty cell; Excel has no NaN
        if isinstance(value, bool):
            self.sheet.write_boolean(row, col, value)
        elif _is_exact_number(value):
            self.sheet.write_number(row, col, float(value))
        elif _is_naive_time(value):
            self.sheet.write_datetime(row, col, value, self.formats[_time_kind(value)])
        else:
            # Excel has no time zones and only 15 digits: ISO 8601 text or the digits as text lose nothing
            text = value if isinstance(value, str) else str(json_value(value))
            self.sheet.write_string(row, col, text)


def _is_exact_number(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, Decimal):
        return value.is_finite() and abs(value) < _EXACT_IN_EXCEL
    return isinstance(value, int) and abs(value) < _EXACT_IN_EXCEL


def _is_naive_time(value: Any) -> bool:
    if isinstance(value, dt.datetime | dt.time):
        return value.tzinfo is None
    return isinstance(value, dt.date)


def _time_kind(value: dt.date | dt.time) -> str:
    if isinstance(value, dt.datetime):
        return "datetime"
    return "date" if isinstance(value, dt.date) else "time"
