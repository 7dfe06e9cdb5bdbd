"""`make bench`: every side-by-side measurement in one run, their tables gathered in bench/results/summary.md."""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def run(title: str, args: list[str], out: Path) -> str:
    print(f"\n=== {title}: {' '.join(args)}", flush=True)
    done = subprocess.run([sys.executable, *args], cwd=HERE.parent, capture_output=True, text=True)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr[-4000:])
    if done.returncode != 0:
        return f"## {title}\n\nfailed (exit {done.returncode}); see the console output.\n"
    text = out.read_text(encoding="utf-8") if out.exists() and out.suffix == ".md" else done.stdout
    return f"## {title}\n\n{text}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="200,000 rows, one round: minutes, not an hour")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    rows = ["--rows", "200000"] if args.quick else []
    http = ["--rounds", "1", "--duration", "2"] if args.quick else []
    sections = [
        run("Ingest: CSV → version vs DuckDB read_csv → Parquet", ["bench/bench_ingest.py", *rows, "--memory"],
            RESULTS / "ingest.txt"),
        run("Geo-keying 200,000 points vs geopandas sjoin", ["bench/bench_geokey.py"], RESULTS / "geokey.md"),
        run("NDW DATEX II traffic speed: connector vs a plain streaming XML parse", ["bench/bench_datex2.py"],
            RESULTS / "datex2.txt"),
        run("HTTP under load: Wierde vs a minimal Starlette + DuckDB server vs Datasette",
            ["bench/http_bench.py", *rows, *http], RESULTS / "http.md"),
        run("Map layer of 200,000 points: time and size per view", ["bench/bench_map.py"], RESULTS / "map.md"),
        run("OGC API items (bbox, limit 100): Wierde vs a minimal server vs pygeoapi",
            ["bench/bench_ogc.py", *http], RESULTS / "ogc.md"),
        run("Views: refresh vs direct SQL, and a 10M-row join on DuckDB and Spark",
            ["bench/bench_views.py", *(["--rows", "1000000"] if args.quick else [])], RESULTS / "views.md"),
    ]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    summary = RESULTS / "summary.md"
    summary.write_text(f"# Wierde benchmarks, {stamp}\n\n" + "\n".join(sections), encoding="utf-8")
    print(f"\nwritten: {summary}")


if __name__ == "__main__":
    main()
