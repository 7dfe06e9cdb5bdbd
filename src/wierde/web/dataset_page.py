"""Everything a dataset's portal page shows, gathered through the same functions the API uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from wierde.catalog import vocab
from wierde.catalog.completeness import completeness, label
from wierde.catalog.model import DatasetMetadata
from wierde.errors import WierdeError
from wierde.publish import rows
from wierde.publish.catalog import formats_of
from wierde.publish.download import columns_of
from wierde.store import harvest_log
from wierde.store.records import DatasetRecord, VersionRecord
from wierde.store.repository import Store
from wierde.web import i18n
from wierde.web.i18n import _

PREVIEW_ROWS = 20
FORMAT_LABELS = {"csv": "CSV", "json": "JSON", "parquet": "Parquet", "xlsx": "Excel (XLSX)",
                 "geojson": "GeoJSON", "gpkg": "GeoPackage"}


def operators() -> list[tuple[str, str]]:
    return [("eq", _("is gelijk aan")), ("contains", _("bevat")), ("gt", _("groter dan")),
            ("lt", _("kleiner dan")), ("ne", _("is niet"))]


def metadata_of(dataset: DatasetRecord) -> DatasetMetadata | None:
    try:
        return DatasetMetadata.from_mapping(dataset.meta or {"title": dataset.id}, where=dataset.id)
    except WierdeError:
        return None


def facts(dataset: DatasetRecord, meta: DatasetMetadata | None, lang: str) -> list[tuple[str, str]]:
    out = [(_("Identificatie"), dataset.id)]
    if meta is None:
        return out
    out.append((_("Uitgever"), meta.publisher.name or meta.publisher.uri))
    if meta.contact_point:
        out.append((_("Contact"), " · ".join(x for x in (meta.contact_point.name, meta.contact_point.email) if x)))
    if meta.temporal:
        out.append((_("Periode"), f"{i18n.day(meta.temporal.start)} – {i18n.day(meta.temporal.end)}"))
    if meta.spatial:
        out.append((_("Gebied"), ", ".join(meta.spatial)))
    if meta.accrual_periodicity and meta.accrual_periodicity in vocab.FREQUENCIES:
        out.append((_("Verversing"), vocab.FREQUENCIES[meta.accrual_periodicity].label(lang)))
    if meta.access_rights in vocab.ACCESS_RIGHTS:
        out.append((_("Toegang"), vocab.ACCESS_RIGHTS[meta.access_rights].label(lang)))
    if meta.issued:
        out.append((_("Uitgegeven"), i18n.day(meta.issued)))
    if meta.modified:
        out.append((_("Gewijzigd"), i18n.day(meta.modified)))
    if meta.language:
        out.append((_("Taal"), ", ".join(meta.language)))
    if meta.source:
        out.append((_("Bron"), meta.source))
    return out


def preview(store: Store, version: VersionRecord, params: Mapping[str, str]) -> dict[str, Any]:
    """The preview table: at most 20 rows, sortable by header links and filterable by one condition."""
    columns = columns_of(version)
    filt = {"f": params.get("f", ""), "op": params.get("op", "eq"), "v": params.get("v", "")}
    sort = params.get("sort", "")
    pairs: list[tuple[str, str]] = [("limit", str(PREVIEW_ROWS))]
    if sort:
        pairs.append(("sort", sort))
    if params.get("cursor"):
        pairs.append(("cursor", params["cursor"]))
    if filt["f"] and filt["v"]:
        pairs.append((filt["f"] if filt["op"] == "eq" else f"{filt['f']}__{filt['op']}", filt["v"]))
    error = None
    try:
        query = rows.parse_query(pairs, columns, default_limit=PREVIEW_ROWS)
        page = rows.run_query(store.duck(), store.path_of(version), columns, query, known_total=version.row_count)
    except WierdeError as exc:
        error = exc.detail
        query = rows.parse_query([("limit", str(PREVIEW_ROWS))], columns)
        page = rows.run_query(store.duck(), store.path_of(version), columns, query, known_total=version.row_count)
    base = {k: v for k, v in filt.items() if v and filt["v"]}

    def sort_url(name: str) -> str:
        new = "-" + name if sort == name else name
        return "?" + urlencode({**base, "sort": new}) + "#preview-h"

    next_url = "?" + urlencode({**base, **({"sort": sort} if sort else {}), "cursor": page.next_cursor}) \
        if page.next_cursor else None
    shown = [c for c in columns if c.type != "geometry"][:12]
    return {"page": page, "columns": columns, "shown_columns": shown, "filt": filt, "sort": sort,
            "sort_url": sort_url, "next_url": next_url and next_url + "#preview-h", "preview_error": error,
            "operators": operators()}


def context(store: Store, dataset: DatasetRecord, params: Mapping[str, str], lang: str) -> dict[str, Any]:
    meta = metadata_of(dataset)
    version = store.version(dataset.id) if dataset.current_version else None
    score = completeness(meta) if meta else None
    licence = vocab.LICENCES.get(meta.licence) if meta and meta.licence else None
    keywords = (meta.keywords.get(lang) or meta.keywords.get("nl") or []) if meta else []
    formats = [{"name": f, "label": FORMAT_LABELS[f], "hint": ""} for f in formats_of(version)]
    ctx: dict[str, Any] = {
        "dataset": dataset, "meta": dataset.meta, "title": i18n.pick(dataset.meta.get("title")) or dataset.id,
        "description": i18n.pick(dataset.meta.get("description")), "keywords": keywords, "licence": licence,
        "completeness": {"percent": round((score.score if score else 0) * 100),
                         "missing": [label(f, lang) for f in (score.missing if score else ())]},
        "formats": formats, "version": version, "versions": store.versions(dataset.id) if version else [],
        "facts": facts(dataset, meta, lang), "geo": bool(version and version.geometry_columns),
        "page": None, "example_filter": "",
        "harvest": next(iter(harvest_log.history(store, dataset_id=dataset.id, limit=1)), None),
        "outcomes": {"new-version": _("nieuwe versie"), "unchanged": _("ongewijzigd"), "failed": _("mislukt"),
                     "running": _("bezig")},
    }
    if version:
        ctx.update(preview(store, version, params))
        first = next((c for c in ctx["shown_columns"] if c.type == "string"), None)
        if first and ctx["page"].rows:
            ctx["example_filter"] = urlencode({first.name: ctx["page"].rows[0].get(first.name) or ""})
    return ctx
