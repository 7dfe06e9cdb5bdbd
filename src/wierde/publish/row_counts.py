"""Exact match counts for the row API from filter columns held in memory.

A filtered page needs the number of rows that match. DuckDB finds it by decoding the filter columns of every row
group of the version's Parquet file on each request, which costs more than the page itself on millions of rows.
Version files never change, so the columns a count filters on are read once into NumPy arrays (strings as codes
into a dictionary) and every later count is a few vectorised comparisons.

Only filters whose meaning NumPy reproduces exactly are counted here: comparisons on integer, float (without NaN)
and boolean columns, and equality, `in` and `isnull` on text. Anything else (`contains`, dates, decimals, NaN)
returns None, and the caller asks DuckDB. Memory is bounded: columns are dropped least recently used first.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from wierde.publish.cache import SizedLRU
from wierde.publish.row_model import Filter

MIN_ROWS = 50_000  # below this a DuckDB count is already cheap, and the memory is better spent elsewhere
MEMORY_BUDGET = 256 * 1024 * 1024  # bytes of all cached columns together
_COMPARE = {"eq": np.equal, "gt": np.greater, "gte": np.greater_equal, "lt": np.less, "lte": np.less_equal}


@dataclass(frozen=True)
class _Column:
    values: np.ndarray  # numbers, booleans, or codes into `codes` for text
    valid: np.ndarray | None  # False where the value is NULL; None when no value is
    codes: dict[str, int] | None  # text columns: value -> code

    @property
    def nbytes(self) -> int:
        return int(self.values.nbytes + (self.valid.nbytes if self.valid is not None else 0))


class _Unsupported(Exception):
    """This column or filter is left to DuckDB."""


class ColumnCache:
    """Filter columns of version files, least recently used dropped first once `budget` bytes are held."""

    def __init__(self, budget: int = MEMORY_BUDGET) -> None:
        self.budget = budget
        # None: not countable here (its type, or larger than the whole budget), remembered so it is not read again
        self.columns: SizedLRU[tuple[str, str], _Column | None] = SizedLRU(
            budget, lambda found: found.nbytes if found is not None else 0)
        self._lock = threading.Lock()
        self._loading: dict[tuple[str, str], threading.Lock] = {}

    def column(self, path: Path, name: str) -> _Column | None:
        key = (str(path), name)
        if key in self.columns:
            return self.columns.get(key)
        with self._lock:
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:  # one reader per column: concurrent first requests wait for it rather than read it again
            if key in self.columns:
                return self.columns.get(key)
            # An array of at least 8 bytes a row (NumPy's int64 or float64 and a NULL mask) that could never fit
            # is not read at all, so a huge file cannot push the process over its memory.
            rows = pq.ParquetFile(path).metadata.num_rows
            found = _read(path, name) if rows * 9 <= self.budget else None
            if found is not None and found.nbytes > self.budget:
                found = None
            self.columns.put(key, found)
            with self._lock:
                self._loading.pop(key, None)
            return found


CACHE = ColumnCache()


def count(path: Path, row_count: int, filters: Sequence[Filter], cache: ColumnCache = CACHE) -> int | None:
    """How many rows match every filter, or None when DuckDB should count (small file, unsupported filter)."""
    if row_count < MIN_ROWS or not filters:
        return None
    masks = []
    try:
        for f in filters:
            column = cache.column(path, f.column)
            if column is None:
                return None
            masks.append(_mask(column, f))
    except _Unsupported:
        return None
    matched = masks[0]  # each mask is a new array, so combining in place never touches a cached column
    for mask in masks[1:]:
        np.logical_and(matched, mask, out=matched)
    return int(np.count_nonzero(matched))


def _read(path: Path, name: str) -> _Column | None:
    array = pq.read_table(path, columns=[name]).column(0).combine_chunks()
    kind = array.type
    if pa.types.is_dictionary(kind):
        array = array.cast(kind.value_type)
        kind = array.type
    valid = None if array.null_count == 0 else array.is_valid().to_numpy(zero_copy_only=False)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        encoded = pc.dictionary_encode(array)
        codes = {str(v): i for i, v in enumerate(encoded.dictionary.to_pylist())}
        indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        return _Column(indices, valid, codes)
    if pa.types.is_boolean(kind):
        return _Column(array.fill_null(False).to_numpy(zero_copy_only=False), valid, None)
    if pa.types.is_integer(kind):
        return _Column(array.fill_null(0).to_numpy(zero_copy_only=False), valid, None)
    if pa.types.is_floating(kind):
        values = array.fill_null(0).to_numpy(zero_copy_only=False)
        if np.isnan(values).any():  # DuckDB orders NaN above every number and equal to itself; NumPy does not
            return None
        return _Column(values, valid, None)
    return None  # dates, times, decimals, binary: DuckDB counts these


def _mask(column: _Column, f: Filter) -> np.ndarray:
    if f.op == "isnull":
        present = column.valid if column.valid is not None else np.ones(len(column.values), dtype=bool)
        return ~present if f.value else present.copy()
    if f.op == "ne":  # IS DISTINCT FROM: a row without a value differs from any value
        equal = _mask(column, Filter(f.column, "eq", f.value))
        return ~equal
    if f.op == "in":
        found = np.isin(column.values, [_operand(column, v) for v in f.value if _has(column, v)])
        return _present(column, found)
    if f.op not in _COMPARE:
        raise _Unsupported(f.op)
    if column.codes is not None:
        if f.op != "eq":  # ordering text would need the dictionary sorted by DuckDB's collation
            raise _Unsupported(f.op)
        if not _has(column, f.value):
            return np.zeros(len(column.values), dtype=bool)
    return _present(column, _COMPARE[f.op](column.values, _operand(column, f.value)))


def _has(column: _Column, value: Any) -> bool:
    if column.codes is None:
        return True
    if not isinstance(value, str):
        raise _Unsupported("a text column compared with a non-text value")
    return value in column.codes


def _operand(column: _Column, value: Any) -> Any:
    """The value in the array's own terms; anything NumPy might compare differently from DuckDB is refused."""
    if column.codes is not None:
        return column.codes[value]
    kind = column.values.dtype
    if kind == np.bool_:
        if not isinstance(value, bool):
            raise _Unsupported("a boolean column compared with a non-boolean")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Unsupported("a number column compared with a non-number")
    if np.issubdtype(kind, np.integer):
        limits = np.iinfo(kind)
        if not isinstance(value, int) or not limits.min <= value <= limits.max:
            raise _Unsupported("a value outside the column's integer range, or a fraction")
    elif isinstance(value, int) and abs(value) > 2**53:  # not exactly a float64
        raise _Unsupported("an integer too large to compare exactly with floats")
    return value


def _present(column: _Column, mask: np.ndarray) -> np.ndarray:
    return mask if column.valid is None else np.logical_and(mask, column.valid, out=mask)
