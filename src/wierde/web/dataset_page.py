"""Everything a dataset's portal page shows, gathered through the same functions the API uses."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import Any
from urllib.parse import urlencode

from wierde.catalog import vocab
from wierde.catalog.completeness import completeness, label
from wierde.catalog.model import DatasetMetadata
from wierde.errors import NotFound, WierdeError
from wierde.protect import access
from wierde.protect.access import ANONYMOUS, Principal
from wierde.publish import map_layers, rows
from wierde.publish.catalog import formats_of
from wierde.publish.download import columns_for
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


def preview(store: Store, dataset: DatasetRecord, version: VersionRecord, params: Mapping[str, str],
            principal: Principal) -> dict[str, Any]:
    """The preview table: at most 20 rows, sortable by header links and filterable by one condition; only the
    columns this principal may read."""
    columns = columns_for(principal, dataset, version)
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


def level_labels() -> dict[str, str]:
    return {"gemeente": _("Gemeenten"), "wijk": _("Wijken"), "buurt": _("Buurten")}


def map_texts() -> dict[str, str]:
    """What map.js writes on a map, in the page's language (it has no translations of its own)."""
    return {
        "loading": _("De kaart wordt geladen…"), "failed": _("De kaart kon niet worden geladen."),
        "shown": _("{n} objecten in beeld."),
        "counted": _("{n} objecten in beeld, geteld per vak; zoom in om ze los te zien."),
        "cluster": _("{n} objecten; klik om in te zoomen"), "details": _("Bekijk dit object"),
        "legend": _("Legenda"), "noData": _("Geen gegevens"),
        "sum": _("som"), "avg": _("gemiddelde"), "count": _("aantal"),
        "region": _("Gebied"), "code": _("Code"), "value": _("Waarde"), "rows": _("Rijen"),
        "regions": _("{n} gebieden op de kaart"), "unmatched": _("Zonder grens op de kaart: {codes}."),
        "tableCaption": _("Waarden per gebied, zoals op de kaart"),
    }


def map_context(store: Store, dataset: DatasetRecord, params: Mapping[str, str],
                principal: Principal) -> dict[str, Any]:
    """The map of a geodataset (its extent for the first view) and, for region-keyed data, the choropleth's
    choices, for a dataset the page has already let through the door; the maps fetch their data from /api/v1
    themselves, through the same door."""
    found: dict[str, Any] = {"geo_map": None, "choropleth": None, "map_texts": map_texts()}
    # The maps' own requests go through the same access check; what `principal` may not see gets no map here.
    with suppress(NotFound):  # no geometry (that this principal may see): no map of objects
        extent = map_layers.extent_of(store, principal, dataset)
        bbox = ",".join(f"{v:.6f}" for v in extent) if extent else ""
        found["geo_map"] = {"url": f"/api/v1/datasets/{dataset.id}/map", "bbox": bbox}
    options = map_layers.choropleth_options(store, principal, dataset)
    if options is not None:
        found["choropleth"] = choropleth_choice(dataset.id, options, params)
    return found


def choropleth_choice(dataset_id: str, options: map_layers.ChoroplethOptions,
                      params: Mapping[str, str]) -> dict[str, Any]:
    """The level, measure, summary and period shown first: as asked in the page's address, else the defaults."""
    level = params.get("level") if params.get("level") in options.levels else options.levels[0]
    measure = params.get("measure") if params.get("measure") in options.measures else options.measures[0]
    agg = params.get("agg") if params.get("agg") in map_layers.AGGREGATES else ""
    period = params.get("period") if params.get("period") in options.periods else ""
    chosen = {"level": level, "measure": measure, "agg": agg, "period": period}
    query = urlencode({k: v for k, v in chosen.items() if v})
    aggs = [("", _("Vanzelf")), ("sum", _("Som")), ("avg", _("Gemiddelde")), ("count", _("Aantal rijen"))]
    return {**chosen, "url": f"/api/v1/datasets/{dataset_id}/choropleth",
            "data_url": f"/api/v1/datasets/{dataset_id}/choropleth?{query}",
            "levels": [(lv, level_labels()[lv]) for lv in options.levels], "measures": options.measures,
            "periods": options.periods, "aggs": aggs}


def lineage(store: Store, dataset: DatasetRecord, version: VersionRecord | None, principal: Principal
            ) -> dict[str, Any]:
    """Where the data comes from (a view's or indicator's inputs, at their exact versions) and what is made from it
    (views and indicators reading its current version); only datasets this principal may see are named."""
    visible = {d.id for d in access.visible(principal, store.datasets())}
    inputs = version.source.get("inputs") if version else None
    made_from = sorted((k, v) for k, v in (inputs or {}).items() if k in visible) if isinstance(inputs, dict) else []
    used_by = sorted(other for other, v in store.current_versions().items()
                     if other in visible and dataset.id in (v.source.get("inputs") or {}))
    kind = "indicator" if version and "indicator" in version.source else "view" if made_from else None
    return {"made_from": made_from, "used_by": used_by, "lineage_kind": kind}


def context(store: Store, dataset: DatasetRecord, params: Mapping[str, str], lang: str,
            principal: Principal = ANONYMOUS) -> dict[str, Any]:
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
    ctx.update(lineage(store, dataset, version, principal))
    if version:
        ctx.update(map_context(store, dataset, params, principal))
        ctx.update(preview(store, dataset, version, params, principal))
        first = next((c for c in ctx["shown_columns"] if c.type == "string"), None)
        if first and ctx["page"].rows:
            ctx["example_filter"] = urlencode({first.name: ctx["page"].rows[0].get(first.name) or ""})
    return ctx
