"""The DCAT-AP-NL feed: every dataset the principal may see, with a distribution per download format."""

from __future__ import annotations

import logging

from wierde.catalog import dcat
from wierde.catalog.completeness import feed_blockers
from wierde.catalog.model import CatalogEntry, CatalogInfo, DatasetMetadata, Distribution
from wierde.config import Settings
from wierde.errors import WierdeError
from wierde.protect import access
from wierde.protect.access import Principal
from wierde.publish.catalog import formats_of
from wierde.store.records import DatasetRecord, VersionRecord
from wierde.store.repository import Store

log = logging.getLogger(__name__)


def catalog_info(settings: Settings) -> CatalogInfo:
    return CatalogInfo(
        base_url=settings.base_url,
        title={"nl": settings.site_title, "en": f"{settings.publisher_name} — open data"},
        description={"nl": f"Open data van {settings.publisher_name}, gepubliceerd met Wierde.",
                     "en": f"Open data of {settings.publisher_name}, published with Wierde."},
        publisher=settings.publisher,
        publisher_name=settings.publisher_name,
        homepage=settings.base_url,
    )


def entry_for(settings: Settings, dataset: DatasetRecord, version: VersionRecord | None) -> CatalogEntry | None:
    """The dataset as a feed entry, or None when its metadata cannot make a valid DCAT-AP-NL record yet."""
    try:
        meta = DatasetMetadata.from_mapping(dataset.meta or {"title": dataset.id}, where=dataset.id)
    except WierdeError as error:
        log.warning("dataset %s left out of the feed: %s", dataset.id, error.detail)
        return None
    formats = formats_of(version)
    if feed_blockers(meta, has_distributions=bool(formats)):
        return None
    base = settings.base_url.rstrip("/")
    distributions = [
        Distribution(format=f, media_type="", download_url=f"{base}/api/v1/datasets/{dataset.id}/download?format={f}",
                     access_url=f"{base}/datasets/{dataset.id}", licence=meta.licence,
                     modified=version.created_at if version else None)
        for f in formats
    ]
    return CatalogEntry(dataset_id=dataset.id, metadata=meta, landing_page=f"{base}/datasets/{dataset.id}",
                        distributions=distributions, version_id=str(version.number) if version else None,
                        modified=dataset.updated_at, row_count=version.row_count if version else None)


def catalog_entries(store: Store, principal: Principal) -> list[CatalogEntry]:
    versions = store.current_versions()
    entries = (entry_for(store.settings, d, versions.get(d.id)) for d in access.visible(principal, store.datasets()))
    return [e for e in entries if e is not None]


def feed(store: Store, principal: Principal, syntax: str) -> str:
    graph = dcat.catalog_graph(catalog_info(store.settings), catalog_entries(store, principal))
    return dcat.to_turtle(graph) if syntax == "turtle" else dcat.to_jsonld(graph)
