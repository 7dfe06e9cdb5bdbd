"""The province's two questions answered as portal pages: bridges and traffic, and where to build.

The pages read the demo's views (demo/views.yaml) through the row API's own functions, so the access function
decides what a visitor sees here exactly as at /api/v1; the browser reads the same APIs for the maps and sliders.
Every number in the short answers is computed from the views at request time, never written into the text.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
from babel.dates import format_date
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from wierde.errors import NotFound, WierdeError
from wierde.protect.access import Principal
from wierde.publish import datasets
from wierde.publish.row_api import aggregate_answer, rows_answer
from wierde.store.repository import Store
from wierde.web import i18n
from wierde.web.deps import PrincipalDep, StoreDep
from wierde.web.i18n import _
from wierde.web.render import Renderer

router = APIRouter(include_in_schema=False)

HOURS = "brugopeningen-verkeer-per-uur"
MONTHS = "brugvertraging-per-maand"
BRIDGES = "bruggen-vertraging-natuur"
SUITABILITY = "geschiktheid-woningbouw"
DISTANCES = (500, 1000, 2000, 5000)  # metres a reader can choose between for "near nature"
DEFAULT_DISTANCE = 1000
SUMMER, WINTER = (6, 7, 8), (12, 1, 2)
COMMERCIAL, RECREATIONAL = "beroepsvaart", "recreatievaart"
RANKED = 15  # neighbourhoods in the ranking
COMPARED = 20  # the best and worst this many neighbourhoods are described in the answer
MAX_WEIGHT = 3.0


def api_path(dataset_id: str, what: str = "rows") -> str:
    return f"/api/v1/datasets/{dataset_id}/{what}"


def download_url(dataset_id: str, fmt: str = "csv", params: Sequence[tuple[str, str]] = ()) -> str:
    query = "&".join(f"{k}={v}" for k, v in [("format", fmt), *params])
    return f"{api_path(dataset_id, 'download')}?{query}"


class Reader:
    """Reads datasets for one visitor through the row API's functions (which ask the access function first)."""

    def __init__(self, request: Request, store: Store, principal: Principal) -> None:
        self.store = store
        self.principal = principal
        self.cache = request.app.state.response_cache

    def rows(self, dataset_id: str, params: Sequence[tuple[str, str]] = ()) -> list[dict[str, Any]]:
        pairs = [*params] if any(pair[0] == "limit" for pair in params) else [("limit", "10000"), *params]
        answer = rows_answer(self.store, self.principal, dataset_id, pairs, path=api_path(dataset_id),
                             cache=self.cache)
        return list(orjson.loads(answer.body or b"{}")["rows"])

    def aggregate(self, dataset_id: str, params: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        answer = aggregate_answer(self.store, self.principal, dataset_id, params, cache=self.cache)
        return list(orjson.loads(answer.body or b"{}")["groups"])

    def title(self, dataset_id: str) -> str | None:
        """The dataset's title in the page's language, or None when this visitor may not see it."""
        try:
            return datasets.title_of(datasets.get_dataset(self.store, self.principal, dataset_id), i18n.current.get())
        except WierdeError:
            return None


def renderer(request: Request) -> Renderer:
    r: Renderer = request.app.state.renderer
    return r


def missing_page(request: Request, error: WierdeError) -> HTMLResponse:
    detail = _("Deze pagina heeft de scenario-views van de demo nodig; ze ontbreken hier of zijn niet openbaar.")
    return renderer(request).error(request, 404, "", f"{detail} ({error.detail})")


# --- scenario A: bridges -------------------------------------------------------------------------------------


def month_name(month: int, width: str = "LLL") -> str:
    return format_date(date(2024, month, 1), width, locale=i18n.current.get())


@dataclass(frozen=True)
class Near:
    """Bridges within a distance of nature compared with the others."""

    distance: int
    bridges: list[dict[str, Any]]
    recreational_near: float | None  # share of openings for pleasure craft (%)
    recreational_far: float | None
    summer_near: float | None  # share of the year's delay caused in June to August (%)
    summer_far: float | None


def _share(rows: Sequence[Mapping[str, Any]], part: str, whole: str) -> float | None:
    total = sum(r[whole] or 0 for r in rows)
    return 100 * sum(r[part] or 0 for r in rows) / total if total else None


def near_nature(bridges: Sequence[Mapping[str, Any]], distance: int) -> Near:
    def close(row: Mapping[str, Any]) -> bool:
        return row["afstand_natuur_m"] is not None and row["afstand_natuur_m"] <= distance

    near, far = [dict(r) for r in bridges if close(r)], [r for r in bridges if not close(r)]
    openings, summer = ("openingen_recreatievaart", "openingen"), ("voertuiguren_zomer", "voertuiguren_vertraging")
    return Near(distance, sorted(near, key=lambda r: r["afstand_natuur_m"]), _share(near, *openings),
                _share(far, *openings), _share(near, *summer), _share(far, *summer))


@dataclass(frozen=True)
class BridgeAnswer:
    """The numbers the short answer on /scenarios/bruggen is made of."""

    total_hours: float
    recreational_pct: float
    summer_recreational: float  # vehicle-hours of delay from recreational openings, June to August
    winter_recreational: float  # the same, December to February
    peak_month: int  # the month with the most delay from recreational openings
    top: dict[str, Any]
    speed_open: float | None
    speed_usual: float | None
    queued: float | None  # vehicles waiting per hour with an opening

    @property
    def season_ratio(self) -> float | None:
        return self.summer_recreational / self.winter_recreational if self.winter_recreational else None


def bridge_answer(months: Sequence[Mapping[str, Any]], bridges: Sequence[Mapping[str, Any]],
                  hours: Mapping[str, Any]) -> BridgeAnswer:
    recreational = [r for r in months if r["soort_vaart"] == RECREATIONAL]
    total = sum(r["voertuiguren_vertraging"] for r in months)
    by_month = {r["maand"]: r["voertuiguren_vertraging"] for r in recreational}
    return BridgeAnswer(
        total_hours=total,
        recreational_pct=100 * sum(by_month.values()) / total if total else 0.0,
        summer_recreational=sum(by_month.get(m, 0) for m in SUMMER),
        winter_recreational=sum(by_month.get(m, 0) for m in WINTER),
        peak_month=max(by_month, key=lambda m: by_month[m]) if by_month else 7,
        top=dict(max(bridges, key=lambda r: r["voertuiguren_vertraging"] or 0)),
        speed_open=hours.get("avg_gem_snelheid_kmh"), speed_usual=hours.get("avg_gewone_snelheid_kmh"),
        queued=hours.get("avg_wachtende_voertuigen"),
    )


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float
    kind: str
    month: int


@dataclass(frozen=True)
class Chart:
    """A grouped bar chart's geometry in SVG units, worked out here so the template only draws it."""

    width: int
    height: int
    left: int
    bottom: int
    bars: list[Bar]
    ticks: list[tuple[float, float]]  # (y, value)
    months: list[tuple[float, int]]  # (x of the label's centre, month)


def nice_step(top: float, most: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) that divides 0..top into at most `most` parts."""
    if top <= 0:
        return 1.0
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def month_chart(rows: Sequence[Mapping[str, Any]], measure: str = "voertuiguren_vertraging") -> Chart:
    width, height, left, right, top, bottom = 720, 300, 64, 12, 12, 36
    values = {(r["maand"], r["soort_vaart"]): float(r[measure] or 0) for r in rows}
    step = nice_step(max(values.values(), default=0.0))
    ceiling = step * math.ceil(max(values.values(), default=0.0) / step) or step
    plot_h, slot = height - top - bottom, (width - left - right) / 12
    bar_w = slot * 0.36

    def y_of(value: float) -> float:
        return round(top + plot_h * (1 - value / ceiling), 1)

    bars = []
    for month in range(1, 13):
        for i, kind in enumerate((COMMERCIAL, RECREATIONAL)):
            value = values.get((month, kind), 0.0)
            x = left + slot * (month - 1) + slot * 0.14 + i * bar_w
            bars.append(Bar(round(x, 1), y_of(value), round(bar_w - 1, 1), round(plot_h * value / ceiling, 1),
                            value, kind, month))
    ticks = [(y_of(k * step), k * step) for k in range(int(round(ceiling / step)) + 1)]
    months = [(round(left + slot * (m - 0.5), 1), m) for m in range(1, 13)]
    return Chart(width, height, left, height - bottom, bars, ticks, months)


@router.get("/scenarios/bruggen", response_class=HTMLResponse)
def bridges_page(request: Request, store: StoreDep, principal: PrincipalDep, afstand: str = "") -> HTMLResponse:
    distance = int(afstand) if afstand.isdigit() and int(afstand) in DISTANCES else DEFAULT_DISTANCE
    reader = Reader(request, store, principal)
    try:
        months = reader.rows(MONTHS, [("sort", "maand,soort_vaart")])
        bridges = reader.rows(BRIDGES, [("sort", "-voertuiguren_vertraging")])
        hours = reader.aggregate(HOURS, [("avg", "gem_snelheid_kmh,gewone_snelheid_kmh,wachtende_voertuigen")])
        if not months or not bridges:
            raise NotFound(f"{MONTHS} and {BRIDGES} have no rows")
    except NotFound as error:
        return missing_page(request, error)
    near = near_nature(bridges, distance)
    return renderer(request).page(
        request, "scenario_bruggen.html", nav="bruggen", answer=bridge_answer(months, bridges, hours[0]),
        near=near, distances=DISTANCES, months=months, bridges=bridges, chart=month_chart(months),
        month_name=month_name, kinds={COMMERCIAL: _("beroepsvaart"), RECREATIONAL: _("recreatievaart")},
        views={"hours": HOURS, "months": MONTHS, "bridges": BRIDGES}, download_url=download_url,
        near_download=download_url(BRIDGES, "csv", [("afstand_natuur_m__lte", str(distance))]),
        map_texts=bridge_map_texts(),
        map_data={"bridges": f"{api_path('bruggen')}?format=geojson&fields=bridge_id,naam,geometry&limit=1000",
                  "delays": f"{api_path(BRIDGES)}?limit=1000",
                  "nature": f"{api_path('recreatiegebieden')}?format=geojson&fields=naam,soort,geometry&limit=1000",
                  "context": f"{api_path('gemeenten')}?format=geojson&fields=naam,geometry&limit=500"},
    )


def bridge_map_texts() -> dict[str, str]:
    return {"hours": _("voertuiguren vertraging"), "openings": _("openingen"), "legend": _("Vertraging in 2024"),
            "nature": _("natuur- of recreatiegebied"), "marina": _("jachthaven"),
            "failed": _("De kaart kon niet laden."),
            "shown": _("{n} bruggen op de kaart; de grootte van een cirkel is de vertraging die de brug veroorzaakte.")}


# --- scenario B: where to build ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Factor:
    """One factor of the suitability score: its 0..1 column, the value behind it and where that comes from."""

    column: str
    value: str
    weight: float  # the default, as in the view's SQL (demo/views.yaml)
    label: str
    better: str
    source: str


def factors() -> list[Factor]:
    """The view's nine factors with their default weights; labels in the page's language."""
    return [
        Factor("f_bevolkingsgroei", "groei_pct_per_jaar", 1.0, _("Bevolkingsgroei"),
               _("meer groei is gunstiger (% per jaar, 2015-2025)"), "bevolking"),
        Factor("f_migratiesaldo", "migratiesaldo_per_1000", 0.5, _("Migratiesaldo van de gemeente"),
               _("meer vestiging dan vertrek is gunstiger (per 1.000 inwoners per jaar)"), "migratie"),
        Factor("f_hoogte", "gemiddelde_hoogte_m_nap", 1.0, _("Gemiddelde maaiveldhoogte"),
               _("hoger is veiliger (m NAP)"), "hoogte"),
        Factor("f_laagste_punt", "laagste_punt_m_nap", 1.0, _("Laagste punt"), _("hoger is veiliger (m NAP)"),
               "hoogte"),
        Factor("f_vervangingsbehoefte", "aandeel_label_efg_pct", 0.5, _("Vervangingsbehoefte"),
               _("meer woningen met energielabel E, F of G telt als gunstig: nieuwbouw kan ze vervangen"),
               "woningen"),
        Factor("f_station", "afstand_treinstation_km", 1.5, _("Afstand tot een treinstation"),
               _("dichterbij is gunstiger (km hemelsbreed)"), "buurten"),
        Factor("f_hoofdweg", "afstand_hoofdweg_km", 0.5, _("Afstand tot een hoofdweg"),
               _("dichterbij is gunstiger (km hemelsbreed)"), "buurten"),
        Factor("f_hernieuwbaar", "hernieuwbaar_pct", 0.5, _("Hernieuwbare energie in de gemeente"),
               _("een groter aandeel is gunstiger (% van het verbruik)"), "energie"),
        Factor("f_aardbevingen", "max_pgv_mm_s", 1.5, _("Grondbeweging door aardbevingen"),
               _("minder is veiliger (sterkste geschatte trilling, mm/s)"), "aardbevingen"),
    ]


def weights_from(params: Mapping[str, str], known: Sequence[Factor]) -> dict[str, float]:
    """The weights asked for in the address (`f_station=2`), between 0 and MAX_WEIGHT; the defaults otherwise."""
    weights = {}
    for factor in known:
        try:
            asked = float(params.get(factor.column, factor.weight))
        except ValueError:
            asked = factor.weight
        weights[factor.column] = min(max(asked, 0.0), MAX_WEIGHT) if math.isfinite(asked) else factor.weight
    return weights


def score(row: Mapping[str, Any], weights: Mapping[str, float]) -> float | None:
    """The weighted mean of the factors the row has, as the view computes it (a missing factor is left out)."""
    present = [(w, row[c]) for c, w in weights.items() if row.get(c) is not None]
    total = sum(w for w, _value in present)
    return sum(w * v for w, v in present) / total if total else None


def ranking(rows: Sequence[Mapping[str, Any]], weights: Mapping[str, float]) -> list[tuple[int, dict[str, Any]]]:
    """Neighbourhoods with a score, best first (ties by code), numbered as the view's `rang` (1, 2, 2, 4)."""
    scored = [{**row, "score": s} for row in rows if (s := score(row, weights)) is not None]
    scored.sort(key=lambda r: (-r["score"], r["bu_code"]))
    ranked: list[tuple[int, dict[str, Any]]] = []
    for i, row in enumerate(scored):
        same = ranked and ranked[-1][1]["score"] == row["score"]
        ranked.append((ranked[-1][0] if same else i + 1, row))
    return ranked


@dataclass(frozen=True)
class BuildAnswer:
    best: list[dict[str, Any]]
    worst: list[dict[str, Any]]
    best_municipality: tuple[str, int]  # the municipality with most neighbourhoods among the best COMPARED
    strongest: Factor  # where the best neighbourhoods beat the province's average by most
    weakest: Factor  # where the worst neighbourhoods fall short of it by most


def _mean(group: Sequence[Mapping[str, Any]], column: str) -> float:
    values = [r[column] for r in group if r.get(column) is not None]
    return sum(values) / len(values) if values else 0.0


def build_answer(ranked: Sequence[tuple[int, dict[str, Any]]], known: Sequence[Factor]) -> BuildAnswer | None:
    """What sets the best and the worst neighbourhoods apart: their factors compared with the province's mean."""
    rows = [row for _place, row in ranked]
    if len(rows) < 3:
        return None
    best, worst = rows[:COMPARED], rows[-COMPARED:]
    average = {f.column: _mean(rows, f.column) for f in known}
    place, count = Counter(r["gemeente_naam"] for r in best).most_common(1)[0]
    return BuildAnswer(rows[:3], rows[-3:], (place, count),
                       max(known, key=lambda f: _mean(best, f.column) - average[f.column]),
                       max(known, key=lambda f: average[f.column] - _mean(worst, f.column)))


@router.get("/scenarios/bouwen", response_class=HTMLResponse)
def build_page(request: Request, store: StoreDep, principal: PrincipalDep) -> HTMLResponse:
    reader = Reader(request, store, principal)
    known = factors()
    columns = ["bu_code", "buurt_naam", "gemeente_naam", *(f.column for f in known)]
    try:
        rows = reader.rows(SUITABILITY, [("fields", ",".join(columns))])
    except NotFound as error:
        return missing_page(request, error)
    weights = weights_from(request.query_params, known)
    ranked = ranking(rows, weights)
    defaults = weights_from({}, known)
    return renderer(request).page(
        request, "scenario_bouwen.html", nav="bouwen", factors=known, weights=weights, ranked=ranked[:RANKED],
        answer=build_answer(ranking(rows, defaults), known), changed=weights != defaults,
        sources={f.source: reader.title(f.source) for f in known}, view=SUITABILITY, download_url=download_url,
        max_weight=MAX_WEIGHT, compared=COMPARED, map_texts=build_map_texts(),
        map_data={"regions": f"{api_path(SUITABILITY, 'choropleth')}?level=buurt&measure=score",
                  "rows": f"{api_path(SUITABILITY)}?limit=1000&fields={','.join(columns)}",
                  "factors": [{"column": f.column, "weight": f.weight} for f in known], "ranked": RANKED},
    )


def build_map_texts() -> dict[str, str]:
    return {"legend": _("Score (0 tot 1)"), "noData": _("Geen score (minder dan 100 inwoners)"),
            "score": _("score"), "failed": _("De kaart kon niet laden."),
            "updated": _("Ranglijst en kaart bijgewerkt: nummer 1 is nu {name} ({place})."),
            "none": _("Met alle gewichten op 0 is er geen score.")}
