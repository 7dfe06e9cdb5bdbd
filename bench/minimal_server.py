"""The benchmark's "nothing clever" baseline: Starlette and one DuckDB connection, same SQL, same Parquet file.

It has no access checks, no validation beyond int(), no catalogue and no caching: what is left is the floor that
any DuckDB-backed row API pays. Run it with the project's virtualenv:
    .venv/bin/python bench/minimal_server.py --parquet FILE --port 8001
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.csv as pa_csv
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from wierde.store.duck import connect

try:  # orjson, as Wierde uses, when it is installed; else the standard library
    import orjson

    def dumps(data: Any) -> bytes:
        return orjson.dumps(data)
except ImportError:
    import json

    def dumps(data: Any) -> bytes:
        return json.dumps(data, default=_iso, separators=(",", ":")).encode()


COLUMNS = "site_id, gemeente_code, timestamp, vehicles, mean_speed"
# Default order is file order; file_row_number is also what the deep page seeks on (keyset, no OFFSET).
FILTERED_SQL = (
    f"SELECT {COLUMNS} FROM verkeer WHERE gemeente_code = ? AND vehicles > ? ORDER BY file_row_number LIMIT ?"
)
COUNT_SQL = "SELECT count(*) FROM verkeer WHERE gemeente_code = ? AND vehicles > ?"
PAGE_SQL = f"SELECT {COLUMNS}, file_row_number FROM verkeer WHERE file_row_number >= ? ORDER BY file_row_number LIMIT ?"
AGGREGATE_SQL = (
    "SELECT gemeente_code, sum(vehicles) AS vehicles, avg(mean_speed) AS mean_speed "
    "FROM verkeer GROUP BY gemeente_code ORDER BY gemeente_code"
)
# Like an export in Wierde: file order as DuckDB keeps it (preserve_insertion_order), without a sort.
EXPORT_SQL = f"SELECT {COLUMNS} FROM verkeer WHERE timestamp < CAST(? AS TIMESTAMP)"
CSV_BATCH_ROWS = 10_000


def _iso(value: Any) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def records(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def json_response(data: Any) -> Response:
    return Response(dumps(data), media_type="application/json")


def create_app(parquet: Path) -> Starlette:
    """One in-process connection for the app; each request works on a cursor of its own (DuckDB's thread rule)."""
    con = connect(extensions=())
    con.execute(f"CREATE VIEW verkeer AS SELECT * FROM read_parquet('{parquet}', file_row_number = true)")

    def filtered(request: Request) -> Response:
        # The same two statements Wierde runs for a filtered page: the rows, and the total that matches
        # (Wierde answers with both); `total=0` leaves the count out to show what it costs.
        q = request.query_params
        where = [q["gemeente_code"], int(q.get("vehicles__gt", "0"))]
        cursor = con.cursor()
        body: dict[str, Any] = {"rows": records(cursor.execute(FILTERED_SQL, [*where, int(q.get("limit", "100"))]))}
        if q.get("total", "1") != "0":
            body["total"] = cursor.execute(COUNT_SQL, where).fetchone()[0]  # type: ignore[index]
        return json_response(body)

    def page(request: Request) -> Response:
        after, limit = int(request.query_params.get("after", "0")), int(request.query_params.get("limit", "100"))
        rows = records(con.cursor().execute(PAGE_SQL, [after, limit]))
        last = rows[-1].pop("file_row_number") if rows else None
        for row in rows:
            row.pop("file_row_number", None)
        nxt = f"/page?after={last + 1}&limit={limit}" if last is not None and len(rows) == limit else None
        return json_response({"rows": rows, "next": nxt})

    def aggregate(request: Request) -> Response:
        return json_response({"rows": records(con.cursor().execute(AGGREGATE_SQL))})

    def export_csv(request: Request) -> StreamingResponse:
        cursor = con.cursor().execute(EXPORT_SQL, [request.query_params["timestamp__lt"]])
        return StreamingResponse(csv_chunks(cursor), media_type="text/csv; charset=utf-8")

    routes = [
        Route("/filtered", filtered),
        Route("/page", page),
        Route("/aggregate", aggregate),
        Route("/export.csv", export_csv),
    ]
    return Starlette(routes=routes)


def csv_chunks(cursor: duckdb.DuckDBPyConnection) -> Iterator[bytes]:
    """The result as CSV, one Arrow batch at a time, so a large export never sits in memory whole."""
    reader = cursor.to_arrow_reader(CSV_BATCH_ROWS)
    first = True
    for batch in reader:
        out = io.BytesIO()
        pa_csv.write_csv(batch, out, pa_csv.WriteOptions(include_header=first))
        first = False
        yield out.getvalue()
    if first:  # no rows at all: still a header
        out = io.BytesIO()
        pa_csv.write_csv(reader.schema.empty_table(), out)
        yield out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the benchmark's baseline row API.")
    parser.add_argument("--parquet", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(args.parquet.resolve()), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
