"""Prove that killing a real ingest process midway leaves the previous version current and complete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from wierde.config import Settings
from wierde.store.repository import Store

pytestmark = pytest.mark.slow


def run_wierde(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wierde", *args], capture_output=True, text=True, timeout=120)


def test_killed_ingest_keeps_the_last_good_version(tmp_path: Path) -> None:
    home = tmp_path / "inst"
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    duckdb.execute(f"COPY (SELECT range AS id, 'GM0014' AS code, range * 0.5 AS v FROM range(1000)) TO '{small}'")
    duckdb.execute(
        f"COPY (SELECT range AS id, 'GM' || lpad((range % 2000)::VARCHAR, 4, '0') AS code, random() AS v, "
        f"md5(range::VARCHAR) AS t FROM range(6000000)) TO '{big}'"
    )
    assert run_wierde("ingest", str(small), "--dataset", "tellingen", "--home", str(home)).returncode == 0

    process = subprocess.Popen([sys.executable, "-m", "wierde", "ingest", str(big), "--dataset", "tellingen",
                                "--home", str(home)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staging = home / "data" / ".tmp"
    deadline = time.monotonic() + 60
    while not any(p.suffix == ".parquet" and p.stat().st_size > 0 for p in staging.glob("*")):
        assert process.poll() is None, "the big ingest finished before it could be killed; make the file larger"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    store = Store.open(Settings(home=home))
    try:
        current = store.version("tellingen")
        assert [v.number for v in store.versions("tellingen")] == [1]
        assert current.row_count == 1000
        count = store.duck().execute("SELECT count(*) FROM read_parquet(?)", [str(store.path_of(current))])
        assert count.fetchone() == (1000,), "the current version's file is complete and readable"
    finally:
        store.close()
    # The instance is not wedged: the next ingest goes through and the leftovers are gone.
    again = run_wierde("ingest", str(small), "--dataset", "tellingen", "--home", str(home), "--json")
    assert again.returncode == 0, again.stderr
