"""Prove that compare_results calls two view results the same exactly when the issue says they are."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from wierde.combine.compare import compare_results


def write(path: Path, columns: dict[str, pa.Array | list[object]]) -> Path:
    pq.write_table(pa.table(columns), path)
    return path


def pair(tmp_path: Path, a: dict[str, pa.Array | list[object]], b: dict[str, pa.Array | list[object]]) -> str | None:
    return compare_results(write(tmp_path / "a.parquet", a), write(tmp_path / "b.parquet", b))


TRAFFIC = {
    "gemeente_code": ["GM0014", "GM1966", "GM0014", None],
    "vehicles": [420, 380, 150, 160],
    "mean_speed": [48.25, 71.5, None, 80.0],
}


def test_the_same_rows_in_another_order_are_equal(tmp_path: Path) -> None:
    shuffled = {name: [values[i] for i in (3, 1, 0, 2)] for name, values in TRAFFIC.items()}
    assert pair(tmp_path, TRAFFIC, shuffled) is None


def test_float_noise_of_1e_12_is_equal_but_1e_6_is_not(tmp_path: Path) -> None:
    noisy = dict(TRAFFIC, mean_speed=[48.25 * (1 + 1e-12), 71.5 * (1 - 1e-12), None, 80.0])
    assert pair(tmp_path, TRAFFIC, noisy) is None

    off = dict(TRAFFIC, mean_speed=[48.25 * (1 + 1e-6), 71.5, None, 80.0])
    message = pair(tmp_path, TRAFFIC, off)
    assert message is not None
    assert "'mean_speed'" in message and "48.25" in message and "48.2500482" in message


def test_null_against_a_value_differs(tmp_path: Path) -> None:
    filled = dict(TRAFFIC, mean_speed=[48.25, 71.5, 0.0, 80.0])
    message = pair(tmp_path, TRAFFIC, filled)
    assert message is not None
    assert "'mean_speed'" in message and "None" in message and "0.0" in message


def test_different_columns_differ(tmp_path: Path) -> None:
    renamed = {"gemeente_code": TRAFFIC["gemeente_code"], "voertuigen": TRAFFIC["vehicles"],
               "mean_speed": TRAFFIC["mean_speed"]}
    message = pair(tmp_path, TRAFFIC, renamed)
    assert message == "columns differ: only in a: vehicles; only in b: voertuigen"

    reordered = {name: TRAFFIC[name] for name in ("vehicles", "gemeente_code", "mean_speed")}
    message = pair(tmp_path, TRAFFIC, reordered)
    assert message is not None and "another order" in message


def test_a_missing_row_is_reported_as_row_counts(tmp_path: Path) -> None:
    fewer = {name: values[:3] for name, values in TRAFFIC.items()}
    assert pair(tmp_path, TRAFFIC, fewer) == "row counts differ: a has 4, b has 3"


def test_integer_widths_and_numbers_written_as_floats_compare_by_value(tmp_path: Path) -> None:
    # DuckDB's sum() of integers can arrive as DOUBLE or DECIMAL(38,0), Spark's as BIGINT; counts as int32 or int64.
    a = {"hours": pa.array([1, 2, 3], pa.int32()), "vehicles": pa.array([10, 20, 2**40], pa.int64()),
         "delay": pa.array([Decimal("1.50"), Decimal("2.25"), None], pa.decimal128(38, 2))}
    b = {"hours": pa.array([3, 2, 1], pa.int64()), "vehicles": pa.array([2.0**40, 20.0, 10.0], pa.float64()),
         "delay": pa.array([None, Decimal("2.250"), Decimal("1.500")], pa.decimal128(20, 3))}
    assert pair(tmp_path, a, b) is None


def test_naive_and_zoned_timestamps_compare_by_their_utc_reading(tmp_path: Path) -> None:
    naive = [dt.datetime(2024, 7, 1, 8, 0), dt.datetime(2024, 7, 1, 9, 0)]
    zoned = [t.replace(tzinfo=dt.UTC) for t in naive]
    a = {"hour": pa.array(naive, pa.timestamp("us"))}
    assert pair(tmp_path, a, {"hour": pa.array(zoned, pa.timestamp("ms", tz="UTC"))}) is None

    amsterdam = [t + dt.timedelta(hours=2) for t in naive]  # the same wall clock read in summer time is not equal
    message = pair(tmp_path, a, {"hour": pa.array(amsterdam, pa.timestamp("us"))})
    assert message is not None and "'hour'" in message


def test_infinities_and_nan_equal_themselves(tmp_path: Path) -> None:
    values = {"per_capita": [float("inf"), float("-inf"), float("nan"), 1.0]}
    assert pair(tmp_path, values, values) is None
    assert pair(tmp_path, values, {"per_capita": [float("inf"), float("inf"), float("nan"), 1.0]}) is not None


def test_a_text_column_against_a_number_column_differs(tmp_path: Path) -> None:
    message = pair(tmp_path, {"code": ["14", "1966"]}, {"code": [14, 1966]})
    assert message == "column 'code' has other types: string in a, integer in b"


def test_a_million_rows_compare_in_duckdb_and_the_first_difference_is_found(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    rows = 1_000_000
    a = {"site": np.arange(rows) % 229, "hour": np.arange(rows) // 229, "speed": rng.uniform(20, 100, rows)}
    order = rng.permutation(rows)
    b = {name: values[order] for name, values in a.items()}
    assert pair(tmp_path, a, b) is None

    changed = dict(b, speed=b["speed"].copy())
    changed["speed"][np.flatnonzero(order == 5)[0]] += 1.0  # site 5's first hour, wherever it went in b
    message = pair(tmp_path, a, changed)
    position = int((a["site"] < 5).sum()) + 1  # sorted by site, then hour
    assert message is not None and "'speed'" in message and f"row {position:,} of 1,000,000" in message
