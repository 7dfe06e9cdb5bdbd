"""What the API says about indicators: output models built from cards, never from stored rows or files.

camelCase on the wire, as the NL API Design Rules ask (and as the rest of /api/v1 speaks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from wierde.monitor.card import Card, Compared, RegionRef, Row, Values
from wierde.monitor.compute import Computed
from wierde.monitor.spec import IndicatorSpec
from wierde.store.records import DatasetRecord


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class RegionOut(ApiModel):
    code: str = Field(description="CBS region code (PV20, GM0014, WK001400, BU00140000) or a group's code.")
    level: str = Field(description="province, gemeente, wijk, buurt or group.")
    name: dict[str, str] = Field(description="The region's name by language; empty when not known.")

    @classmethod
    def of(cls, region: RegionRef) -> RegionOut:
        return cls(code=region.code, level=region.level, name=dict(region.names))


class TargetOut(ApiModel):
    value: float
    year: int
    distance: float | None = Field(description="Current value minus the target, in the indicator's unit.")
    distance_pct: float | None = Field(description="The distance as a percentage of the target.")
    met: bool | None
    source: dict[str, str] = Field(description="The policy the target comes from: text by language, and url.")


class TrendOut(ApiModel):
    direction: str | None = Field(description="up, down or flat over the last periods; null with too few values.")
    assessment: str | None = Field(description="improving, worsening or stable, given the indicator's direction.")
    slope: float | None = Field(description="Least-squares change per period, in the indicator's unit.")
    periods: int


class LinksOut(ApiModel):
    card: str
    embed: str
    csv: str
    svg: str
    dataset: str


class IndicatorOut(ApiModel):
    id: str
    name: dict[str, str]
    unit: dict[str, str]
    theme: str
    direction: str = Field(description="higher_is_better or lower_is_better.")
    region: RegionOut
    period: str | None = Field(description="ISO period of the current value: 2024, 2024-Q3, 2024-05 …")
    value: float | None
    status: str | None = Field(description="provisional or final, from the source (CBS); null when unknown.")
    flag: str | None = Field(description="suppressed or rounded when disclosure control changed a value behind it.")
    target: TargetOut | None
    trend: TrendOut
    links: LinksOut


class ValueOut(ApiModel):
    region_code: str
    region_level: str
    parent_code: str | None
    period: str
    value: float | None
    numerator: float | None
    denominator: float | None
    status: str | None
    flag: str | None
    target: float | None


class TargetPointOut(ApiModel):
    region: str
    year: int
    value: float
    source: dict[str, str]


class SourceOut(ApiModel):
    dataset: str
    title: dict[str, str]
    version: int | None
    url: str


class ComparedOut(ApiModel):
    region: RegionOut
    value: float | None
    flag: str | None

    @classmethod
    def of(cls, item: Compared) -> ComparedOut:
        return cls(region=RegionOut.of(item.region), value=item.value, flag=item.flag)


class IndicatorDetailOut(IndicatorOut):
    definition: dict[str, str]
    method: dict[str, str]
    statutory_code: str | None
    granularity: str
    levels: list[str]
    version: int = Field(description="The version of the indicator's dataset these values come from.")
    sources: list[SourceOut]
    targets: list[TargetPointOut]
    province: ComparedOut | None
    peers: list[ComparedOut]
    values: list[ValueOut]


class ComputedOut(ApiModel):
    indicator: str
    version: int
    created: bool = Field(description="False: the values equal a version the indicator already had.")
    rows: int
    inputs: dict[str, int]
    seconds: float
    alerts: int = Field(description="Alerts delivered after this computation.")

    @classmethod
    def of(cls, result: Computed, alerts: int) -> ComputedOut:
        return cls(indicator=result.indicator, version=result.version.number, created=result.created,
                   rows=result.version.row_count, inputs=result.inputs, seconds=result.seconds, alerts=alerts)


def links(spec: IndicatorSpec, region: str | None = None) -> LinksOut:
    query = f"?region={region}" if region else ""
    base = f"/indicators/{spec.id}"
    return LinksOut(card=base + query, embed=f"{base}/embed{query}", csv=f"{base}.csv{query}",
                    svg=f"{base}.svg{query}", dataset=f"/api/v1/datasets/{spec.dataset_id}")


def indicator_out(card: Card) -> IndicatorOut:
    spec, target, trend = card.spec, card.target, card.trend
    return IndicatorOut(
        id=spec.id, name=dict(spec.name), unit=dict(spec.unit), theme=spec.theme, direction=spec.direction,
        region=RegionOut.of(card.region), period=card.period, value=card.current.value if card.current else None,
        status=card.current.status if card.current else None, flag=card.current.flag if card.current else None,
        target=None if target is None else TargetOut(
            value=target.value, year=target.year, distance=target.distance, distance_pct=target.distance_pct,
            met=target.met, source=dict(target.source)),
        trend=TrendOut(direction=trend.direction, assessment=trend.assessment, slope=trend.slope,
                       periods=trend.periods),
        links=links(spec, None if card.region.code == spec.default_region else card.region.code),
    )


def value_out(row: Row) -> ValueOut:
    return ValueOut(region_code=row.region_code, region_level=row.region_level, parent_code=row.parent_code,
                    period=row.period, value=row.value, numerator=row.numerator, denominator=row.denominator,
                    status=row.status, flag=row.flag, target=row.target)


def detail_out(card: Card, values: Values, sources: Sequence[DatasetRecord], *, level: str | None = None
               ) -> IndicatorDetailOut:
    spec = card.spec
    targets: list[Mapping[str, Any]] = list(card.version.source.get("targets") or [])
    return IndicatorDetailOut(
        **indicator_out(card).model_dump(), definition=dict(spec.definition), method=dict(spec.method),
        statutory_code=spec.statutory_code, granularity=spec.granularity, levels=list(spec.levels),
        version=card.version.number,
        sources=[SourceOut(dataset=d.id, title=_texts(d.meta.get("title"), d.id), version=d.current_version,
                           url=f"/api/v1/datasets/{d.id}") for d in sources],
        targets=[TargetPointOut(region=str(t["region"]), year=int(t["year"]), value=float(t["value"]),
                                source=dict(t.get("source") or {})) for t in targets],
        province=ComparedOut.of(card.province) if card.province else None,
        peers=[ComparedOut.of(p) for p in card.peers],
        values=[value_out(r) for r in values.rows if level is None or r.region_level == level],
    )


def _texts(value: object, fallback: str) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return {"nl": str(value or fallback)}
