"""Text downloads (JSON, GeoJSON, CSV) encoded batch by batch, so memory stays flat however large the result."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Generator, Sequence
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from wierde.publish.export_select import (
    OutColumn,
    feature_select,
    json_object_select,
    main_geometry,
    text_select,
    wrap,
)

BATCH_ROWS = 10_000
# A generator, not just an iterator: a server calls close() when the client leaves, which ends the query and
# deletes temp files.
Chunks = Generator[bytes, None, None]
# A cell a spreadsheet would run as a formula; a plain number such as -2.3 or +31 is left alone (it is no formula).
_FORMULA = r"^[=+\-@\t\r]"
_NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
_PLAIN_NUMBER = f"^{_NUMBER}$"  # RE2 (Arrow): $ is the end of the text, never before a final newline


def batches(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any]) -> pa.RecordBatchReader:
    """DuckDB streams the result in record batches; nothing holds the whole result at once."""
    return con.execute(sql, list(params)).to_arrow_reader(BATCH_ROWS)


def json_rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any], columns: Sequence[OutColumn]
) -> Chunks:
    """One JSON array of row objects, the same objects the row API returns."""
    return _json_array(con, wrap(sql, json_object_select(columns)), params, b"[", b"]")


def geojson(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: Sequence[Any],
    columns: Sequence[OutColumn],
    geometry_columns: Sequence[str],
) -> Chunks:
    """An RFC 7946 FeatureCollection: lon/lat WGS84, the main geometry drawn, every other column a property."""
    select = wrap(sql, feature_select(columns, main_geometry(columns, geometry_columns)))
    return _json_array(con, select, params, b'{"type":"FeatureCollection","features":[', b"]}")


def _json_array(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any], opening: bytes, closing: bytes
) -> Chunks:
    yield opening
    separator = b""
    for batch in batches(con, sql, params):
        texts = batch.column(0).to_pylist()
        if texts:
            yield separator + ",".join(texts).encode("utf-8")
            separator = b","
    yield closing


def csv_rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any], columns: Sequence[OutColumn]
) -> Chunks:
    """RFC 4180 CSV in UTF-8 with a header; text that a spreadsheet would run as a formula gets a leading '."""
    yield _csv_header([c.name for c in columns])
    options = pa_csv.WriteOptions(include_header=False, eol="\r\n")
    text_positions = [i for i, c in enumerate(columns) if c.is_text]
    for batch in batches(con, wrap(sql, text_select(columns)), params):
        if batch.num_rows:
            out = io.BytesIO()
            pa_csv.write_csv(_neutralise_batch(batch, text_positions), out, options)
            yield out.getvalue()


_FORMULA_STARTS = pa.array(["=", "+", "-", "@", "\t", "\r"])


def neutralise(text: str) -> str:
    """The cell text with a leading ' when a spreadsheet would otherwise evaluate it (OWASP CSV injection)."""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_plain_number(text):
        return "'" + text
    return text


def _is_plain_number(text: str) -> bool:
    return re.fullmatch(_NUMBER, text) is not None


def _neutralise_batch(batch: pa.RecordBatch, positions: Sequence[int]) -> pa.RecordBatch:
    arrays = list(batch.columns)
    for i in positions:
        text = arrays[i].cast(pa.string())
        # The common case is a column where no cell starts like a formula: one cheap first-character test.
        formula = pc.is_in(pc.utf8_slice_codeunits(text, 0, 1), value_set=_FORMULA_STARTS)
        if not pc.any(formula).as_py():
            arrays[i] = text
            continue
        risky = pc.and_(formula, pc.invert(pc.match_substring_regex(text, _PLAIN_NUMBER)))
        arrays[i] = pc.if_else(risky, pc.binary_join_element_wise("'", text, ""), text)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _csv_header(names: Sequence[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([neutralise(n) for n in names])
    return out.getvalue().encode("utf-8")
