"""Point collections of open data held in memory, so a bbox page costs a few vectorised comparisons.

A map client pans and zooms: every move is a new bbox over the same collection. For a published open point
layer the answer to any bbox is a selection of the same features, so each feature's GeoJSON (in CRS84, exactly
as the API renders it) is kept once, side by side with its CRS84 position. A bbox page is then a comparison over
the positions (in row order, so the matches come out sorted by feature id) and a join of the chosen features.

Only what anyone may see is held (the caller checks `Layer.cacheable`), only point layers (a point's position is
its whole extent, so the comparison is the exact test), and only up to a memory budget, least recently used
dropped first. The first request starts the work in the background and is answered from the sorted copy, as is
every request while it runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import orjson
import pyarrow as pa

from wierde.publish import spatial_copy
from wierde.publish.cache import SizedLRU

log = logging.getLogger(__name__)

MAX_ROWS = 1_000_000  # above this a layer stays on disk: its features would crowd out every other layer
BUDGET = 512 * 1024 * 1024  # bytes of held features, all layers together
Render = Callable[[int, list[Any]], dict[str, Any]]  # (row number, column values) -> the Feature as the API gives it
ToPython = Callable[[pa.ChunkedArray], list[Any]]


@dataclass(frozen=True)
class HeldFeatures:
    x: np.ndarray  # CRS84 longitude per row number; NaN for a row without a place
    y: np.ndarray
    blob: bytes  # every feature's GeoJSON, one after another
    offsets: np.ndarray  # feature r is blob[offsets[r]:offsets[r + 1]]
    by_x: np.ndarray  # row numbers ordered by longitude (rows without a place last)
    sorted_x: np.ndarray  # x[by_x]

    @property
    def nbytes(self) -> int:
        arrays = (self.x, self.y, self.offsets, self.by_x, self.sorted_x)
        return len(self.blob) + sum(int(a.nbytes) for a in arrays)

    def within(self, parts: Sequence[spatial_copy.Part]) -> np.ndarray:
        """Row numbers (ascending) of the points inside any of the boxes, edges included. A binary search on
        longitude narrows the rows down to a band; only the band's latitudes are compared."""
        found = []
        for west, south, east, north in parts:
            band = self.by_x[np.searchsorted(self.sorted_x, west, "left"):np.searchsorted(self.sorted_x, east, "right")]
            lat = self.y[band]
            found.append(band[(lat >= south) & (lat <= north)])
        return np.unique(np.concatenate(found)) if len(found) > 1 else np.sort(found[0])

    def feature(self, row: int) -> orjson.Fragment:
        return orjson.Fragment(self.blob[self.offsets[row]:self.offsets[row + 1]])


class FeatureMemory:
    """Held layers by their sorted copy's path (one per version), built in a background thread each."""

    def __init__(self, budget: int = BUDGET) -> None:
        self.budget = budget
        self.held: SizedLRU[Path, HeldFeatures] = SizedLRU(budget, lambda held: held.nbytes)
        self._building: set[Path] = set()
        self._refused: set[Path] = set()
        self._lock = threading.Lock()

    def get(self, copy: spatial_copy.SortedCopy, row_count: int, start: Callable[[], HeldFeatures]
            ) -> HeldFeatures | None:
        """The held features, or None for now (the build is started) or for good (too large, or failed)."""
        held = self.held.get(copy.path)
        if held is not None:
            return held
        with self._lock:
            if copy.path in self._building or copy.path in self._refused:
                return None
            if not copy.points_only or row_count > MAX_ROWS:
                self._refused.add(copy.path)
                return None
            self._building.add(copy.path)
        threading.Thread(target=self._build, args=(copy.path, start), name="wierde-features", daemon=True).start()
        return None

    def _build(self, key: Path, start: Callable[[], HeldFeatures]) -> None:
        try:
            held = start()
        except (duckdb.Error, OSError, ValueError) as error:
            log.warning("features of %s not held in memory: %s", key, error)
            held = None
        kept = held is not None and held.nbytes <= self.budget // 2
        if held is not None and kept:
            self.held.put(key, held)
        with self._lock:
            self._building.discard(key)
            if not kept:
                self._refused.add(key)  # failed, or too large to share the budget: answered from disk for good


MEMORY = FeatureMemory()


def build(con: duckdb.DuckDBPyConnection, copy: spatial_copy.SortedCopy, select: Sequence[str],
          render: Render, to_python: ToPython, batch_rows: int = 65_536) -> HeldFeatures:
    """Read every feature of the copy in row order and render each one as the API would."""
    sql = (f"SELECT {', '.join(select)}, {spatial_copy.ROW}, {spatial_copy.XMIN}, {spatial_copy.YMIN} "  # noqa: S608
           f"FROM read_parquet(?) ORDER BY {spatial_copy.ROW}")
    reader = con.cursor().execute(sql, [str(copy.path)]).to_arrow_reader(batch_rows)
    xs, ys, parts, offsets = [], [], [], [0]
    end = 0
    for batch in reader:
        columns = [to_python(pa.chunked_array([batch.column(i)])) for i in range(len(select))]
        rows = batch.column(len(select)).to_pylist()
        for r, row in enumerate(rows):
            if row != len(offsets) - 1:
                raise ValueError(f"row {row} is missing or out of order in {copy.path}")
            text = orjson.dumps(render(row, [column[r] for column in columns]))
            parts.append(text)
            end += len(text)
            offsets.append(end)
        xs.append(batch.column(len(select) + 1).to_numpy(zero_copy_only=False))
        ys.append(batch.column(len(select) + 2).to_numpy(zero_copy_only=False))
    x = np.concatenate(xs).astype(np.float64) if xs else np.zeros(0)
    y = np.concatenate(ys).astype(np.float64) if ys else np.zeros(0)
    by_x = np.argsort(x, kind="stable")  # NaN sorts last
    return HeldFeatures(x, y, b"".join(parts), np.asarray(offsets, dtype=np.int64), by_x, x[by_x])
