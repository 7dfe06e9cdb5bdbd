"""The catalogue as users meet it: search with facets over what the principal may see."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wierde.catalog.search import SearchDoc, SearchIndex, SearchResult
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
    meta = dataset.meta
    title = meta.get("title")
    title_nl = str(title.get("nl") or dataset.id) if isinstance(title, dict) else str(title or dataset.id)
    keywords = meta.get("keywords") or {}
    keyword_nl = keywords.get("nl", []) if isinstance(keywords, dict) else list(keywords)
    text = " . ".join(_texts(title) + _texts(meta.get("description")) + _texts(keywords) + [dataset.id])
    licence = meta.get("licence")
    return SearchDoc(
        id=dataset.id,
        text=text,
        title=title_nl,
        modified=dataset.updated_at.isoformat(),
        facets={
            "theme": tuple(meta.get("themes") or ()),
            "publisher": (str(meta.get("publisher") or ""),) if meta.get("publisher") else (),
            "format": formats_of(version),
            "licence": (str(licence),) if licence else (),
            "keyword": tuple(str(k) for k in keyword_nl),
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
