"""Indicators on the web: the dashboard, a card per indicator (also embeddable), CSV and SVG downloads, the API.

Every door asks the access function first: an indicator is shown only to whom may see its own dataset and
every dataset it is computed from (and every column its measure reads).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from wierde.errors import Forbidden, NotFound
from wierde.monitor import chart, periods
from wierde.monitor.auto import compute_and_alert, define_indicator
from wierde.monitor.card import Card, Values, build_card, load_values
from wierde.monitor.compute import all_indicators
from wierde.monitor.names import region_names
from wierde.monitor.outputs import ComputedOut, IndicatorDetailOut, IndicatorOut, detail_out, indicator_out
from wierde.monitor.spec import LEVELS, IndicatorSpec, find_indicator, parse_indicator
from wierde.protect import access, release
from wierde.protect.access import Principal
from wierde.publish import datasets as ds
from wierde.store.records import DatasetRecord
from wierde.store.repository import Store
from wierde.web import i18n
from wierde.web.api import API_VERSION
from wierde.web.deps import PrincipalDep, StoreDep
from wierde.web.i18n import _
from wierde.web.render import Renderer, licence_label, theme_label

router = APIRouter()
IndicatorId = Annotated[str, Path(description="The indicator's id, e.g. `hernieuwbare-energie`.",
                                  pattern=r"^[a-z0-9][a-z0-9_-]*$")]
RegionParam = Annotated[str | None, Query(description="A region code (GM0014) or group; default: the indicator's "
                                                      "own default region.", pattern=r"^[A-Za-z0-9_-]{1,100}$")]
EMBEDDABLE = {"Content-Security-Policy": "frame-ancestors *"}


# --- access ------------------------------------------------------------------------------------------------


def _uses_hidden_columns(principal: Principal, spec: IndicatorSpec, datasets: dict[str, DatasetRecord]) -> bool:
    return any(set(part.columns) & access.hidden_columns(principal, datasets[part.source]) for part in spec.parts)


def may_see(store: Store, principal: Principal, spec: IndicatorSpec) -> bool:
    """For lists: the indicator's dataset, its inputs (their current versions released) and the columns its
    measure reads are all visible; the same answer `visible` gives, without logging every look at a list."""
    try:
        datasets = {d: store.dataset(d) for d in (spec.dataset_id, *spec.inputs)}
    except NotFound:
        return False
    if not all(access.can_see(principal, d) and d.current_version is not None for d in datasets.values()):
        return False
    if any(release.withheld(store, principal, d, store.version(d.id)) for d in datasets.values()):
        return False
    return not _uses_hidden_columns(principal, spec, datasets)


def visible(store: Store, principal: Principal, indicator_id: str) -> tuple[IndicatorSpec, list[DatasetRecord]]:
    """One indicator through the door check of every dataset behind it (reads of non-public data are audited)."""
    spec = find_indicator(all_indicators(store), indicator_id)
    try:
        store.dataset(spec.dataset_id)
    except NotFound:
        raise NotFound(f"indicator {indicator_id!r} has no values yet") from None
    datasets = {d: ds.get_dataset(store, principal, d) for d in (spec.dataset_id, *spec.inputs)}
    if _uses_hidden_columns(principal, spec, datasets):
        raise NotFound(f"indicator {indicator_id!r} does not exist")
    return spec, [datasets[d] for d in spec.inputs]


def _names(store: Store, principal: Principal) -> dict[str, str]:
    return region_names(store, lambda d: access.can_see(principal, d))


def _card(store: Store, principal: Principal, spec: IndicatorSpec, region: str | None) -> tuple[Card, Values]:
    version = store.version(spec.dataset_id)
    values = load_values(store, version)
    return build_card(spec, version, values, region, _names(store, principal)), values


def _public(store: Store, spec: IndicatorSpec) -> bool:
    return all(access.public(store.dataset(d)) for d in (spec.dataset_id, *spec.inputs))


def _cache_headers(store: Store, spec: IndicatorSpec) -> dict[str, str]:
    return {"Cache-Control": "public, max-age=60" if _public(store, spec) else "private, no-store"}


# --- words -------------------------------------------------------------------------------------------------


def pick(texts: Mapping[str, str]) -> str:
    """The text in the page's language (Dutch when there is none); specs hold read-only mappings."""
    return i18n.pick(dict(texts))


def fmt(spec: IndicatorSpec, value: float | None) -> str:
    return "–" if value is None else i18n.number(value, spec.decimals)


