"""The /rows answer without HTTP: one page of a version as JSON (or a download format), with its cache key."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import orjson

from wierde.protect import access
from wierde.protect.access import Principal
from wierde.publish import aggregate, datasets, formats, rows
from wierde.publish.cache import ResponseCache
from wierde.publish.download import columns_for, etag_for
from wierde.store.records import VersionRecord
from wierde.store.repository import Store


@dataclass(frozen=True)
class Answer:
    media_type: str
    etag: str
    version: VersionRecord
    body: bytes | None = None  # small answers are whole
    chunks: Iterator[bytes] | None = None  # exports stream
    public: bool = False  # anyone may see it: shared caches may keep it


def rows_answer(
    store: Store,
    principal: Principal,
    dataset_id: str,
    params: Sequence[tuple[str, str]],
    *,
    path: str,
    accept: str | None = None,
    version: int | None = None,
    cache: ResponseCache | None = None,
) -> Answer:
    dataset = datasets.get_dataset(store, principal, dataset_id)
    record = datasets.get_version(store, principal, dataset_id, version)
    format_param = next((v for k, v in params if k == "format"), None)
    fmt = formats.negotiate(accept, format_param, has_geometry=bool(record.geometry_columns))
    query_params = [(k, v) for k, v in params if k not in ("format", "lang")]
    etag = etag_for(record, query_params, fmt.name)
    # Only what anyone may see is cached (access.public), so a cached answer can never reach the wrong person.
    if not access.public(dataset):
        cache = None
    if cache is not None and (hit := cache.get((etag,))) is not None:
        return Answer(fmt.media_type, etag, record, body=hit, public=True)
    columns = columns_for(principal, dataset, record)
    query = rows.parse_query(query_params, columns)
    if fmt.name != "json":
        sql, sql_params = rows.query_sql(store.path_of(record), columns, query, for_export=True)
        sql = f"SELECT * FROM ({sql}) LIMIT {int(query.limit)}"  # noqa: S608 - limit is an int
        chunks = formats.export(store.duck(), sql, sql_params, fmt, geometry_columns=record.geometry_columns,
                                workdir=store.settings.tmp_dir)
        return Answer(fmt.media_type, etag, record, chunks=chunks, public=access.public(dataset))
    page = rows.run_query(store.duck(), store.path_of(record), columns, query, known_total=record.row_count)
    body = orjson.dumps(page_document(dataset_id, record, page, query_params, path))
    if cache is not None:
        cache.put((etag,), body)
    return Answer(fmt.media_type, etag, record, body=body, public=access.public(dataset))


def page_document(
    dataset_id: str, version: VersionRecord, page: rows.Page, params: Sequence[tuple[str, str]], path: str
) -> dict[str, object]:
    links: dict[str, dict[str, str]] = {"self": {"href": link(path, params)}}
    if page.next_cursor:
        links["next"] = {"href": link(path, [(k, v) for k, v in params if k != "cursor"], page.next_cursor)}
    return {
        "dataset": dataset_id,
        "version": version.number,
        "total": page.total,
        "count": len(page.rows),
        "columns": [{"name": c.name, "type": c.type} for c in page.columns],
        "rows": page.rows,
        "_links": links,
    }


def link(path: str, params: Sequence[tuple[str, str]], cursor: str | None = None) -> str:
    pairs = list(params) + ([("cursor", cursor)] if cursor else [])
    return path + ("?" + urlencode(pairs) if pairs else "")


def aggregate_answer(
    store: Store,
    principal: Principal,
    dataset_id: str,
    params: Sequence[tuple[str, str]],
    *,
    cache: ResponseCache | None = None,
) -> Answer:
    """Grouped sums, means, minima and maxima of the current version, after the same access check as rows."""
    dataset = datasets.get_dataset(store, principal, dataset_id)
    record = datasets.get_version(store, principal, dataset_id)
    query_params = [(k, v) for k, v in params if k != "lang"]
    etag = etag_for(record, query_params, "aggregate")
    if not access.public(dataset):
        cache = None
    if cache is not None and (hit := cache.get((etag,))) is not None:
        return Answer("application/json", etag, record, body=hit, public=True)
    columns = columns_for(principal, dataset, record)
    aggregation = aggregate.parse_aggregation(query_params, columns)
    groups = aggregate.run_aggregation(store.duck(), store.path_of(record), columns, aggregation)
    body = orjson.dumps({"dataset": dataset_id, "version": record.number, "groupBy": list(aggregation.group_by),
                         "count": len(groups), "groups": groups})
    if cache is not None:
        cache.put((etag,), body)
    return Answer("application/json", etag, record, body=body, public=access.public(dataset))
