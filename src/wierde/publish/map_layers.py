"""Maps without HTTP: a geodataset's features for one view of the map, and region-keyed numbers on region boundaries
(a choropleth); both behind the one access check, and never the whole of a large dataset at once.

A view gets at most MAX_FEATURES features: shapes simplified to half a screen pixel at its zoom, or, when more
features lie in view, a count per grid cell. This module answers a view; the parts are modules of their own:
map_view (the box and zoom), map_geo (the dataset's geometry), map_features (shapes and clusters read from the
file), map_points (point layers held in memory), map_choropleth with map_classes, and map_answer (caching).
"""

from __future__ import annotations

from typing import Any

from wierde.protect import access
from wierde.protect.access import Principal
from wierde.publish import datasets
from wierde.publish.cache import ResponseCache
from wierde.publish.map_answer import MapAnswer, cached_answer
from wierde.publish.map_choropleth import AGGREGATES, ChoroplethOptions, choropleth, choropleth_options
from wierde.publish.map_features import (
    MAX_FEATURES,
    InView,
    cell_size,
    clusters_in_view,
    shapes_in_view,
    view_envelopes,
)
from wierde.publish.map_geo import Geo, Shape, extent_of, geo_of, geometry_sql, shape_of
from wierde.publish.map_points import points_of
from wierde.publish.map_view import MAX_ZOOM, View, view_of
from wierde.store.repository import Store

# The portal's map routes and dataset page use these from here.
__all__ = ["AGGREGATES", "MAX_FEATURES", "MAX_ZOOM", "ChoroplethOptions", "MapAnswer", "choropleth",
           "choropleth_options", "extent_of", "map_layer"]


def map_layer(store: Store, principal: Principal, dataset_id: str, *, bbox: str | None = None,
              zoom: float | None = None, cache: ResponseCache | None = None) -> MapAnswer:
    """GeoJSON (CRS84) of the current version's features in view: each one simplified for the zoom, or, when more
    than MAX_FEATURES are in view, their count per grid cell (`clustered`). Without `bbox`: the whole extent."""
    dataset = datasets.get_dataset(store, principal, dataset_id)  # the door: checked, and logged when not public
    geo = geo_of(store, principal, dataset)
    shape = shape_of(store, geo)
    view = view_of(bbox, zoom, shape.extent)
    key = ("map", geo.version.etag, geo.geometry, geo.label or "", repr(view))
    return cached_answer(key, access.public(dataset), cache, lambda: _map_document(store, geo, shape, view))


def _map_document(store: Store, geo: Geo, shape: Shape, view: View | None) -> dict[str, Any]:
    """The GeoJSON document of one view: its features, or its clusters when too many features lie in it."""
    document: dict[str, Any] = {"type": "FeatureCollection", "dataset": geo.id, "version": geo.version.number}
    if view is None:
        return {**document, "clustered": False, "numberMatched": 0, "numberReturned": 0, "features": []}
    subject, crs = geometry_sql(geo)
    in_view = InView(subject, crs, view_envelopes(view, crs))
    if not in_view.envelopes:
        return {**document, "zoom": view.zoom, "bbox": view.bbox, "clustered": False, "numberMatched": 0,
                "numberReturned": 0, "features": []}
    points = points_of(store, geo) if shape.points_only and geo.storage else None
    features = points.features(view, in_view) if points is not None else shapes_in_view(store, geo, view, in_view)
    clustered = features is None
    if features is None:
        cell = cell_size(view, in_view)
        features = (points.clusters(view, in_view, cell) if points
                    else clusters_in_view(store, geo, view, in_view, cell))
        matched = sum(f["properties"]["count"] for f in features)
    else:
        matched = len(features)
    return {**document, "zoom": view.zoom, "bbox": view.bbox, "clustered": clustered, "numberMatched": matched,
            "numberReturned": len(features), "features": features}
