"""The `ckan` connector: one package of another portal's CKAN action API, with its metadata and one resource's data.

URL: the portal's base (`https://data.overheid.nl/data`), a package page (`…/dataset/{name}`) or an action URL
(`…/api/3/action/package_show?id=…`, `…/api/3/action/package_search?q=…`). Params:

- `id`: the package (its id or name); or
- `q`, `fq`: a package_search, read page by page (`rows` per page, default 100, up to `max_pages`); it must find
  exactly one package, or set `select=newest` to take the most recently modified of all it finds.
- `resource`: a resource by id, name or URL; or a format preference such as `csv,geojson,json` (the default
  prefers CSV, then GeoJSON, Parquet, JSON …).

The package's metadata becomes DCAT-AP-NL fields the way ckanext-dcat reads CKAN (title, notes, tags, licence,
organization as publisher, metadata_modified, and the DCAT extras), and remote_id is the package's id, so a
package renamed on the portal still feeds the same dataset.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from wierde import hookspecs
from wierde.catalog import vocab
from wierde.collect.connectors.dcat import (
    Offer,
    check_params,
    choose_offer,
    download,
    format_name,
    host_agent,
    licence_code,
    spatial_code,
    usable_metadata,
)
from wierde.collect.http import Fetcher, HarvestError
from wierde.errors import InvalidInput

PARAMS = ("id", "q", "fq", "rows", "select", "resource", "max_pages")
ROWS = 100
ACTION = "/api/3/action/"
SORT = "name asc"  # a fixed order, so paging by `start` neither skips nor repeats packages
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")


def portal_and_query(url: str) -> tuple[str, dict[str, str]]:
    """The portal's base URL and what the URL itself says (a package id, a search), from any of the URL forms."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"{url!r} is not an http(s) URL of a CKAN portal")
    path, said = parts.path.rstrip("/"), {}
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if ACTION.rstrip("/") in path:
        path, action = path.split(ACTION.rstrip("/"), 1)
        wanted = ("id",) if action.strip("/") == "package_show" else ("q", "fq")
        said = {key: query[key] for key in wanted if query.get(key)}
    elif re.search(r"/dataset/[^/]+$", path):
        path, name = path.rsplit("/dataset/", 1)
        said = {"id": unquote(name)}
    return f"{parts.scheme}://{parts.netloc}{path}", said


def call(fetcher: Fetcher, base: str, action: str, params: dict[str, Any]) -> Any:
    """One action's `result`; CKAN's envelope with success false, or no envelope at all, is a HarvestError."""
    url = f"{base}{ACTION}{action}"
    answer = fetcher.get_json(url, params)
    if not isinstance(answer, dict) or "success" not in answer:
        raise HarvestError(f"{url}: not a CKAN action API answer (no 'success' in it)")
    if answer["success"] is not True:
        raise HarvestError(f"{url}: CKAN says {json.dumps(answer.get('error'), ensure_ascii=False)[:300]}")
    return answer.get("result")


def search(fetcher: Fetcher, base: str, query: Mapping[str, str], rows: int,
           max_pages: int) -> tuple[list[dict[str, Any]], int]:
    """Every package a package_search finds, and the pages read; a server that repeats itself or never ends fails."""
    url = f"{base}{ACTION}package_search"
    found: dict[str, dict[str, Any]] = {}
    start = 0
    for page in range(1, max_pages + 1):
        result = call(fetcher, base, "package_search", {**query, "rows": rows, "start": start, "sort": SORT})
        packages = result.get("results") if isinstance(result, dict) else None
        if not isinstance(packages, list) or not all(isinstance(p, dict) and p.get("id") for p in packages):
            raise HarvestError(f"{url}: the answer has no list of packages with ids")
        fresh = [p for p in packages if p["id"] not in found]
        if packages and not fresh:
            raise HarvestError(f"{url}: the page at start={start} repeats packages already read; the server loops")
        found.update((p["id"], p) for p in fresh)
        start += len(packages)
        if not packages or start >= int(result.get("count") or 0):
            return list(found.values()), page
    raise HarvestError(f"{url}: more than {max_pages} pages of {rows}; stopped (narrow q/fq, or raise max_pages)")


