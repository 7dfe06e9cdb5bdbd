"""OGC API Features items with a bbox, 100 per page, 8 connections: Wierde's /ogc against a minimal Starlette +
DuckDB server running the same query and against pygeoapi with its Parquet provider, on the same 200,000 points.

    .venv/bin/python bench/bench_ogc.py [--points 200000] [--rounds 3] [--duration 4] [--out bench/results/ogc.md]

pygeoapi lives only in bench/.venv-peers (installed by this script with `uv pip`, never into the project's .venv).
Its Parquet provider is the fastest it offers here: its OGR provider needs GDAL's Python bindings (not on PyPI as a
wheel) and its SQLite/GeoPackage provider a SQLite that loads extensions. The points are stored in CRS84 for all
three (pygeoapi's Parquet provider compares a bbox with plain x/y columns, which must be longitude/latitude);
Wierde also serves a copy stored in RD New, as Dutch sources deliver them.

Two workloads: the same bbox every time (what a cache can answer), and a different bbox each time (a wrk Lua
script draws 3 × 3 km boxes over the province; the same sequence for every server). Runs, pinning and idling
follow bench/http_bench.py, whose helpers this uses. `--serve-minimal` runs the minimal server itself.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_map  # noqa: E402  (sibling scripts: the points and the server helpers)
import http_bench  # noqa: E402

BENCH = Path(__file__).resolve().parent
PYGEOAPI_PIN = "pygeoapi==0.21.0"  # the newest that installs on Python 3.11; 0.22 and later need 3.12
PYGEOAPI_EXTRAS = ("geopandas==1.2.0", "s3fs", "pyarrow", "starlette")  # what its Parquet provider and ASGI app import
PROBE_BBOX = "6.53,53.20,6.58,53.23"  # the centre of the city of Groningen: many more than 100 points
BOX = (0.045, 0.027)  # about 3 × 3 km
AREA = (6.20, 52.97, 7.15, 53.45)
VARIED_LUA = """-- from bench/bench_ogc.py: a different 3 x 3 km bbox each time, the same sequence for every server
math.randomseed(%(seed)d)
request = function()
  local x = %(x0)f + math.random() * %(dx)f
  local y = %(y0)f + math.random() * %(dy)f
  return wrk.format("GET", string.format("%(path)s", x, y, x + %(w)f, y + %(h)f))
