"""Map layers for the portal: large geodata served simplified per zoom, region-keyed data as choropleths."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from wierde.publish import map_layers
from wierde.web.api import API_VERSION, DatasetId
from wierde.web.deps import PrincipalDep, StoreDep

router = APIRouter(prefix="/api/v1", tags=["maps"])
GEOJSON = "application/geo+json"
GEOJSON_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "A GeoJSON FeatureCollection in CRS84 (longitude, latitude).",
          "content": {GEOJSON: {"schema": {"type": "object"}}}},
}
Zoom = Annotated[float | None, Query(ge=0, le=map_layers.MAX_ZOOM,
                                     description="The map's zoom level (Web Mercator, 256-pixel tiles).")]


def map_response(request: Request, answer: map_layers.MapAnswer) -> Response:
    """Open data may be kept by browsers and proxies for a minute; anything else by nobody (access.public)."""
    cache_control = "public, max-age=60" if answer.public else "private, no-store"
    headers = {**API_VERSION, "ETag": answer.etag, "Cache-Control": cache_control}
    if answer.public and request.headers.get("if-none-match") == answer.etag:
        return Response(status_code=304, headers=headers)
    return Response(answer.body, media_type=GEOJSON, headers=headers)


@router.get("/datasets/{dataset_id}/map", operation_id="getMapLayer", response_class=Response,
            responses=GEOJSON_RESPONSE)
def map_layer(
    request: Request,
    dataset_id: DatasetId,
    store: StoreDep,
    principal: PrincipalDep,
    bbox: Annotated[str | None, Query(description="The view: `minLon,minLat,maxLon,maxLat` (CRS84). "
                                                  "Without it, the whole dataset.")] = None,
    zoom: Zoom = None,
) -> Response:
    """The features of a geodataset in one view of a map, at most a few thousand: shapes simplified to half a
    pixel at `zoom`, or, when more lie in view, their number per grid cell (`clustered: true`, each feature a
    point with `count`). Each feature's `id` is its item id in the OGC API (`/ogc/collections/{id}/items/{fid}`)."""
    answer = map_layers.map_layer(store, principal, dataset_id, bbox=bbox, zoom=zoom,
                                  cache=request.app.state.response_cache)
    return map_response(request, answer)


@router.get("/datasets/{dataset_id}/choropleth", operation_id="getChoropleth", response_class=Response,
            responses=GEOJSON_RESPONSE)
def choropleth(
    request: Request,
    dataset_id: DatasetId,
    store: StoreDep,
    principal: PrincipalDep,
    level: Annotated[Literal["gemeente", "wijk", "buurt"], Query(
        description="Regions to show: municipalities, districts or neighbourhoods.")] = "gemeente",
    measure: Annotated[str | None, Query(description="A numeric column; the first one when not given.")] = None,
    period: Annotated[str | None, Query(description="A value of the `period` (or year) column, or a year of it; "
                                                    "the latest when not given.")] = None,
    agg: Annotated[Literal["sum", "avg", "count"] | None, Query(
        description="How rows of one region combine: `sum` or `avg` of the measure, or `count` the rows; when not "
                    "given, `sum` for whole numbers and `avg` otherwise."
    )] = None,
    zoom: Zoom = None,
) -> Response:
    """A region-keyed dataset (with `gm_code`, `wk_code` or `bu_code`) as a choropleth: the regions of one level
    with `value` per region, `class` (0-based) and the class limits `breaks` (quantiles) at the top."""
    answer = map_layers.choropleth(store, principal, dataset_id, level=level, measure=measure, agg=agg,
                                   period=period, zoom=zoom, cache=request.app.state.response_cache)
    return map_response(request, answer)