def pick_package(packages: list[dict[str, Any]], select: str | None, where: str) -> dict[str, Any]:
    if not packages:
        raise HarvestError(f"{where}: the search finds no package")
    if len(packages) == 1:
        return packages[0]
    if select == "newest":
        return max(packages, key=lambda p: (str(p.get("metadata_modified") or ""), str(p["id"])))
    names = ", ".join(sorted(str(p.get("name") or p["id"]) for p in packages)[:5])
    raise InvalidInput(f"{where}: the search finds {len(packages)} packages ({names} …); narrow q/fq, name one "
                       "with the id param, or set select=newest")


def resource_offers(package: Mapping[str, Any]) -> list[Offer]:
    offers = []
    for resource in package.get("resources") or []:
        if not isinstance(resource, dict) or str(resource.get("state") or "active") != "active":
            continue
        url = str(resource.get("url") or "").strip()
        kind = format_name(str(resource.get("format") or ""), str(resource.get("mimetype") or ""), url)
        names = tuple(str(resource[k]) for k in ("name",) if resource.get(k))
        offers.append(Offer(str(resource.get("id") or url), url, kind, names))
    return offers


# --- the package as Wierde metadata ---------------------------------------------------------------------------

def extras(package: Mapping[str, Any]) -> dict[str, str]:
    """CKAN's extras (a list of key/value pairs), where ckanext-dcat keeps the DCAT fields CKAN lacks."""
    pairs = package.get("extras") or []
    return {str(e["key"]): str(e["value"]) for e in pairs if isinstance(e, dict) and e.get("key") and e.get("value")}


def _texts(package: Mapping[str, Any], field: str, extra: dict[str, str], language: str) -> dict[str, str]:
    """A text in every language the package has: ckanext-fluent's `{field}_translated`, else the plain field."""
    translated = package.get(f"{field}_translated")
    texts = {str(k): str(v) for k, v in translated.items() if v} if isinstance(translated, dict) else {}
    if not texts and package.get(field):
        texts = {language: str(package[field])}
    english = extra.get(f"{field}_en")
    if english and "en" not in texts:
        texts["en"] = english
    return texts


def _uris(text: str | None) -> list[str]:
    """A list of URIs as ckanext-dcat stores it (a JSON list), or one URI."""
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        value = [text]
    return [str(v) for v in (value if isinstance(value, list) else [value]) if vocab.is_uri(str(v))]


def _day(value: Any) -> str | None:
    match = _DAY.match(str(value or "").strip())
    return match[0] if match else None


def publisher(package: Mapping[str, Any], extra: dict[str, str], base: str) -> dict[str, str]:
    """The publisher: ckanext-dcat's publisher extras, else the organization (its `uri` extra, else its page)."""
    if extra.get("publisher_uri") and extra.get("publisher_name"):
        return {"uri": extra["publisher_uri"], "name": extra["publisher_name"]}
    org = package.get("organization")
    if isinstance(org, dict) and org.get("name"):
        uri = extras(org).get("uri") or f"{base}/organization/{org['name']}"
        return {"uri": uri, "name": str(org.get("title") or org["name"])}
    return host_agent(base)


def contact(package: Mapping[str, Any]) -> dict[str, str] | None:
    for role in ("maintainer", "author"):
        email = str(package.get(f"{role}_email") or "").strip()
        if email:
            name = str(package.get(role) or "").strip()
            return {"name": name, "email": email} if name else {"email": email}
    return None