end
"""


@dataclass
class Server:
    name: str
    base: str
    pid: int
    items: str  # the items path with a %s for the bbox
    one_request_s: dict[str, float] = field(default_factory=dict)
    missing: str | None = None


@dataclass(frozen=True)
class Timed:
    server: str
    workload: str
    round: int
    rps: float
    p50_ms: float
    errors: int
    requests: int


# ------------------------------------------------------------------------------------------------ the minimal server


def minimal_app(parquet: Path) -> Any:
    """Starlette and one DuckDB connection: the same bbox query and count Wierde runs, and nothing else."""
    import orjson
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from wierde.store.duck import connect

    con = connect(extensions=("spatial",))
    source = f"read_parquet('{parquet}', file_row_number = true)"
    page_sql = (f"SELECT id, naam, categorie, waarde, ST_AsGeoJSON(geometry) FROM {source} "
                "WHERE ST_Intersects(geometry, ST_MakeEnvelope(?, ?, ?, ?)) ORDER BY file_row_number LIMIT ?")
    count_sql = f"SELECT count(*) FROM {source} WHERE ST_Intersects(geometry, ST_MakeEnvelope(?, ?, ?, ?))"

    def items(request: Request) -> Response:
        box = [float(v) for v in request.query_params["bbox"].split(",")]
        limit = int(request.query_params.get("limit", "10"))
        cursor = con.cursor()
        rows = cursor.execute(page_sql, [*box, limit]).fetchall()
        matched = cursor.execute(count_sql, box).fetchone()
        features = [{"type": "Feature", "id": r[0], "geometry": orjson.Fragment(r[4]),
                     "properties": {"id": r[0], "naam": r[1], "categorie": r[2], "waarde": r[3]}}
                    for r in rows]
        body = {"type": "FeatureCollection", "numberMatched": matched[0] if matched else 0,
                "numberReturned": len(features), "features": features}
        return Response(orjson.dumps(body), media_type="application/geo+json")

    return Starlette(routes=[Route("/items", items)])


# ------------------------------------------------------------------------------------------------ starting the peers


def start_wierde(procs: http_bench.Processes, home: Path, files: bench_map.PointFiles) -> list[Server]:
    bench_map.publish(home, {"punten": files.crs84, "punten-rd": files.rd}, files.count)
    port = http_bench.free_port()
    base = f"http://127.0.0.1:{port}"
    pid = procs.start("wierde-ogc", [str(http_bench.PROJECT_BIN / "wierde"), "serve", "--home", str(home),
                                     "--port", str(port)], base, "/ogc/collections?f=json")
    items = "/ogc/collections/%s/items?f=json&limit=100&bbox=%%s"
    return [Server("Wierde", base, pid, items % "punten"),
            Server("Wierde (stored in RD New)", base, pid, items % "punten-rd")]


def start_minimal(procs: http_bench.Processes, files: bench_map.PointFiles) -> Server:
    port = http_bench.free_port()
    base = f"http://127.0.0.1:{port}"
    pid = procs.start("minimal-ogc", [str(http_bench.PROJECT_BIN / "python"), __file__, "--serve-minimal",
                                      "--parquet", str(files.crs84), "--port", str(port)], base,
                      f"/items?bbox={PROBE_BBOX}&limit=1")
    return Server("minimal", base, pid, "/items?limit=100&bbox=%s")


def install_pygeoapi() -> None:
    python = http_bench.PEERS_BIN / "python"
    if not python.exists():
        http_bench.run_quiet(["bash", str(BENCH / "peers.sh")], "bench/peers.sh")  # makes the peers' venv
    check = subprocess.run([str(python), "-c", "import pygeoapi.provider.parquet, starlette"], capture_output=True)
    if check.returncode != 0:
        uv = shutil.which("uv") or "uv"
        http_bench.run_quiet([uv, "pip", "install", "--quiet", "--python", str(python), PYGEOAPI_PIN,
                              *PYGEOAPI_EXTRAS], "installing pygeoapi into bench/.venv-peers", timeout=900)


def pygeoapi_config(folder: Path, port: int, files: bench_map.PointFiles) -> Path:
    config = f"""
server:
  bind: {{host: 127.0.0.1, port: {port}}}
  url: http://127.0.0.1:{port}
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  language: en-US
  pretty_print: false
  limits: {{default_items: 10, max_items: 10000}}
  map: {{url: "http://127.0.0.1/{{z}}/{{x}}/{{y}}.png", attribution: none}}
logging: {{level: ERROR}}
metadata:
  identification:
    title: bench
    description: the points of bench/bench_ogc.py
    keywords: [bench]
    keywords_type: theme
    terms_of_service: https://creativecommons.org/publicdomain/zero/1.0/
    url: http://127.0.0.1
  license: {{name: CC0-1.0, url: "https://creativecommons.org/publicdomain/zero/1.0/"}}
  provider: {{name: bench, url: "http://127.0.0.1"}}
  contact: {{name: bench, position: bench, address: none, city: none, stateorprovince: none, postalcode: none,
            country: NL, phone: none, fax: none, email: none@example.org, url: "http://127.0.0.1", hours: none,
            instructions: none, role: pointOfContact}}
