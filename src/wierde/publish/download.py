"""Downloads: a whole version (or the rows matching filters) streamed in a chosen format, after the access check."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from wierde.protect import access
from wierde.protect.access import Principal
from wierde.publish import datasets, formats, rows
from wierde.publish.download_cache import DownloadCache
from wierde.store.records import DatasetRecord, VersionRecord
from wierde.store.repository import Store


@dataclass(frozen=True)
class Download:
    media_type: str
    filename: str
    chunks: Iterator[bytes] | None  # None when `file` holds the finished download
    version: VersionRecord
    format: str
    etag: str
    file: Path | None = None
    public: bool = False  # anyone may see it: shared caches may keep it


def columns_of(version: VersionRecord) -> list[rows.Column]:
    return [rows.Column(f["name"], f.get("type", "string")) for f in version.fields]


def columns_for(principal: Principal, dataset: DatasetRecord, version: VersionRecord) -> list[rows.Column]:
    """The version's columns this principal may read; the others do not exist for them."""
    hidden = access.hidden_columns(principal, dataset)
    return [c for c in columns_of(version) if c.name not in hidden]


def download(
    store: Store,
    principal: Principal,
    dataset_id: str,
    format_name: str | None,
    *,
    version: int | None = None,
    params: Iterable[tuple[str, str]] = (),
    accept: str | None = None,
    cache: DownloadCache | None = None,
) -> Download:
    """The download, checked for access first; open data comes from (or goes into) the cache when one is given."""
    dataset = datasets.get_dataset(store, principal, dataset_id)
    record = datasets.get_version(store, principal, dataset_id, version)
    fmt = formats.negotiate(accept, format_name, has_geometry=bool(record.geometry_columns), default="csv")
    wanted = [(k, v) for k, v in params if k not in ("format", "limit", "cursor", "lang")]
    etag = etag_for(record, wanted, "download-" + fmt.name)
    filename = f"{dataset_id}-v{record.number}.{fmt.extension}"
    store.count_use(dataset_id, download=True)
    # Only what anyone may see is kept, so a cached file can never reach the wrong person.
    if not access.public(dataset):
        cache = None
    if cache is not None and (hit := cache.get(etag)) is not None:
        return Download(fmt.media_type, filename, None, record, fmt.name, etag, file=hit, public=True)
    columns = columns_for(principal, dataset, record)
    query = rows.parse_query(wanted, columns)
    sql, sql_params = rows.query_sql(store.path_of(record), columns, query, for_export=True)
    chunks: Iterator[bytes] = formats.export(store.duck(), sql, sql_params, fmt,
                                             geometry_columns=record.geometry_columns, workdir=store.settings.tmp_dir)
    if cache is not None:
        chunks = cache.fill(etag, chunks)
    return Download(fmt.media_type, filename, chunks, record, fmt.name, etag, public=access.public(dataset))


def etag_for(version: VersionRecord, params: Iterable[tuple[str, str]], kind: str) -> str:
    digest = hashlib.sha256(repr((sorted(params), kind)).encode()).hexdigest()[:16]
    return f'"{version.etag}-{digest}"'