def with_unit(spec: IndicatorSpec, value: float | None) -> str:
    return "–" if value is None else f"{fmt(spec, value)} {pick(spec.unit)}"


def level_word(level: str) -> str:
    return {"province": _("provincie"), "gemeente": _("gemeente"), "wijk": _("wijk"), "buurt": _("buurt"),
            "group": _("groep")}.get(level, level)


def status_word(status: str | None, flag: str | None) -> str:
    words = {"provisional": _("voorlopig"), "final": _("definitief"), "suppressed": _("afgeschermd"),
             "rounded": _("afgerond")}
    return ", ".join(words[w] for w in (status, flag) if w in words)


def trend_sentence(card: Card) -> str:
    trend = card.trend
    if trend.direction is None:
        return _("Te weinig perioden voor een trend.")
    direction = {"up": _("stijgend"), "down": _("dalend"), "flat": _("gelijkblijvend")}[trend.direction]
    verdict = {"improving": _("een verbetering"), "worsening": _("een verslechtering"),
               "stable": _("stabiel")}[trend.assessment or "stable"]
    return _("Over de laatste {n} perioden {direction}: {verdict}.").format(n=trend.periods, direction=direction,
                                                                           verdict=verdict)


def target_sentence(card: Card) -> str | None:
    target = card.target
    if target is None:
        return None
    text = _("Doel {year}: {value}.").format(year=target.year, value=with_unit(card.spec, target.value))
    if target.met is None:
        return text
    if target.met:
        return text + " " + _("Gehaald.")
    return text + " " + _("Nog {distance} te gaan.").format(distance=with_unit(card.spec, abs(target.distance or 0)))


def alt_text(card: Card) -> str:
    """The chart in words: what, where, from when to when, from what to what, the trend and the target."""
    spec, known = card.spec, [r for r in card.series if r.value is not None]
    lang = i18n.current.get()
    head = f"{pick(spec.name)}, {card.region.name(lang)}"
    if not known:
        return head + ": " + _("geen waarden.")
    first, last = known[0], known[-1]
    if len(known) == 1:
        return " ".join(x for x in (f"{head}, {periods.label(first.period, lang)}: {with_unit(spec, first.value)}.",
                                    target_sentence(card)) if x)
    span = _("{first} tot {last}, van {a} naar {b}.").format(
        first=periods.label(first.period, lang), last=periods.label(last.period, lang),
        a=with_unit(spec, first.value), b=with_unit(spec, last.value))
    return " ".join(x for x in (head + ": " + span, trend_sentence(card), target_sentence(card)) if x)


# --- what a template gets ----------------------------------------------------------------------------------


def chart_svg(card: Card, uid: str, *, standalone: bool = False) -> str:
    """The card's line chart, with its title and text alternative inside (every text in it is escaped)."""
    spec, target = card.spec, card.target
    line = None if target is None else (_("Doel {year}: {value}").format(year=target.year,
                                                                          value=fmt(spec, target.value)), target.value)
    return chart.line_chart([(periods.short_label(r.period), r.value) for r in card.series],
                            title=f"{pick(spec.name)} ({pick(spec.unit)}), {card.region.name(i18n.current.get())}",
                            desc=alt_text(card), fmt=lambda v: fmt(spec, v), target=line, uid=uid,
                            standalone=standalone)


def present(card: Card, uid: str, *, full_chart: bool = True) -> dict[str, Any]:
    """What a template shows of a card, in the page's language; the SVG is escaped, so it is marked safe."""
    spec, lang, current = card.spec, i18n.current.get(), card.current
    return {
        "id": spec.id, "uid": uid, "name": pick(spec.name), "unit": pick(spec.unit),
        "theme": spec.theme, "region": card.region, "region_name": card.region.name(lang),
        "value": fmt(spec, current.value if current else None),
        "period": periods.label(card.period, lang) if card.period else "–",
        "status": status_word(current.status if current else None, current.flag if current else None),
        "target": target_sentence(card), "met": card.target.met if card.target else None,
        "trend": trend_sentence(card), "assessment": card.trend.assessment, "alt": alt_text(card),
        "chart": Markup(chart_svg(card, uid) if full_chart else ""),
        "sparkline": Markup(chart.sparkline([r.value for r in card.series])),
        "rows": [(periods.label(r.period, lang), fmt(spec, r.value), status_word(r.status, r.flag),
                  fmt(spec, r.target) if r.target is not None else "") for r in card.series],
        "region_query": "" if card.region.code == spec.default_region else f"?region={card.region.code}",
    }