resources:
  punten:
    type: collection
    title: punten
    description: {files.count} points
    keywords: [punten]
    extents:
      spatial: {{bbox: [6.1, 52.9, 7.3, 53.6], crs: "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}}
    providers:
      - type: feature
        name: Parquet
        data: {{source: "{files.crs84}"}}
        id_field: id
        x_field: x
        y_field: y
"""
    path = folder / "pygeoapi.yml"
    path.write_text(config, encoding="utf-8")
    return path


def start_pygeoapi(procs: http_bench.Processes, folder: Path, files: bench_map.PointFiles) -> Server:
    install_pygeoapi()
    port = http_bench.free_port()
    config = pygeoapi_config(folder, port, files)
    openapi = folder / "pygeoapi-openapi.yml"
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    done = subprocess.run([str(http_bench.PEERS_BIN / "pygeoapi"), "openapi", "generate", str(config),
                           "--output-file", str(openapi)], capture_output=True, text=True, env=env, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"pygeoapi openapi generate failed: {(done.stderr or done.stdout)[-1500:]}")
    os.environ.update(PYGEOAPI_CONFIG=str(config), PYGEOAPI_OPENAPI=str(openapi))  # inherited by the server
    base = f"http://127.0.0.1:{port}"
    pid = procs.start("pygeoapi", [str(http_bench.PEERS_BIN / "uvicorn"), "pygeoapi.starlette_app:APP", "--host",
                                   "127.0.0.1", "--port", str(port), "--log-level", "warning"], base,
                      "/collections?f=json")
    return Server(f"pygeoapi {PYGEOAPI_PIN.split('==')[1]} (Parquet)", base, pid,
                  "/collections/punten/items?f=json&limit=100&bbox=%s")


# ------------------------------------------------------------------------------------------------ checks and timing


def probe(servers: list[Server]) -> None:
    """Every server must answer the probe with the same 100 points; three requests give a timing floor."""
    expected: list[Any] | None = None
    for server in servers:
        if server.missing:
            continue
        with httpx.Client(base_url=server.base, timeout=300, trust_env=False) as client:
            times = []
            try:
                for _ in range(3):
                    started = time.perf_counter()
                    answer = client.get(server.items % PROBE_BBOX)
                    times.append(time.perf_counter() - started)
                    answer.raise_for_status()
                # the `id` column (Wierde's feature id is the row's place in its file, pygeoapi's the id_field)
                ids = sorted(int(f["properties"].get("id", f.get("id"))) for f in answer.json()["features"])
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                server.missing = f"bad answer: {exc}"[:300]
                continue
        server.one_request_s["probe"] = min(times[1:])
        if len(ids) != 100:
            server.missing = f"{len(ids)} features instead of 100"
        elif expected is not None and ids != expected:
            server.missing = "other points than the minimal server's"
        expected = expected or ids


def lua(folder: Path, server: Server, seed: int) -> Path:
    path = folder / f"ogc-{re.sub(r'[^A-Za-z0-9]+', '-', server.name)}-{seed}.lua"
    template = server.items.replace("%", "%%").replace("%%s", "%.4f,%.4f,%.4f,%.4f")
    path.write_text(VARIED_LUA % {"seed": seed, "x0": AREA[0], "y0": AREA[1], "dx": AREA[2] - AREA[0] - BOX[0],
                                  "dy": AREA[3] - AREA[1] - BOX[1], "w": BOX[0], "h": BOX[1], "path": template})
    return path


def run_wrk(server: Server, workload: str, seconds: int, seed: int, prefix: list[str], folder: Path) -> str:
    argv = [*prefix, "wrk", "-t1", f"-c{http_bench.CONNECTIONS}", f"-d{seconds}s", "--timeout",
            http_bench.WRK_TIMEOUT, "--latency"]
    if workload == "varied":
        argv += ["-s", str(lua(folder, server, seed))]
    url = server.base + (server.items % PROBE_BBOX)
    done = subprocess.run([*argv, url], capture_output=True, text=True, timeout=seconds + 120, check=False)
    return done.stdout + done.stderr


def measure(servers: list[Server], rounds: int, duration: int, prefix: list[str], folder: Path) -> list[Timed]:
    ready = [s for s in servers if not s.missing]
    pids = sorted({s.pid for s in ready})
    runs = []
    for workload in ("same", "varied"):
        slowest = max(s.one_request_s.get("probe", 0.0) for s in ready)
        seconds = int(min(max(duration, slowest * http_bench.MIN_REQUESTS), 60))
        for server in ready:  # warm-up, not counted
            http_bench.wait_idle(pids)
            run_wrk(server, workload, 1, 0, prefix, folder)
        for rnd in range(rounds):
            for server in ready[rnd % len(ready):] + ready[:rnd % len(ready)]:
                http_bench.wait_idle(pids)
                requests, rps, p50, _p99, errors = http_bench.parse_wrk(run_wrk(server, workload, seconds, 1000 + rnd,
                                                                                prefix, folder))
                runs.append(Timed(server.name, workload, rnd + 1, rps, p50, errors, requests))
                print(f"  round {rnd + 1} {workload:<6} {server.name:<28} {rps:9.1f} req/s  p50 {p50:8.1f} ms  "
                      f"({requests} requests, {errors} errors)")
    return runs


def report(servers: list[Server], runs: list[Timed], files: bench_map.PointFiles, rounds: int) -> str:
    names = [s.name for s in servers if not s.missing]
    lines = ["# OGC API Features: items with a bbox, limit 100, 8 connections", "",
             f"{time.strftime('%Y-%m-%d %H:%M')} · {files.count:,} points · wrk -t1 -c{http_bench.CONNECTIONS} · "
             f"{rounds} round(s), median · 1-minute load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
             "", "| workload | " + " | ".join(names) + " | Wierde/minimal | Wierde/pygeoapi |",
             "|---" * (len(names) + 3) + "|"]
    pygeoapi = next((n for n in names if n.startswith("pygeoapi")), None)
    for workload in ("same", "varied"):
        median = {n: statistics.median([r.rps for r in runs if (r.server, r.workload) == (n, workload)] or [0.0])
                  for n in names}
        cells = [f"{median[n]:,.1f} req/s" for n in names]
        lines.append(f"| {workload} bbox | " + " | ".join(cells) + f" | {ratio(median, 'Wierde', 'minimal')} | "
                     f"{ratio(median, 'Wierde', pygeoapi)} |")
    lines += ["", "One request alone (best of the second and third, no load):", ""]
    lines += [f"- {s.name}: {s.one_request_s['probe'] * 1000:,.1f} ms" for s in servers if "probe" in s.one_request_s]
    lines += [f"- {s.name}: left out: {s.missing}" for s in servers if s.missing]
    lines += [f"- {r.server}, {r.workload}, round {r.round}: {r.errors} errors" for r in runs if r.errors]
    return "\n".join(lines) + "\n"


def ratio(median: dict[str, float], top: str, bottom: str | None) -> str:
    if bottom is None or not median.get(bottom) or top not in median:
        return "n/a"
    return f"{median[top] / median[bottom]:.2f}×"


def start_all(procs: http_bench.Processes, folder: Path, files: bench_map.PointFiles) -> list[Server]:
    servers = [start_minimal(procs, files), *start_wierde(procs, folder / "home", files)]
    try:
        servers.append(start_pygeoapi(procs, folder, files))
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        print(f"warning: pygeoapi left out: {exc}", file=sys.stderr)
        servers.append(Server("pygeoapi", "", 0, "", missing=f"could not start: {exc}"[:300]))
    return servers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=bench_map.DEFAULT_POINTS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=4, help="seconds per wrk run (longer for a slow server)")
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "ogc.md")
    parser.add_argument("--serve-minimal", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--parquet", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_minimal:
        import uvicorn

        uvicorn.run(minimal_app(args.parquet), host="127.0.0.1", port=args.port, log_level="warning")
        return 0
    files = bench_map.generate(args.points)
    server_prefix, wrk_prefix = http_bench.cpu_pinning()
    logs = args.out.parent / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (BENCH / ".cache").mkdir(exist_ok=True)
    procs = http_bench.Processes(logs, server_prefix)
    with tempfile.TemporaryDirectory(prefix="wierde-ogc-", dir=BENCH / ".cache") as name:
        try:
            servers = start_all(procs, Path(name), files)
            probe(servers)
            runs = measure(servers, args.rounds, args.duration, wrk_prefix, logs)
        finally:
            procs.stop_all()
    text = report(servers, runs, files, args.rounds)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
