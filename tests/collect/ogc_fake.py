"""A small stand-in for PDOK's OGC API server (gokoala), shaped after the recordings in shared/data/ogcapi.

Collections, queryables and items pages are answered the way gokoala answers them: cursor paging through `rel=next`
links that keep `f`, `limit` and `crs`, no `numberMatched`, property filters on queryables, `bbox` with `bbox-crs`,
and coordinates in RD New when `crs` asks for it (reprojected here with pyproj, as the server would).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import shapely
from pyproj import Transformer
from shapely.geometry import box, mapping, shape

from tests.helpers.replay import Answer, Route

RD_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"
CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
LATLON_URI = "http://www.opengis.net/def/crs/EPSG/0/4326"  # latitude first, as OGC API Features part 2 says
GEOJSON = "application/geo+json"
_TO_RD = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
_FROM_RD = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)

Handler = Callable[[dict[str, str]], Answer | None]


@contextmanager
def serve(route: Route) -> Iterator[str]:
    """Like `tests.helpers.replay.replay_server`, but it stops at once (that one polls for shutdown every 0.5 s)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            status, kind, body = route(self.path) or (404, "text/plain", b"not found")
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def answer(document: Any, status: int = 200, kind: str = GEOJSON) -> Answer:
    return status, kind, json.dumps(document).encode("utf-8")


def to_rd(geometry: dict[str, Any] | None) -> dict[str, Any] | None:
    if geometry is None:
        return None
    moved = shapely.transform(shape(geometry), lambda x, y: _TO_RD.transform(x, y), interleaved=False)
    return dict(mapping(moved))


def lat_lon(geometry: dict[str, Any] | None) -> dict[str, Any] | None:
    if geometry is None:
        return None
    return dict(mapping(shapely.transform(shape(geometry), lambda x, y: (y, x), interleaved=False)))


def in_crs(feature: dict[str, Any], crs: str | None) -> dict[str, Any]:
    """The feature (stored in CRS84) as the server sends it for the `crs` asked for."""
    if crs == RD_URI:
        return {**feature, "geometry": to_rd(feature.get("geometry"))}
    if crs == LATLON_URI:
        return {**feature, "geometry": lat_lon(feature.get("geometry"))}
    return feature


def collection_document(base: str, cid: str, title: str, *, crs: tuple[str, ...] = (CRS84_URI, RD_URI),
                        extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A collection document the way gokoala writes one."""
    url = f"{base}/collections/{cid}"
    return {"id": cid, "title": title, "itemType": "feature", "crs": list(crs), "storageCrs": crs[0],
            "links": [{"rel": "self", "type": "application/json", "href": f"{url}?f=json"},
                      {"rel": "items", "type": GEOJSON, "href": f"{url}/items?f=json"}], **(extra or {})}


@dataclass
class FakeOgcApi:
    """Answers GETs by path; `asked` lists every path with its query, `broken` makes chosen paths fail."""

    base: str = ""
    prefix: str = ""  # the API's path on the server, e.g. /cbs/wijken-en-buurten-2024/ogc/v1
    routes: dict[str, Handler] = field(default_factory=dict)
    asked: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    broken: dict[str, Answer] = field(default_factory=dict)
    listed: list[dict[str, Any]] = field(default_factory=list)

    def route(self, raw: str) -> Answer | None:
        parts = urlsplit(raw)
        path, query = parts.path.rstrip("/"), dict(parse_qsl(parts.query))
        self.asked.append((path, query))
        if path in self.broken:
            return self.broken[path]
        handler = self.routes.get(path)
        return handler(query) if handler else None

    @property
    def root(self) -> str:
        return self.base + self.prefix

    def items_asked(self, cid: str) -> list[dict[str, str]]:
        return [query for path, query in self.asked if path == f"{self.prefix}/collections/{cid}/items"]

    def add_collection(self, document: dict[str, Any], features: list[dict[str, Any]],
                       queryables: tuple[str, ...] = ()) -> None:
        """Serve a collection, its queryables and its items; `/collections` lists every collection added."""
        cid, here = document["id"], f"{self.prefix}/collections"
        self.routes[f"{here}/{cid}"] = lambda q: answer(document, kind="application/json")
        self.routes[f"{here}/{cid}/queryables"] = lambda q: answer(
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "title": cid,
             "properties": {name: {"type": "string"} for name in queryables}}, kind="application/schema+json")
        self.routes[f"{here}/{cid}/items"] = lambda q: self._items(cid, features, queryables, q)
        self.listed.append(document)
        self.routes[here] = lambda q: answer({"links": [{"rel": "self", "href": f"{self.root}/collections?f=json"}],
                                              "collections": self.listed}, kind="application/json")

    def _items(self, cid: str, features: list[dict[str, Any]], queryables: tuple[str, ...],
               query: dict[str, str]) -> Answer:
        chosen = [f for f in features if _matches(f, queryables, query)]
        offset = int(query.get("cursor", "c0")[1:])
        limit = min(int(query.get("limit", "10")), 1000)
        page = chosen[offset: offset + limit]
        url = f"{self.root}/collections/{cid}/items"
        keep = {k: v for k, v in query.items() if k != "cursor"}
        links = [{"rel": "self", "type": GEOJSON, "href": f"{url}?{urlencode(query)}"}]
        if offset + limit < len(chosen):
            links.append({"rel": "next", "type": GEOJSON,
                          "href": f"{url}?{urlencode({'cursor': f'c{offset + limit}', **keep})}"})
        return answer({"type": "FeatureCollection", "timeStamp": "2025-01-01T00:00:00Z", "links": links,
                       "features": [in_crs(f, query.get("crs")) for f in page], "numberReturned": len(page)})


def _matches(feature: dict[str, Any], queryables: tuple[str, ...], query: dict[str, str]) -> bool:
    properties = feature.get("properties") or {}
    for name in queryables:
        if name not in query:
            continue
        value = properties.get(name)
        if name == "jaarcode" and value is None:  # gebiedsindelingen's year, also in jrstatcode (2025GM0014)
            value = str(properties.get("jrstatcode", ""))[:4]
        if str(value) != query[name]:
            return False
    if "bbox" in query and feature.get("geometry") is not None:
        west, south, east, north = (float(v) for v in query["bbox"].split(","))
        area = box(west, south, east, north)
        if query.get("bbox-crs") == RD_URI:
            area = shapely.transform(area, lambda x, y: _FROM_RD.transform(x, y), interleaved=False)
        return bool(shape(feature["geometry"]).intersects(area))
    return True
