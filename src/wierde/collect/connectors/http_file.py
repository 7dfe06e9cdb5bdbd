"""The generic `http` connector: a file (CSV, XLSX, GeoJSON, Parquet …) or a JSON endpoint at a URL.

Params: `format` (else told from the URL's extension or the content type), `records` (for JSON: the dotted path
to the list of records, e.g. `data.items`), `rename` (`old:new,old2:new2` to map a source's field names).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from wierde import hookspecs
from wierde.collect.http import Fetcher, HarvestError

EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".json": "json", ".ndjson": "ndjson",
              ".geojson": "geojson", ".gpkg": "gpkg", ".zip": "shapefile", ".parquet": "parquet"}


def _format(url: str, params: Mapping[str, str]) -> str:
    if params.get("format"):
        return params["format"]
    suffix = Path(urlparse(url).path).suffix.lower()
    return EXTENSIONS.get(suffix, "json")


def _records(document: Any, path: str, url: str) -> list[Any]:
    node = document
    for part in (p for p in path.split(".") if p):
        if not isinstance(node, dict) or part not in node:
            raise HarvestError(f"{url}: no {path!r} in the JSON answer (stopped at {part!r})")
        node = node[part]
    if not isinstance(node, list):
        raise HarvestError(f"{url}: {path or 'the answer'} is not a list of records")
    return node


def _renamed(records: list[Any], rename: str) -> list[Any]:
    pairs = dict(item.split(":", 1) for item in rename.split(",") if ":" in item)
    return [{pairs.get(k, k): v for k, v in r.items()} if isinstance(r, dict) else r for r in records]


class HttpFile:
    name = "http"

    def harvest(self, fetcher: Fetcher, url: str, params: Mapping[str, str], workdir: Path) -> hookspecs.Harvested:
        kind = _format(url, params)
        if kind == "json" and (params.get("records") is not None or params.get("rename")):
            records = _renamed(_records(fetcher.get_json(url), params.get("records", ""), url),
                               params.get("rename", ""))
            target = workdir / "records.ndjson"
            target.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
            return hookspecs.Harvested(target, "ndjson", remote_id=url, stats={"pages": 1, "rows": len(records)})
        suffix = {v: k for k, v in EXTENSIONS.items()}.get(kind, ".bin")
        target = workdir / f"download{suffix}"
        with target.open("wb") as out:
            for chunk in fetcher.stream(url):
                out.write(chunk)
        return hookspecs.Harvested(target, kind, remote_id=url, stats={"pages": 1})


hookspecs.register_connector("http", HttpFile)
