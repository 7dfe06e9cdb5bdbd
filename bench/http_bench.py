"""Measures Wierde over HTTP side by side with a minimal DuckDB server and Datasette, on the same data in one run.

    .venv/bin/python bench/http_bench.py                     # 2,000,000 rows, 3 rounds of 4 s runs
    .venv/bin/python bench/http_bench.py --rows 200000 --rounds 1 --duration 2   # a quick smoke run

See bench/README.md for what is measured and how to read the table (also written to bench/results/http.md).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import datagen  # noqa: E402  (a sibling script, not a package)

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
CACHE = BENCH / ".cache"
PEERS_BIN = BENCH / ".venv-peers" / "bin"
PROJECT_BIN = ROOT / ".venv" / "bin"
DATASET = "verkeer"
CONNECTIONS = 8
WRK_TIMEOUT = "30s"
MIN_REQUESTS = 40  # a run lasts long enough for this many answers, so requests cut off at the end weigh little
IDLE_CPU_SHARE = 0.05  # a server counts as idle below 5 % of a core
IDLE_MAX_WAIT = 60.0
BUSY_LOAD = 1.5  # a 1-minute load average above this means something else competed for the two cores
FILTER = {"gemeente_code": "GM0014", "vehicles__gt": "500"}
# The export is the first whole hours that hold about 100,000 rows: a row limit that large is not something every
# peer offers (Wierde pages at most 10,000 rows), a timestamp filter is.
EXPORT_HOURS = math.ceil(100_000 / datagen.SITES)
EXPORT_BEFORE = datagen.hour_iso(EXPORT_HOURS)
DEEP_ROW = 1_000_000
SOURCE_COLUMNS = "site_id,gemeente_code,timestamp,vehicles,mean_speed"
VARIED_PROBE = "gemeente_code=GM1966&vehicles__gt=612&limit=117"  # one of them, asked alone before the load
# The varied filter draws from 10 x 500 x 40 = 200,000 distinct queries, far more than any answer cache keeps.
VARIED_LUA = """-- from bench/http_bench.py: a different filtered query each time, the same sequence for every server
local codes = {%(codes)s}
math.randomseed(%(seed)d)
request = function()
  local path = string.format("%(template)s", codes[math.random(#codes)], math.random(300, 799), math.random(100, 139))
  return wrk.format("GET", path)
end
"""
# Datasette stops any SQL after 1 s by default; the aggregate over 2M rows needs longer, and a refused query
# measures nothing. Its facet suggestions keep their own (default) limit.
DATASETTE_SETTINGS = ("--setting", "sql_time_limit_ms", "60000")


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    check: str  # how answers are compared: "rows", "first-row", "groups" or "csv"


WORKLOADS = (
    Workload("filtered", "filtered, 100 rows (gemeente_code=GM0014, vehicles > 500)", "rows"),
    Workload("varied", "filtered, 100-139 rows, a different filter per request", "rows"),
    Workload("deep", "deep page: 100 rows from row {deep:,} (keyset)", "first-row"),
    Workload("aggregate", "aggregate: sum(vehicles), avg(mean_speed) per gemeente_code", "groups"),
    Workload("export", "CSV export, {export:,} rows (timestamp < {before})", "csv"),
)


@dataclass(frozen=True)
class Target:
    """What one peer is asked for one workload: a path (or a Lua template of paths), or why it cannot be."""

    path: str | None = None
    template: str | None = None  # printf-style path for the varied workload: %s code, %d threshold, %d limit
    missing: str | None = None


@dataclass
class Peer:
    """A column of the table: a running server and what it is asked per workload."""

    name: str
    base: str
    pid: int
    targets: dict[str, Target] = field(default_factory=dict)
    one_request_s: dict[str, float] = field(default_factory=dict)  # best of the second and third request
    first_request_s: dict[str, float] = field(default_factory=dict)  # the first, before any cache is warm


@dataclass(frozen=True)
class Run:
    peer: str
    workload: str
    round: int
    seconds: int
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass(frozen=True)
class Options:
    rows: int
    seed: int
    rounds: int
    duration: int
    max_duration: int
    skip_datasette: bool
    skip_wierde: bool
    wierde_aggregate: str | None
    out: Path
    only: tuple[str, ...] = tuple(w.key for w in WORKLOADS)  # the workloads to time
    load_before: float = 0.0  # the machine's 1-minute load average when the run began
    pinned: bool = False  # servers and wrk had a core each


# ------------------------------------------------------------------------------------------------ processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_pinning() -> tuple[list[str], list[str]]:
    """taskset prefixes: the server on one core, wrk on the other; none on a one-core machine."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2 or not shutil.which("taskset"):
        print("warning: fewer than 2 cores, server and wrk share the CPU", file=sys.stderr)
        return [], []
    return ["taskset", "-c", str(cores[1])], ["taskset", "-c", str(cores[0])]


class Processes:
    """The servers this run started, each in its own session so stopping one stops only what it spawned."""

    def __init__(self, log_dir: Path, server_prefix: list[str]) -> None:
        self.log_dir = log_dir
        self.prefix = server_prefix
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, argv: list[str], base: str, ready_path: str) -> int:
        with (self.log_dir / f"{name}.log").open("wb") as log:  # the child keeps its own copy of the handle
            proc = subprocess.Popen([*self.prefix, *argv], stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.started.append(proc)
        wait_until_up(proc, base + ready_path, self.log_dir / f"{name}.log")
        return proc.pid

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.started:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def wait_until_up(proc: subprocess.Popen[bytes], url: str, log: Path, limit_s: float = 120.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {log}:\n{tail(log)}")
        with suppress(httpx.HTTPError):
            if httpx.get(url, timeout=5, trust_env=False).status_code < 500:
                return
        time.sleep(0.3)
    raise RuntimeError(f"server not answering {url} after {limit_s:.0f} s; see {log}")


def tail(path: Path, lines: int = 15) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process from /proc, so no extra package is needed to watch it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(pids: list[int], interval: float = 0.5) -> float:
    """Wait until every server is idle: a slow peer keeps working on requests wrk has already given up on."""
    start = time.monotonic()
    while time.monotonic() - start < IDLE_MAX_WAIT:
        before = sum(cpu_seconds(p) for p in pids)
        time.sleep(interval)
        if sum(cpu_seconds(p) for p in pids) - before < IDLE_CPU_SHARE * interval:
            break
    return time.monotonic() - start


def run_quiet(argv: list[str], what: str, timeout: float = 1800) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-2000:]}")
    return done.stdout


# ------------------------------------------------------------------------------------------------ the peers


def start_minimal(procs: Processes, files: datagen.DataFiles, deep: int) -> Peer:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [str(PROJECT_BIN / "python"), str(BENCH / "minimal_server.py"), "--parquet", str(files.parquet),
            "--port", str(port)]
    pid = procs.start("minimal", argv, base, "/page?after=0&limit=1")
    return Peer("minimal", base, pid, {
        "filtered": Target(f"/filtered?{urlencode({**FILTER, 'limit': 100})}"),
        "varied": Target(f"/filtered?{VARIED_PROBE}",
                         "/filtered?gemeente_code=%s&vehicles__gt=%d&limit=%d"),
        "deep": Target(f"/page?after={deep}&limit=100"),
        "aggregate": Target("/aggregate"),
        "export": Target(f"/export.csv?timestamp__lt={EXPORT_BEFORE}"),
    })


def datasette_db(files: datagen.DataFiles) -> Path:
    """The SQLite file Datasette serves, built once per data file (sqlite-utils takes minutes for 2M rows)."""
    db = CACHE / "datasette" / files.digest[:16] / f"{DATASET}.db"
    if db.exists():
        return db
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    tool = str(PEERS_BIN / "sqlite-utils")
    print(f"building the Datasette database from {files.csv.name} (minutes for 2M rows; cached afterwards)")
    # sqlite-utils 4 detects column types by default (older releases needed --detect-types).
    run_quiet([tool, "insert", str(tmp), DATASET, str(files.csv), "--csv"], "sqlite-utils insert")
    for column in ("gemeente_code", "vehicles", "site_id", "timestamp"):
        run_quiet([tool, "create-index", str(tmp), DATASET, column], f"sqlite-utils create-index {column}")
    run_quiet([tool, "analyze", str(tmp)], "sqlite-utils analyze")
    tmp.replace(db)
    return db


def start_datasette(procs: Processes, files: datagen.DataFiles, deep: int) -> list[Peer]:
    """Datasette twice in the table: as it answers by default, and with facet suggestions turned off."""
    run_quiet(["bash", str(BENCH / "peers.sh")], "bench/peers.sh")
    db = datasette_db(files)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [str(PEERS_BIN / "datasette"), "serve", "-i", str(db), "--host", "127.0.0.1", "--port", str(port),
            *DATASETTE_SETTINGS]
    pid = procs.start("datasette", argv, base, "/-/versions.json")
    table = f"/{DATASET}/{DATASET}"
    aggregate_sql = ("select gemeente_code, sum(vehicles) as vehicles, avg(mean_speed) as mean_speed "
                     f"from {DATASET} group by gemeente_code order by gemeente_code")
    plain = {
        "filtered": Target(f"{table}.json?{urlencode({**FILTER, '_size': 100})}"),
        "varied": Target(f"{table}.json?{VARIED_PROBE.replace('limit', '_size')}",
                         f"{table}.json?gemeente_code=%s&vehicles__gt=%d&_size=%d"),
        "deep": Target(f"{table}.json?_next={deep}&_size=100"),  # rowid is the CSV line, so _next is the row
        "aggregate": Target(f"/{DATASET}.json?{urlencode({'sql': aggregate_sql})}"),
        "export": Target(f"{table}.csv?_stream=on&timestamp__lt={EXPORT_BEFORE}"),
    }
    nofacet = {key: nofacet_target(t) for key, t in plain.items() if key in ("filtered", "varied", "deep")}
    return [Peer("Datasette", base, pid, plain), Peer("Datasette _nofacet=1", base, pid, nofacet)]


def nofacet_target(target: Target) -> Target:
    return replace(target, path=f"{target.path}&_nofacet=1",
                   template=f"{target.template}&_nofacet=1" if target.template else None)


def start_wierde(procs: Processes, files: datagen.DataFiles, deep: int, home: Path, aggregate: str | None) -> Peer:
    """Ingest and publish the CSV into a fresh instance, serve it, and find the URLs its OpenAPI offers."""
    wierde = str(PROJECT_BIN / "wierde")
    print(f"wierde ingest {files.csv.name} (into {home})")
    run_quiet([wierde, "ingest", str(files.csv), "--dataset", DATASET, "--home", str(home)], "wierde ingest")
    run_quiet([wierde, "publish", DATASET, "--licence", "CC0-1.0", "--theme", "TRAN", "--home", str(home)],
              "wierde publish")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [wierde, "serve", "--home", str(home), "--port", str(port)]
    pid = procs.start("wierde", argv, base, "/api/v1/openapi.json")
    with httpx.Client(base_url=base, timeout=120, trust_env=False) as client:
        targets = wierde_targets(client, deep, aggregate)
    return Peer("Wierde", base, pid, targets)


def wierde_targets(client: httpx.Client, deep: int, aggregate: str | None) -> dict[str, Target]:
    """The URLs to ask, with the OpenAPI document as a guide only: a failing URL is caught by the checks."""
    api = api_paths(client.get("/api/v1/openapi.json").json())
    rows = f"/api/v1/datasets/{DATASET}/rows"
    # The peers' columns only: Wierde adds region codes (pv_code, gm_code) at ingest, the peers do not have them.
    fields = f"fields={SOURCE_COLUMNS}"
    return {
        "filtered": Target(f"{rows}?{urlencode({**FILTER, 'limit': 100})}&{fields}"),
        "varied": Target(f"{rows}?{VARIED_PROBE}&{fields}",
                         f"{rows}?gemeente_code=%s&vehicles__gt=%d&limit=%d&{fields}"),
        "deep": wierde_deep_target(client, rows, deep),
        "aggregate": wierde_aggregate_target(api, aggregate),
        "export": Target(f"/api/v1/datasets/{DATASET}/download?format=csv&timestamp__lt={EXPORT_BEFORE}&{fields}"),
    }


def api_paths(openapi: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI paths as full URL paths: they may be written relative to `servers[0].url` (`/api/v1`)."""
    servers = openapi.get("servers") or [{}]
    prefix = urlsplit(str(servers[0].get("url", ""))).path.rstrip("/")
    return {(p if p.startswith(prefix + "/") else prefix + p): item for p, item in openapi.get("paths", {}).items()}


def wierde_deep_target(client: httpx.Client, rows: str, deep: int, step: int = 10_000) -> Target:
    """Follow the `next` links in big pages up to row `deep`; the cursor found there is the deep page's."""
    cursor: str | None = None
    seen, deadline = 0, time.monotonic() + 600
    for _ in range(deep // step + 2):  # bounded: never more pages than the walk needs
        if seen >= deep or time.monotonic() > deadline:
            break
        params = {"limit": str(min(step, deep - seen)), "fields": SOURCE_COLUMNS,
                  **({"cursor": cursor} if cursor else {})}
        answer = client.get(rows, params=params)
        if answer.status_code != 200:
            return Target(missing=f"paging failed at row {seen:,}: HTTP {answer.status_code}")
        body = answer.json()
        seen += len(body.get("rows", []))
        cursor = dict(parse_qsl(urlsplit(next_link(body) or "").query)).get("cursor")
        if cursor is None:
            break
    if seen != deep or cursor is None:
        return Target(missing=f"could not page to row {deep:,} through `next` links (reached {seen:,})")
    return Target(f"{rows}?{urlencode({'limit': 100, 'cursor': cursor, 'fields': SOURCE_COLUMNS})}")


def next_link(body: dict[str, Any]) -> str | None:
    """The next page's URL in the shapes a row API uses: `_links.next.href`, `links.next`, or `next`."""
    for holder in (body.get("_links"), body.get("links"), body):
        if isinstance(holder, dict):
            nxt = holder.get("next")
            if isinstance(nxt, dict):
                nxt = nxt.get("href")
            if isinstance(nxt, str):
                return nxt
    return None


def wierde_aggregate_target(api: dict[str, Any], override: str | None) -> Target:
    if override:
        return Target(override)
    operation = api.get("/api/v1/datasets/{dataset_id}/aggregate", {}).get("get", {})
    names = {p.get("name") for p in operation.get("parameters", [])}
    if {"groupBy", "sum", "avg"} <= names:
        query = urlencode({"groupBy": "gemeente_code", "sum": "vehicles", "avg": "mean_speed"})
        return Target(f"/api/v1/datasets/{DATASET}/aggregate?{query}")
    if operation:
        return Target(missing="its /aggregate takes other parameters; pass the URL with --wierde-aggregate PATH")
    return Target(missing="no /aggregate endpoint in openapi.json")


# ------------------------------------------------------------------------------------------------ checks


def row_dicts(body: Any) -> list[dict[str, Any]]:
    """Rows as dicts, from a list of objects or from arrays beside a `columns` list (Datasette's default)."""
    if not isinstance(body, dict):
        body = {"rows": body}
    rows = body.get("rows") or body.get("groups") or body.get("data") or []
    names = [c["name"] if isinstance(c, dict) else c for c in body.get("columns") or []]
    return [r if isinstance(r, dict) else dict(zip(names, r, strict=False)) for r in rows]


def count_rows(body: Any) -> list[tuple[Any, ...]]:
    """Rows reduced to what every peer must agree on, whatever its JSON looks like."""
    return [
        (r["site_id"], r["gemeente_code"], str(r["timestamp"]).replace(" ", "T")[:19], int(r["vehicles"]),
         round(float(r["mean_speed"]), 1))
        for r in row_dicts(body)
    ]


def group_rows(body: Any) -> dict[str, tuple[float, ...]]:
    """Per gemeente, its sum and mean rounded, whatever the peer named them (a row count some add is left out)."""
    groups = {}
    for row in row_dicts(body):
        numbers = sorted(round(float(v), 4) for k, v in row.items() if k not in ("gemeente_code", "count"))
        groups[str(row["gemeente_code"])] = tuple(numbers)
    return groups


def fetch(client: httpx.Client, path: str) -> tuple[bytes, float]:
    started = time.perf_counter()
    answer = client.get(path)
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise ValueError(f"HTTP {answer.status_code}: {answer.text[:200]}")
    return answer.content, elapsed


def digest(check: str, body: bytes) -> Any:
    """What must be equal between peers for one workload."""
    if check == "csv":
        lines = body.decode().splitlines()
        return ("data lines", len(lines) - 1)
    data = json.loads(body)
    if check == "groups":
        return group_rows(data)
    rows = count_rows(data)
    return rows[:1] + [len(rows)] if check == "first-row" else rows


def check_peers(peers: list[Peer], expected: dict[str, Any], only: tuple[str, ...]) -> None:
    """Ask every peer each workload once (three times, for a timing floor); a wrong answer drops the workload."""
    for peer in peers:
        with httpx.Client(base_url=peer.base, timeout=120, trust_env=False) as client:
            for work in (w for w in WORKLOADS if w.key in only):
                target = peer.targets.get(work.key) or Target(missing="not offered")
                if target.missing or target.path is None:
                    continue
                try:
                    times = []
                    for _ in range(3):
                        body, elapsed = fetch(client, target.path)
                        times.append(elapsed)
                    peer.first_request_s[work.key] = times[0]
                    peer.one_request_s[work.key] = min(times[1:])
                    got = digest(work.check, body)
                except (ValueError, httpx.HTTPError, KeyError, TypeError) as exc:
                    peer.targets[work.key] = Target(missing=f"bad answer: {exc}"[:300])
                    continue
                want = expected.get(work.key)
                if want is not None and got != want:
                    peer.targets[work.key] = Target(missing=f"answer differs from the minimal server's: {got!r:.200}")
                expected.setdefault(work.key, got)


# ------------------------------------------------------------------------------------------------ timing


def parse_wrk(text: str) -> tuple[int, float, float, float, int]:
    """Requests, req/s, p50 and p99 latency (ms) and errors (non-2xx plus socket errors) from wrk's report."""
    requests = int(_search(r"(\d+) requests in", text) or 0)
    rps = float(_search(r"Requests/sec:\s+([\d.]+)", text) or 0.0)
    errors = int(_search(r"Non-2xx or 3xx responses: (\d+)", text) or 0)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if sockets:
        errors += sum(int(n) for n in sockets.groups())
    return requests, rps, _latency_ms(text, "50%"), _latency_ms(text, "99%"), errors


def _search(pattern: str, text: str) -> str | None:
    match = re.search(pattern, text)
    return match.group(1) if match else None


def _latency_ms(text: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    if not match:
        return math.nan
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
    return float(match.group(1)) * scale


def lua_script(name: str, template: str, seed: int, folder: Path) -> Path:
    path = folder / f"varied-{re.sub(r'[^A-Za-z0-9]+', '-', name)}-{seed}.lua"
    codes = ", ".join(f'"{c}"' for c in datagen.GEMEENTEN)
    path.write_text(VARIED_LUA % {"codes": codes, "seed": seed, "template": template})
    return path


def wrk(peer: Peer, work: Workload, seconds: int, seed: int, prefix: list[str], folder: Path) -> tuple[str, int]:
    target = peer.targets[work.key]
    argv = [*prefix, "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", WRK_TIMEOUT, "--latency"]
    if target.template:
        argv += ["-s", str(lua_script(peer.name, target.template, seed, folder))]
    done = subprocess.run([*argv, peer.base + (target.path or "/")], capture_output=True, text=True,
                          timeout=seconds + 90, check=False)
    return done.stdout + done.stderr, done.returncode


def run_seconds(peers: list[Peer], work: Workload, options: Options) -> int:
    """Long enough that the slowest peer answers MIN_REQUESTS times, within --duration and --max-duration."""
    slowest = max((p.one_request_s.get(work.key, 0.0) for p in peers), default=0.0)
    return int(min(max(options.duration, math.ceil(slowest * MIN_REQUESTS)), max(options.max_duration,
                                                                                   options.duration)))


def measure(peers: list[Peer], options: Options, prefix: list[str], folder: Path) -> list[Run]:
    """Every round asks every peer every workload once, peers in a rotating order, each after the servers idle."""
    pids = sorted({p.pid for p in peers})
    runs: list[Run] = []
    for work in (w for w in WORKLOADS if w.key in options.only):
        ready = [p for p in peers if is_ready(p, work)]
        seconds = run_seconds(ready, work, options)
        for peer in ready:  # warm-up, not recorded
            wait_idle(pids)
            wrk(peer, work, 1, 0, prefix, folder)
        for rnd in range(options.rounds):
            order = ready[rnd % len(ready):] + ready[:rnd % len(ready)] if ready else []
            for peer in order:
                wait_idle(pids)
                text, code = wrk(peer, work, seconds, 1000 + rnd, prefix, folder)
                run = Run(peer.name, work.key, rnd + 1, seconds, *parse_wrk(text))
                if code != 0:
                    run = replace(run, errors=run.errors + 1)
                runs.append(run)
                print(f"  round {rnd + 1} {work.key:<9} {peer.name:<22} {run.rps:9.1f} req/s  "
                      f"p50 {run.p50_ms:8.1f} ms  ({run.requests} requests in {seconds} s, {run.errors} errors)")
    return runs


def is_ready(peer: Peer, work: Workload) -> bool:
    target = peer.targets.get(work.key)
    return target is not None and not target.missing and target.path is not None


# ------------------------------------------------------------------------------------------------ report


def rps_cell(runs: list[Run]) -> str:
    """Median req/s with the spread of the rounds; a run without a single answer says so instead of "0"."""
    if not runs:
        return "n/a"
    if all(r.requests == 0 for r in runs):
        return f"0 answers in {runs[0].seconds} s"
    values = [r.rps for r in runs]
    text = num(statistics.median(values))
    return text if len(values) == 1 else f"{text} ({num(min(values))}–{num(max(values))})"


def num(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def ratio(a: list[Run], b: list[Run]) -> str:
    if not a or not b:
        return "n/a"
    top, bottom = statistics.median(r.rps for r in a), statistics.median(r.rps for r in b)
    return f"{top / bottom:.2f}×" if bottom > 0 else "n/a"


def run_length(runs: list[Run], key: str) -> str:
    seconds = sorted({r.seconds for r in runs if r.workload == key})
    return "/".join(f"{s} s" for s in seconds) or "-"


def p50_cell(runs: list[Run]) -> str:
    answered = [r.p50_ms / 1000 for r in runs if r.requests]
    return ms(statistics.median(answered)) if answered else "n/a"


def ms(seconds: float | None) -> str:
    return "n/a" if seconds is None or math.isnan(seconds) else f"{seconds * 1000:,.1f}"


def report(peers: list[Peer], runs: list[Run], options: Options, files: datagen.DataFiles, deep: int) -> str:
    names = list(dict.fromkeys(p.name for p in peers))
    timed = [w for w in WORKLOADS if w.key in options.only]
    by = {(n, w.key): [r for r in runs if (r.peer, r.workload) == (n, w.key)] for n in names for w in timed}
    pairs = [(a, b) for a, b in (("Wierde", "minimal"), ("Wierde", "Datasette"), ("Wierde", "Datasette _nofacet=1"))
             if a in names and b in names]
    titles = {w.key: w.title.format(deep=deep, export=min(EXPORT_HOURS * datagen.SITES, options.rows),
                                    before=EXPORT_BEFORE) for w in timed}
    lines = header_lines(options, files, runs)
    lines += table("Requests per second under load (median of the rounds, min–max in brackets; higher is better)",
                   ["workload", "run", *names, *(f"{a}/{b}" for a, b in pairs)],
                   [[titles[w.key], run_length(runs, w.key), *(rps_cell(by[n, w.key]) for n in names),
                     *(ratio(by[a, w.key], by[b, w.key]) for a, b in pairs)] for w in timed])
    lines += table("Latency under load, p50 in ms (median of the rounds; lower is better)", ["workload", *names],
                   [[w.key, *(p50_cell(by[n, w.key]) for n in names)] for w in timed])
    solo = {p.name: p for p in peers}
    lines += table("One request alone, ms: the first / the best of the next two (no load; lower is better)",
                   ["workload", *names],
                   [[w.key, *(f"{ms(solo[n].first_request_s.get(w.key))} / {ms(solo[n].one_request_s.get(w.key))}"
                              if w.key in solo[n].one_request_s else "n/a" for n in names)] for w in timed])
    return "\n".join(lines + notes(peers, runs, options.load_before)) + "\n"


def table(title: str, head: list[str], body: list[list[str]]) -> list[str]:
    return ["", f"## {title}", "", "| " + " | ".join(head) + " |", "|---" * len(head) + "|",
            *("| " + " | ".join(row) + " |" for row in body)]


def header_lines(options: Options, files: datagen.DataFiles, runs: list[Run]) -> list[str]:
    seconds = sorted({r.seconds for r in runs})
    pinning = "servers on one core, wrk on the other" if options.pinned else "not pinned to cores"
    return [
        "# HTTP benchmark: Wierde side by side", "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {options.rows:,} rows (sha256 {files.digest[:12]}) · "
        f"{options.rounds} round(s) · wrk -t1 -c{CONNECTIONS}, runs of {', '.join(map(str, seconds)) or '-'} s · "
        f"{pinning} · {versions()}",
    ]


def versions() -> str:
    found = []
    with suppress(Exception):
        found.append("wierde " + run_quiet([str(PROJECT_BIN / "python"), "-c",
                                            "import wierde; print(wierde.__version__)"], "version").strip())
    with suppress(Exception):
        found.append(run_quiet([str(PEERS_BIN / "datasette"), "--version"], "version").strip().replace(", version", ""))
    with suppress(Exception):
        found.append("duckdb " + run_quiet([str(PROJECT_BIN / "python"), "-c",
                                            "import duckdb; print(duckdb.__version__)"], "version").strip())
    return ", ".join(found)


def notes(peers: list[Peer], runs: list[Run], load_before: float) -> list[str]:
    out = ["", "## Notes", ""]
    load_after = os.getloadavg()[0]
    if max(load_before, load_after) > BUSY_LOAD:
        out.append(f"- **The machine was busy with other work** (1-minute load average {load_before:.1f} at the start, "
                   f"{load_after:.1f} at the end, on {os.cpu_count()} cores): these numbers are lower and noisier than "
                   "on a quiet machine; compare the ratios, or run again when it is quiet.")
    for peer in peers:
        for key, target in peer.targets.items():
            if target.missing:
                out.append(f"- {peer.name}, {key}: n/a, {target.missing}")
    for run in runs:
        if run.errors:
            out.append(f"- {run.peer}, {run.workload}, round {run.round}: {run.errors} failed requests or wrk errors")
        elif 0 < run.requests < MIN_REQUESTS:
            out.append(f"- {run.peer}, {run.workload}, round {run.round}: only {run.requests} answers in "
                       f"{run.seconds} s; requests still running when the run ends are not counted, so this is low")
    out.append("- Wierde keeps rendered JSON answers of published open data in memory, so repeated identical "
               "requests (filtered, deep, aggregate) are answered from that cache; the varied row asks a "
               "different query each time and shows the uncached cost.")
    return out


# ------------------------------------------------------------------------------------------------ main


@contextmanager
def wierde_home() -> Iterator[Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="wierde-home-", dir=CACHE))
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def start_peers(procs: Processes, options: Options, files: datagen.DataFiles, deep: int, home: Path) -> list[Peer]:
    peers: list[Peer] = []
    starters: list[tuple[str, Callable[[], list[Peer]]]] = []
    if not options.skip_wierde:
        starters.append(("Wierde", lambda: [start_wierde(procs, files, deep, home, options.wierde_aggregate)]))
    starters.append(("minimal", lambda: [start_minimal(procs, files, deep)]))
    if not options.skip_datasette:
        starters.append(("Datasette", lambda: start_datasette(procs, files, deep)))
    for name, start in starters:
        try:
            peers += start()
        except (RuntimeError, OSError, ValueError, httpx.HTTPError, subprocess.TimeoutExpired) as exc:
            if name == "minimal":
                raise  # the reference every answer is checked against
            print(f"warning: {name} left out: {exc}", file=sys.stderr)
            peers.append(Peer(name, "", 0, {w.key: Target(missing=f"could not start: {exc}"[:300])
                                            for w in WORKLOADS}))
    return peers


def run(options: Options) -> str:
    server_prefix, wrk_prefix = cpu_pinning()
    options = replace(options, load_before=os.getloadavg()[0], pinned=bool(server_prefix))
    if not shutil.which("wrk"):
        run_quiet(["bash", str(BENCH / "peers.sh"), "--no-datasette"], "installing wrk")
    files = datagen.generate(options.rows, options.seed)
    deep = min(DEEP_ROW, options.rows // 2)
    log_dir = options.out.parent / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    procs = Processes(log_dir, server_prefix)
    try:
        with wierde_home() as home:
            peers = start_peers(procs, options, files, deep, home)
            minimal_first = sorted(peers, key=lambda p: p.name != "minimal")
            check_peers(minimal_first, {}, options.only)
            runs = measure([p for p in peers if p.pid], options, wrk_prefix, log_dir)
    finally:
        procs.stop_all()
    text = report(peers, runs, options, files, deep)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(text)
    options.out.with_suffix(".json").write_text(json.dumps([asdict(r) for r in runs], indent=1))
    return text


def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(description="Side-by-side HTTP benchmark (see bench/README.md).")
    parser.add_argument("--rows", type=int, default=datagen.DEFAULT_ROWS, help="rows of generated data")
    parser.add_argument("--seed", type=int, default=datagen.DEFAULT_SEED)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the table shows medians")
    parser.add_argument("--duration", type=int, default=4, help="seconds per wrk run (at least)")
    parser.add_argument("--max-duration", type=int, default=30,
                        help=f"longest run for a slow workload, which runs until about {MIN_REQUESTS} answers")
    parser.add_argument("--skip-datasette", action="store_true")
    parser.add_argument("--skip-wierde", action="store_true")
    parser.add_argument("--wierde-aggregate", metavar="PATH",
                        help="Wierde's aggregate URL path, instead of the one its OpenAPI describes")
    parser.add_argument("--only", metavar="KEYS", default=",".join(w.key for w in WORKLOADS),
                        help="comma-separated workloads to time (default all: %(default)s)")
    parser.add_argument("--out", type=Path, default=RESULTS / "http.md")
    args = parser.parse_args(argv)
    only = tuple(k.strip() for k in args.only.split(",") if k.strip())
    if not only or set(only) - {w.key for w in WORKLOADS}:
        parser.error(f"--only takes workloads from: {', '.join(w.key for w in WORKLOADS)}")
    if args.rows < 1000 or args.rounds < 1 or args.duration < 1:
        parser.error("--rows must be at least 1000, --rounds and --duration at least 1")
    return Options(args.rows, args.seed, args.rounds, args.duration, args.max_duration, args.skip_datasette,
                   args.skip_wierde, args.wierde_aggregate, args.out, only=only)


def main(argv: list[str] | None = None) -> int:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress lines show up as they happen
    print(run(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