def package_metadata(package: Mapping[str, Any], base: str, language: str = "nl") -> dict[str, Any]:
    """A CKAN package as the fields of Wierde's metadata YAML."""
    extra = extras(package)
    words = [str(t.get("display_name") or t.get("name")) for t in package.get("tags") or [] if isinstance(t, dict)]
    theme_uris = _uris(extra.get("theme"))
    themes = [u.rsplit("/", 1)[-1] for u in theme_uris if u.startswith(vocab.THEME_SCHEME + "/")] or [
        str(g.get("name")).upper() for g in package.get("groups") or []
        if isinstance(g, dict) and str(g.get("name")).upper() in vocab.THEMES]
    start, end = _day(extra.get("temporal_start")), _day(extra.get("temporal_end"))
    access = (extra.get("access_rights") or "").rsplit("/", 1)[-1]
    return {
        "title": _texts(package, "title", extra, language) or str(package.get("name")),
        "description": _texts(package, "notes", extra, language),
        "keywords": {language: words} if words else {},
        "themes": themes,
        "publisher": publisher(package, extra, base),
        "contact_point": contact(package),
        "licence": licence_code(str(package.get("license_id") or ""), str(package.get("license_url") or "")),
        "access_rights": {"PUBLIC": "public", "RESTRICTED": "restricted", "NON_PUBLIC": "non-public"}.get(access),
        "spatial": [spatial_code(u) for u in _uris(extra.get("spatial_uri"))],
        "temporal": {k: v for k, v in (("start", start), ("end", end)) if v} or None,
        "accrual_periodicity": (extra.get("frequency") or "").rstrip("/").rsplit("/", 1)[-1] or None,
        "language": [u.rsplit("/", 1)[-1] for u in _uris(extra.get("language"))],
        "issued": _day(extra.get("issued")) or _day(package.get("metadata_created")),
        "modified": _day(extra.get("modified")) or _day(package.get("metadata_modified")),
        "source": f"{base}/dataset/{package.get('name') or package.get('id')}",
        "documentation": extra.get("documentation"),
        "attribution": extra.get("attribution"),
    }


class CkanPackage:
    name = "ckan"

    def harvest(self, fetcher: Fetcher, url: str, params: Mapping[str, str], workdir: Path) -> hookspecs.Harvested:
        max_pages = check_params(params, PARAMS, self.name)
        base, said = portal_and_query(url)
        wanted = {**said, **{k: v for k, v in params.items() if k in ("id", "q", "fq") and v}}
        rows = str(params.get("rows") or ROWS)
        if not rows.isdigit() or not 1 <= int(rows) <= 1000:
            raise InvalidInput(f"ckan: rows must be a whole number from 1 to 1000, not {rows!r}")
        if params.get("select") not in (None, "", "newest"):
            raise InvalidInput(f"ckan: select takes only 'newest', not {params['select']!r}")
        if wanted.get("id"):
            package, pages = call(fetcher, base, "package_show", {"id": wanted["id"]}), 1
            if not isinstance(package, dict) or not package.get("id"):
                raise HarvestError(f"{base}{ACTION}package_show: the answer holds no package")
        elif wanted.get("q") or wanted.get("fq"):
            query = {k: wanted[k] for k in ("q", "fq") if wanted.get(k)}
            found, pages = search(fetcher, base, query, int(rows), max_pages)
            package = pick_package(found, params.get("select"), f"{base} ({query})")
        else:
            raise InvalidInput(f"ckan: {url}: name a package (the id param, or a …/dataset/NAME URL) or a search "
                               "(q or fq)")
        offer = choose_offer(resource_offers(package), params.get("resource") or None,
                             f"{base}/dataset/{package.get('name')}")
        kept, dropped = usable_metadata(package_metadata(package, base))
        data = download(fetcher, offer, workdir)
        stats = {**data.stats, "pages": pages, "metadata_dropped": len(dropped)}
        return hookspecs.Harvested(data.data, data.format, kept, remote_id=str(package["id"]), stats=stats)


hookspecs.register_connector("ckan", CkanPackage)
