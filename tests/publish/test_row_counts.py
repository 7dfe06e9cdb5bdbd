"""The in-memory counts must agree with DuckDB's on every filter they accept, and step aside on the rest."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wierde.publish import row_counts
from wierde.publish.row_model import Filter
from wierde.store.duck import connect

ROWS = 60_000
CODES = ["GM0014", "GM1966", "GM0037", "GM0047", None]


@pytest.fixture(scope="module")
def parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = random.Random(4)
    table = pa.table({
        "gemeente_code": [rng.choice(CODES) for _ in range(ROWS)],
        "vehicles": [rng.randint(-50, 900) if rng.random() > 0.05 else None for _ in range(ROWS)],
        "speed": [round(rng.uniform(0, 130), 1) if rng.random() > 0.05 else None for _ in range(ROWS)],
        "open": [rng.random() > 0.5 if rng.random() > 0.05 else None for _ in range(ROWS)],
        "big": pa.array([rng.randint(0, 2**40) for _ in range(ROWS)], pa.int64()),
    })
    path = tmp_path_factory.mktemp("counts") / "v.parquet"
    pq.write_table(table, path, row_group_size=7_000)
    return path


def duckdb_count(path: Path, filters: list[Filter]) -> int:
    sql = {"eq": "= ?", "gt": "> ?", "gte": ">= ?", "lt": "< ?", "lte": "<= ?", "ne": "IS DISTINCT FROM ?"}
    where, params = [], []
    for f in filters:
        if f.op == "in":
            where.append(f'"{f.column}" IN ({", ".join("?" * len(f.value))})')
            params.extend(f.value)
        elif f.op == "isnull":
            where.append(f'"{f.column}" IS {"" if f.value else "NOT "}NULL')
        else:
            where.append(f'"{f.column}" {sql[f.op]}')
            params.append(f.value)
    result = connect(extensions=()).execute(
        f"SELECT count(*) FROM read_parquet(?) WHERE {' AND '.join(where)}", [str(path), *params]).fetchone()
    assert result is not None
    return int(result[0])


def random_filter(rng: random.Random) -> Filter:
    column = rng.choice(["gemeente_code", "vehicles", "speed", "open", "big"])
    if column == "gemeente_code":
        op = rng.choice(["eq", "ne", "in", "isnull"])
        value = rng.choice(["GM0014", "GM1966", "GM9999"])
        if op == "in":
            return Filter(column, op, tuple(rng.sample(["GM0014", "GM0037", "GM9999", "GM0047"], 2)))
        return Filter(column, op, rng.random() > 0.5 if op == "isnull" else value)
    op = rng.choice(["eq", "ne", "gt", "gte", "lt", "lte", "in", "isnull"])
    number: object = {"vehicles": rng.randint(-60, 950), "speed": round(rng.uniform(-1, 140), 1),
                      "open": rng.random() > 0.5, "big": rng.randint(0, 2**40)}[column]
    if op == "in":
        return Filter(column, op, (number, number))
    return Filter(column, op, rng.random() > 0.5 if op == "isnull" else number)


def test_counts_agree_with_duckdb_on_random_filters(parquet: Path) -> None:
    rng = random.Random(11)
    cache = row_counts.ColumnCache()
    for _ in range(150):
        filters = [random_filter(rng) for _ in range(rng.randint(1, 3))]
        assert row_counts.count(parquet, ROWS, filters, cache) == duckdb_count(parquet, filters), filters


def test_filters_numpy_cannot_match_exactly_go_to_duckdb(parquet: Path) -> None:
    cache = row_counts.ColumnCache()
    assert row_counts.count(parquet, ROWS, [Filter("gemeente_code", "contains", "GM")], cache) is None
    assert row_counts.count(parquet, ROWS, [Filter("gemeente_code", "gt", "GM0014")], cache) is None
    assert row_counts.count(parquet, ROWS, [Filter("vehicles", "gt", "500")], cache) is None  # text vs number
    assert row_counts.count(parquet, ROWS, [Filter("vehicles", "gt", 2**70)], cache) is None  # beyond int64
    assert row_counts.count(parquet, ROWS, [Filter("vehicles", "gt", 0.5)], cache) is None  # fraction vs integers


def test_small_files_and_unfiltered_queries_are_left_alone(parquet: Path) -> None:
    assert row_counts.count(parquet, 1_000, [Filter("vehicles", "gt", 1)]) is None
    assert row_counts.count(parquet, ROWS, []) is None


def test_memory_stays_within_the_budget(parquet: Path) -> None:
    cache = row_counts.ColumnCache(budget=ROWS * 9 + 1)  # room for one int64 column (and its NULL mask), not two
    assert row_counts.count(parquet, ROWS, [Filter("big", "gt", 5)], cache) is not None
    assert row_counts.count(parquet, ROWS, [Filter("vehicles", "gt", 5)], cache) is not None
    assert cache.columns.held <= cache.budget
    assert [key[1] for key in cache.columns] == ["vehicles"]  # the older column was dropped


def test_nan_makes_a_float_column_duckdbs_to_count(tmp_path: Path) -> None:
    path = tmp_path / "nan.parquet"
    pq.write_table(pa.table({"x": [float("nan"), 1.0] * 40_000}), path)
    assert row_counts.count(path, 80_000, [Filter("x", "gt", 0.5)]) is None


def test_a_column_too_large_for_the_budget_is_never_read(parquet: Path) -> None:
    cache = row_counts.ColumnCache(budget=ROWS * 4)
    assert row_counts.count(parquet, ROWS, [Filter("big", "gt", 5)], cache) is None
    assert cache.columns.held == 0
