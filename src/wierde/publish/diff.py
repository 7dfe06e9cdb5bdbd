"""What changed between two versions: rows added, removed and changed (matched on key columns)."""
# ruff: noqa: S608  -- identifiers come from the version schema and are quoted; values are bound.

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from wierde.errors import InvalidInput
from wierde.protect.access import Principal
from wierde.publish import datasets
from wierde.sqltext import quote_ident, quote_literal
from wierde.store.records import VersionRecord
from wierde.store.repository import Store

SAMPLE = 20


@dataclass(frozen=True)
class Diff:
    old: int
    new: int
    key: tuple[str, ...]
    added: int
    removed: int
    changed: int
    columns_added: tuple[str, ...]
    columns_removed: tuple[str, ...]
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _comparable(name: str, kind: str) -> str:
    # Geometry is compared by its WKB bytes; everything else as stored.
    return f"ST_AsWKB({quote_ident(name)})" if kind == "geometry" else quote_ident(name)


def _sample(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(f"{sql} LIMIT {SAMPLE}", params)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, (str(v) if v is not None else None for v in row), strict=True))
            for row in cursor.fetchall()]


def diff_versions(store: Store, principal: Principal, dataset_id: str, old: int, new: int,
                  key: tuple[str, ...] = ()) -> Diff:
    datasets.get_dataset(store, principal, dataset_id)  # the read is checked and logged once
    a = datasets.get_version(store, principal, dataset_id, old)
    b = datasets.get_version(store, principal, dataset_id, new)
    return compare(store.duck(), store.path_of(a).as_posix(), store.path_of(b).as_posix(), a, b, key)


def compare(con: duckdb.DuckDBPyConnection, path_a: str, path_b: str, a: VersionRecord, b: VersionRecord,
            key: tuple[str, ...]) -> Diff:
    types_a = {f["name"]: f.get("type", "string") for f in a.fields}
    types_b = {f["name"]: f.get("type", "string") for f in b.fields}
    shared = [n for n in types_b if n in types_a]
    missing = [k for k in key if k not in shared]
    if missing:
        raise InvalidInput(f"key column(s) {missing} are not in both versions; shared columns: {shared}")
    cols = ", ".join(f"{_comparable(n, types_b[n])} AS {quote_ident(n)}" for n in shared)
    # Views cannot take bound parameters; the paths are the store's own, quoted as literals.
    con.execute(f"CREATE OR REPLACE TEMP VIEW diff_a AS SELECT {cols} FROM read_parquet({quote_literal(path_a)})")
    con.execute(f"CREATE OR REPLACE TEMP VIEW diff_b AS SELECT {cols} FROM read_parquet({quote_literal(path_b)})")
    if key:
        counts, samples = _keyed(con, shared, key)
    else:
        counts, samples = _whole_rows(con)
    return Diff(old=a.number, new=b.number, key=key, added=counts[0], removed=counts[1], changed=counts[2],
                columns_added=tuple(n for n in types_b if n not in types_a),
                columns_removed=tuple(n for n in types_a if n not in types_b), samples=samples)


def _whole_rows(con: duckdb.DuckDBPyConnection) -> tuple[tuple[int, int, int], dict[str, list[dict[str, Any]]]]:
    added_sql = "SELECT * FROM diff_b EXCEPT ALL SELECT * FROM diff_a"
    removed_sql = "SELECT * FROM diff_a EXCEPT ALL SELECT * FROM diff_b"
    added = con.execute(f"SELECT count(*) FROM ({added_sql})").fetchone()[0]  # type: ignore[index]
    removed = con.execute(f"SELECT count(*) FROM ({removed_sql})").fetchone()[0]  # type: ignore[index]
    samples = {"added": _sample(con, added_sql, []), "removed": _sample(con, removed_sql, [])}
    return (int(added), int(removed), 0), samples


def _keyed(con: duckdb.DuckDBPyConnection, shared: list[str],
           key: tuple[str, ...]) -> tuple[tuple[int, int, int], dict[str, list[dict[str, Any]]]]:
    on = " AND ".join(f"a.{quote_ident(k)} IS NOT DISTINCT FROM b.{quote_ident(k)}" for k in key)
    others = [n for n in shared if n not in key] or list(key)
    differs = " OR ".join(f"a.{quote_ident(n)} IS DISTINCT FROM b.{quote_ident(n)}" for n in others)
    keys_b = ", ".join(f"b.{quote_ident(k)}" for k in key)
    added_sql = f"SELECT b.* FROM diff_b b ANTI JOIN diff_a a ON {on}"
    removed_sql = f"SELECT a.* FROM diff_a a ANTI JOIN diff_b b ON {on}"
    changed_sql = f"SELECT {keys_b} FROM diff_a a JOIN diff_b b ON {on} WHERE {differs}"
    counts = tuple(
        int(con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0])  # type: ignore[index]
        for sql in (added_sql, removed_sql, changed_sql)
    )
    samples = {name: _sample(con, sql, []) for name, sql in
               (("added", added_sql), ("removed", removed_sql), ("changed", changed_sql))}
    return (counts[0], counts[1], counts[2]), samples