def compared(card: Card) -> list[dict[str, Any]]:
    lang, spec = i18n.current.get(), card.spec
    rows = [{"name": card.region.name(lang), "level": level_word(card.region.level), "code": card.region.code,
             "value": fmt(spec, card.current.value if card.current else None), "own": True}]
    others = ([card.province] if card.province else []) + list(card.peers)
    rows += [{"name": c.region.name(lang), "level": level_word(c.region.level), "code": c.region.code,
              "value": fmt(spec, c.value), "own": False} for c in others]
    return rows


def renderer(request: Request) -> Renderer:
    r: Renderer = request.app.state.renderer
    return r


def _dashboard(store: Store, principal: Principal) -> list[tuple[str, list[dict[str, Any]]]]:
    themes: dict[str, list[dict[str, Any]]] = {}
    names = _names(store, principal)
    for i, spec in enumerate(all_indicators(store)):
        if not may_see(store, principal, spec):
            continue
        version = store.version(spec.dataset_id)
        card = build_card(spec, version, load_values(store, version), None, names)
        themes.setdefault(spec.theme, []).append(present(card, f"c{i}", full_chart=False))
    return sorted(((theme_label(code), cards) for code, cards in themes.items()), key=lambda item: item[0])


# --- pages -------------------------------------------------------------------------------------------------


@router.get("/indicators", response_class=HTMLResponse, include_in_schema=False)
def dashboard(request: Request, store: StoreDep, principal: PrincipalDep) -> HTMLResponse:
    return renderer(request).page(request, "indicators.html", nav="indicators", themes=_dashboard(store, principal),
                                  embedded=False)


@router.get("/indicators/embed", response_class=HTMLResponse, include_in_schema=False)
def dashboard_embed(request: Request, store: StoreDep, principal: PrincipalDep) -> HTMLResponse:
    page = renderer(request).page(request, "indicators.html", nav="indicators", themes=_dashboard(store, principal),
                                  embedded=True)
    page.headers.update(EMBEDDABLE)
    return page


@router.get("/indicators/{indicator_id}.csv", include_in_schema=False)
def download_csv(indicator_id: IndicatorId, store: StoreDep, principal: PrincipalDep,
                 region: RegionParam = None) -> Response:
    spec, _inputs = visible(store, principal, indicator_id)
    card, values = _card(store, principal, spec, region)
    names = _names(store, principal)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["indicator", "region_code", "region_name", "region_level", "parent_code", "period", "value",
                     "unit", "numerator", "denominator", "status", "flag", "target"])
    for row in values.rows if region is None else card.series:
        group = spec.group(row.region_code)
        name = pick(group.name) if group else names.get(row.region_code, "")
        writer.writerow([spec.id, row.region_code, name, row.region_level, row.parent_code or "", row.period,
                         _plain(row.value), pick(spec.unit), _plain(row.numerator), _plain(row.denominator),
                         row.status or "", row.flag or "", _plain(row.target)])
    filename = f"indicator-{spec.id}{'-' + region if region else ''}.csv"
    headers = {**_cache_headers(store, spec), "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(out.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8", headers=headers)


def _plain(value: float | None) -> str:
    return "" if value is None else repr(float(value))


