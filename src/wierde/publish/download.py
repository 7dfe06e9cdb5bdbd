"""Downloads: a whole version (or the rows matching filters) streamed in a chosen format, after the access check."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from wierde.protect.access import Principal
from wierde.publish import datasets, formats, rows
from wierde.store.records import VersionRecord
from wierde.store.repository import Store


@dataclass(frozen=True)
class Download:
    media_type: str
    filename: str
    chunks: Iterator[bytes]
    version: VersionRecord
    format: str


def columns_of(version: VersionRecord) -> list[rows.Column]:
    return [rows.Column(f["name"], f.get("type", "string")) for f in version.fields]


def download(
    store: Store,
    principal: Principal,
    dataset_id: str,
    format_name: str | None,
    *,
    version: int | None = None,
    params: Iterable[tuple[str, str]] = (),
    accept: str | None = None,
) -> Download:
    record = datasets.get_version(store, principal, dataset_id, version)
    fmt = formats.negotiate(accept, format_name, has_geometry=bool(record.geometry_columns), default="csv")
    columns = columns_of(record)
    query = rows.parse_query([(k, v) for k, v in params if k not in ("format", "limit", "cursor")], columns)
    sql, sql_params = rows.query_sql(store.path_of(record), columns, query, for_export=True)
    chunks = formats.export(store.duck(), sql, sql_params, fmt, geometry_columns=record.geometry_columns,
                            workdir=store.settings.tmp_dir)
    filename = f"{dataset_id}-v{record.number}.{fmt.extension}"
    store.count_use(dataset_id, download=True)
    return Download(fmt.media_type, filename, chunks, record, fmt.name)
