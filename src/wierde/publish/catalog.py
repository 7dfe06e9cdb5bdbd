"""The catalogue as users meet it: search with facets over what the principal may see."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wierde.catalog.model import DatasetMetadata
from wierde.catalog.search import SearchDoc, SearchIndex, SearchResult
from wierde.errors import WierdeError
from wierde.protect import access
from wierde.protect.access import Principal
from wierde.store.records import DatasetRecord, VersionRecord
from wierde.store.repository import Store

TABULAR_FORMATS = ("csv", "json", "parquet", "xlsx")
GEO_FORMATS = ("geojson", "gpkg")


def formats_of(version: VersionRecord | None) -> tuple[str, ...]:
    if version is None:
        return ()
    return TABULAR_FORMATS + (GEO_FORMATS if version.geometry_columns else ())


def _texts(value: object) -> list[str]:
    if isinstance(value, dict):
        out: list[str] = []
        for v in value.values():
            out.extend(_texts(v))
        return out
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)] if value else []


def search_doc(dataset: DatasetRecord, version: VersionRecord | None) -> SearchDoc:
    """Facet values are the normalised codes (TRAN, CC-BY-4.0, the publisher's URI), however the YAML spelled them."""
    meta = dataset.meta
    text = " . ".join(_texts(meta.get("title")) + _texts(meta.get("description")) + _texts(meta.get("keywords"))
                      + [dataset.id])
    try:
        parsed = DatasetMetadata.from_mapping(meta or {"title": dataset.id}, where=dataset.id)
    except WierdeError:
        parsed = None
    if parsed is None:  # still findable by its words, just without facets until its metadata is fixed
        return SearchDoc(id=dataset.id, text=text, title=dataset.id, modified=dataset.updated_at.isoformat(),
                         facets={"format": formats_of(version)})
    return SearchDoc(
        id=dataset.id,
        text=text,
        title=parsed.title.get("nl") or next(iter(parsed.title.values()), dataset.id),
        modified=dataset.updated_at.isoformat(),
        facets={
            "theme": tuple(parsed.themes),
            "publisher": (parsed.publisher.uri,),
            "format": formats_of(version),
            "licence": (parsed.licence,) if parsed.licence else (),
            "keyword": tuple(parsed.keywords.get("nl") or next(iter(parsed.keywords.values()), [])),
        },
        popularity=dataset.views + dataset.downloads,
    )


@dataclass(frozen=True)
class SearchPage:
    result: SearchResult
    datasets: list[DatasetRecord]
    versions: dict[str, VersionRecord]


class Catalog:
    """Keeps one search index per catalogue state and rebuilds it when a dataset or version changes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._index: SearchIndex | None = None
        self._generation: tuple[object, ...] = ()

    def _fresh_index(self, datasets: list[DatasetRecord], versions: dict[str, VersionRecord]) -> SearchIndex:
        generation = tuple((d.id, d.updated_at, d.status, d.current_version, d.classification) for d in datasets)
        with self._lock:
            if self._index is None or generation != self._generation:
                old = self._index
                self._index = SearchIndex([search_doc(d, versions.get(d.id)) for d in datasets])
                self._generation = generation
                if old is not None:
                    old.close()
            return self._index

    def search(
        self,
        principal: Principal,
        query: str = "",
        *,
        filters: Mapping[str, Sequence[str]] | None = None,
        sort: str = "relevance",
        offset: int = 0,
        limit: int = 20,
    ) -> SearchPage:
        datasets = self.store.datasets()
        versions = self.store.current_versions()
        index = self._fresh_index(datasets, versions)
        allowed = {d.id for d in access.visible(principal, datasets)}
        result = index.search(query, filters=filters, allowed=allowed, sort=sort, offset=offset, limit=limit)
        by_id = {d.id: d for d in datasets}
        return SearchPage(result, [by_id[i] for i in result.ids], versions)