@router.get("/indicators/{indicator_id}.svg", include_in_schema=False)
def download_svg(indicator_id: IndicatorId, store: StoreDep, principal: PrincipalDep,
                 region: RegionParam = None) -> Response:
    spec, _inputs = visible(store, principal, indicator_id)
    card, _values = _card(store, principal, spec, region)
    svg = chart_svg(card, "chart", standalone=True)
    filename = f"indicator-{spec.id}-{card.region.code}.svg"
    headers = {**_cache_headers(store, spec), "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(svg.encode("utf-8"), media_type="image/svg+xml", headers=headers)


def _card_page(request: Request, store: Store, principal: Principal, indicator_id: str, region: str | None,
               template: str) -> HTMLResponse:
    spec, inputs = visible(store, principal, indicator_id)
    card, values = _card(store, principal, spec, region)
    lang = i18n.current.get()
    sources = [{"id": d.id, "title": i18n.pick(d.meta.get("title")) or d.id,
                "licence": licence_label(str(d.meta["licence"])) if d.meta.get("licence") else None}
               for d in inputs]
    levels = [level_word(level) for level in LEVELS if level in spec.levels]
    page = renderer(request).page(
        request, template, nav="indicators", card=present(card, "chart"), spec=spec, compared=compared(card),
        path=[(r.code, r.name(lang), level_word(r.level)) for r in card.path],
        children=[(r.code, r.name(lang), level_word(r.level)) for r in card.children], sources=sources,
        levels=levels, definition=pick(spec.definition), method=pick(spec.method),
        theme_name=theme_label(spec.theme), version=card.version,
        target_source=card.target.source if card.target else None, embedded=template == "indicator_embed.html",
        synthetic=any(d.meta.get("synthetic") for d in inputs), region_level=level_word(card.region.level),
    )
    page.headers.update(_cache_headers(store, spec))
    return page


@router.get("/indicators/{indicator_id}/embed", response_class=HTMLResponse, include_in_schema=False)
def card_embed(request: Request, indicator_id: IndicatorId, store: StoreDep, principal: PrincipalDep,
               region: RegionParam = None) -> HTMLResponse:
    page = _card_page(request, store, principal, indicator_id, region, "indicator_embed.html")
    page.headers.update(EMBEDDABLE)
    return page


@router.get("/indicators/{indicator_id}", response_class=HTMLResponse, include_in_schema=False)
def card_page(request: Request, indicator_id: IndicatorId, store: StoreDep, principal: PrincipalDep,
              region: RegionParam = None) -> HTMLResponse:
    return _card_page(request, store, principal, indicator_id, region, "indicator.html")


# --- API ---------------------------------------------------------------------------------------------------


def require_steward(principal: Principal) -> None:
    if not principal.is_steward:
        raise Forbidden("only data stewards may define or compute indicators")


@router.get("/api/v1/indicators", response_model=list[IndicatorOut], operation_id="listIndicators",
            tags=["indicators"])
def list_indicators(store: StoreDep, principal: PrincipalDep, response: Response) -> list[IndicatorOut]:
    """The indicators you may see, each with its current value for its default region, unit, period, target
    and trend."""
    response.headers.update(API_VERSION)
    names = _names(store, principal)
    found = []
    for spec in all_indicators(store):
        if may_see(store, principal, spec):
            version = store.version(spec.dataset_id)
            found.append(indicator_out(build_card(spec, version, load_values(store, version), None, names)))
    return found


@router.get("/api/v1/indicators/{indicator_id}", response_model=IndicatorDetailOut, operation_id="getIndicator",
            tags=["indicators"])
def get_indicator(
    indicator_id: IndicatorId,
    store: StoreDep,
    principal: PrincipalDep,
    response: Response,
    region: RegionParam = None,
    level: Annotated[str | None, Query(description="Only values of this region level: province, gemeente, wijk, "
                                                   "buurt or group.", pattern=r"^[a-z]+$")] = None,
) -> IndicatorDetailOut:
    """An indicator's definition, sources and targets, its values per region and period, and the card of one
    region (current value, target distance, trend, comparison with the province and peer regions)."""
    response.headers.update(API_VERSION)
    spec, inputs = visible(store, principal, indicator_id)
    card, values = _card(store, principal, spec, region)
    return detail_out(card, values, inputs, level=level)


@router.post("/api/v1/indicators", response_model=IndicatorDetailOut, status_code=201,
             operation_id="defineIndicator", tags=["indicators"])
def post_indicator(
    body: dict[str, Any],
    store: StoreDep,
    principal: PrincipalDep,
    response: Response,
    replace: Annotated[bool, Query(description="Replace an indicator with the same id.")] = False,
) -> IndicatorDetailOut:
    """Define an indicator (data stewards only), with the fields of an entry of indicators.yaml: it is checked
    and computed, and kept only when the computation succeeds."""
    require_steward(principal)
    response.headers.update(API_VERSION)
    define_indicator(store, parse_indicator(body, "request body"), replace=replace)
    return get_indicator(str(body["id"]), store, principal, response)


@router.post("/api/v1/indicators/{indicator_id}/compute", response_model=ComputedOut,
             operation_id="computeIndicator", tags=["indicators"])
def compute_indicator(indicator_id: IndicatorId, store: StoreDep, principal: PrincipalDep,
                      response: Response) -> ComputedOut:
    """Compute the indicator from its inputs' current versions and evaluate its alerts (data stewards only)."""
    require_steward(principal)
    response.headers.update(API_VERSION)
    spec = find_indicator(all_indicators(store), indicator_id)
    result, deliveries = compute_and_alert(store, spec)
    return ComputedOut.of(result, sum(1 for d in deliveries if d.ok))

