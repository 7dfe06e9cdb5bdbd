"""CKAN's read-only action API over Wierde's catalogue, so CKAN clients and harvesters can read Wierde as CKAN."""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from wierde.catalog import dcat, vocab
from wierde.catalog.model import Agent, CatalogInfo, DatasetMetadata, pick
from wierde.config import Settings
from wierde.errors import Forbidden as WierdeForbidden
from wierde.errors import NotFound as WierdeNotFound
from wierde.errors import WierdeError
from wierde.protect import access
from wierde.protect.access import ANONYMOUS, Principal
from wierde.publish.catalog import Catalog, formats_of
from wierde.publish.datasets import description_of, title_of
from wierde.publish.feed import catalog_info
from wierde.store.records import DatasetRecord, VersionRecord
from wierde.store.repository import Store

log = logging.getLogger(__name__)

CKAN_VERSION = "2.10.0"  # what status_show reports; clients that branch on the version see a current 2.x
ROWS_DEFAULT, ROWS_MAX = 10, 1000
FACET_LIMIT_DEFAULT = 50
DEFAULT_SORT = "score desc, metadata_modified desc"
FACET_FIELDS = ("tags", "groups", "organization", "res_format", "license_id")
# CKAN filters and facets need every match, so the catalogue is asked for all of them and paging happens here.
_EVERYTHING = 1_000_000_000

# CKAN's own licence ids where CKAN has one (so `license_id:cc-by` works as on any CKAN); SPDX ids are accepted too.
CKAN_LICENCE_IDS = {
    "CC0-1.0": "cc-zero", "CC-BY-4.0": "cc-by", "CC-BY-SA-4.0": "cc-by-sa", "CC-BY-ND-4.0": "cc-by-nd",
    "CC-BY-NC-4.0": "cc-nc", "ODbL-1.0": "odc-odbl", "ODC-By-1.0": "odc-by", "PDDL-1.0": "odc-pddl",
}
NOT_OPEN = frozenset({"CC-BY-ND-4.0", "CC-BY-NC-4.0"})  # the Open Definition rejects ND and NC
NO_LICENCE = "notspecified"
STATES = {"published": "active", "withdrawn": "deleted"}  # CKAN's words for Wierde's statuses
# CKAN spells formats as in its resource_formats.json: upper case, except GeoJSON.
CKAN_FORMATS = {"csv": "CSV", "json": "JSON", "geojson": "GeoJSON", "gpkg": "GPKG", "parquet": "PARQUET",
                "xlsx": "XLSX"}


# -- errors, as CKAN's action API reports them -----------------------------------------------------------------
class CkanError(Exception):
    status = 500
    kind = "Internal Server Error"

    def body(self) -> dict[str, Any]:
        return {"__type": self.kind, "message": str(self)}


class NotFound(CkanError):
    status, kind = 404, "Not Found Error"

    def body(self) -> dict[str, Any]:
        # Always plain "Not found": a draft and a dataset that never existed must look the same.
        return {"__type": self.kind, "message": "Not found" + (f": {self}" if str(self) else "")}


class ValidationError(CkanError):
    status, kind = 409, "Validation Error"

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(str(errors))
        self.errors = errors

    def body(self) -> dict[str, Any]:
        return {"__type": self.kind, **self.errors}


class SearchQueryError(CkanError):
    status, kind = 400, "Search Query Error"

    def body(self) -> dict[str, Any]:
        return {"__type": self.kind, "message": f"Search Query is invalid: {self.args!r}"}


class SearchError(CkanError):
    status, kind = 409, "Search Error"

    def body(self) -> dict[str, Any]:
        return {"__type": self.kind, "message": f"Search error: {self.args!r}"}


@dataclass(frozen=True)
class Context:
    """What every action needs: the store, its catalogue search, and who is asking."""

    store: Store
    catalog: Catalog
    principal: Principal = ANONYMOUS

    @property
    def settings(self) -> Settings:
        return self.store.settings

    @cached_property
    def info(self) -> CatalogInfo:
        return catalog_info(self.settings)


@dataclass(frozen=True)
class Reply:
    """An action's answer as CKAN sends it: an HTTP status and a JSON body (the envelope, or a bare string)."""

    status: int
    body: Any


# -- package dicts ---------------------------------------------------------------------------------------------
def naive_utc(moment: datetime) -> datetime:
    """CKAN's clock: UTC without an offset (SQLite already hands back naive UTC)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def iso(moment: datetime) -> str:
    """CKAN's timestamps: naive UTC, always with microseconds, so they also sort as text."""
    return naive_utc(moment).isoformat(timespec="microseconds")


def slug(text: str) -> str:
    """A CKAN name: lower-case ASCII letters, digits and dashes ('Gemeente Súdwest-Fryslân' → gemeente-sudwest-...)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "organisatie"


def metadata_of(dataset: DatasetRecord) -> DatasetMetadata:
    """The validated metadata, or only its title and description while a steward's YAML does not validate."""
    try:
        return DatasetMetadata.from_mapping(dataset.meta or {"title": dataset.id}, where=dataset.id)
    except WierdeError:
        fallback = {"title": title_of(dataset), "description": description_of(dataset)}
        return DatasetMetadata.from_mapping(fallback, where=dataset.id)


def organization_dict(agent: Agent) -> dict[str, Any]:
    name = slug(agent.name)
    return {"id": name, "name": name, "title": agent.name, "display_name": agent.name, "type": "organization",
            "description": "", "image_url": "", "image_display_url": "", "is_organization": True,
            "approval_status": "approved", "state": "active", "extras": [{"key": "uri", "value": agent.uri}]}


def group_dict(theme: vocab.Term) -> dict[str, Any]:
    name = theme.code.lower()
    return {"id": name, "name": name, "title": theme.nl, "display_name": theme.nl,
            "title_translated": {"nl": theme.nl, "en": theme.en}, "description": "", "image_url": "",
            "image_display_url": "", "type": "group", "is_organization": False, "approval_status": "approved",
            "state": "active", "extras": [{"key": "uri", "value": theme.uri}]}


def licence_dict(spdx: str | None) -> dict[str, Any]:
    if spdx is None or spdx not in vocab.LICENCES:
        return {"id": NO_LICENCE, "title": "Licentie niet opgegeven", "url": "", "od_conformance": "not reviewed",
                "osd_conformance": "not reviewed", "is_okd_compliant": False, "is_osi_compliant": False,
                "domain_content": False, "domain_data": False, "domain_software": False, "family": "",
                "is_generic": True, "maintainer": "", "status": "active"}
    lic, is_open = vocab.LICENCES[spdx], spdx not in NOT_OPEN
    return {"id": CKAN_LICENCE_IDS.get(spdx, spdx.lower()), "title": lic.nl, "url": lic.uri,
            "od_conformance": "approved" if is_open else "not reviewed", "osd_conformance": "not reviewed",
            "is_okd_compliant": is_open, "is_osi_compliant": False, "domain_content": lic.creative_commons,
            "domain_data": True, "domain_software": False, "family": "", "is_generic": False,
            "maintainer": "Creative Commons" if lic.creative_commons else "Open Data Commons", "status": "active",
            "spdx_id": spdx}


def resource_dict(ctx: Context, dataset_id: str, title: str, version: VersionRecord, code: str,
                  position: int) -> dict[str, Any]:
    """One download format of the current version; the URL is the one the DCAT feed gives its distribution."""
    label, stamp = CKAN_FORMATS.get(code, code.upper()), iso(version.created_at)
    return {"id": f"{dataset_id}.{code}", "package_id": dataset_id, "name": f"{title} ({label})",
            "description": "", "format": label, "mimetype": vocab.FORMATS[code].media_type,
            "url": f"{ctx.settings.base_url.rstrip('/')}/api/v1/datasets/{dataset_id}/download?format={code}",
            "size": version.byte_size if code == "parquet" else None, "created": stamp, "last_modified": stamp,
            "metadata_modified": stamp, "position": position, "state": "active", "url_type": None,
            "resource_type": None, "hash": "", "datastore_active": False}


def _extras(ctx: Context, dataset: DatasetRecord, meta: DatasetMetadata) -> list[dict[str, str]]:
    """DCAT facts CKAN has no field for, under the keys ckanext-dcat uses."""
    values: dict[str, str | None] = {
        "identifier": str(dcat.dataset_uri(ctx.info, dataset.id)),
        "title_en": meta.title.get("en"), "notes_en": meta.description.get("en"),
        "publisher_uri": meta.publisher.uri, "publisher_name": meta.publisher.name,
        "theme": json.dumps([vocab.THEMES[t].uri for t in meta.themes]) if meta.themes else None,
        "spatial_uri": _spatial_uri(meta.spatial[0]) if meta.spatial else None,
        "spatial_text": ", ".join(vocab.spatial_label(a) or a for a in meta.spatial) or None,
        "temporal_start": str(meta.temporal.start) if meta.temporal and meta.temporal.start else None,
        "temporal_end": str(meta.temporal.end) if meta.temporal and meta.temporal.end else None,
        "frequency": vocab.FREQUENCIES[meta.accrual_periodicity].uri if meta.accrual_periodicity else None,
        "language": json.dumps([vocab.LANGUAGES[c].uri for c in meta.language]) if meta.language else None,
        "access_rights": vocab.ACCESS_RIGHTS[meta.access_rights].uri,
        "issued": str(meta.issued) if meta.issued else None,
        "modified": str(meta.modified) if meta.modified else None,
        "attribution": meta.attribution, "documentation": meta.documentation, "source": meta.source,
        "synthetic": "true" if meta.synthetic else None,
    }
    return [{"key": key, "value": value} for key, value in sorted(values.items()) if value]


def _spatial_uri(area: str) -> str | None:
    try:
        return vocab.spatial_uri(area)
    except ValueError:  # a province code we have no GeoNames id for
        return None


def _translated(texts: Mapping[str, str]) -> dict[str, str]:
    """ckanext-fluent's shape: every portal language present, empty where there is no translation."""
    return {"nl": "", "en": "", **texts}


def package_dict(ctx: Context, dataset: DatasetRecord, version: VersionRecord | None) -> dict[str, Any]:
    """The dataset as CKAN's package_show returns it."""
    meta = metadata_of(dataset)
    title = pick(meta.title)
    contact = meta.contact_point
    person, email = (contact.name, contact.email) if contact else (ctx.settings.contact_name,
                                                                    ctx.settings.contact_email)
    keywords = meta.keywords.get("nl") or next(iter(meta.keywords.values()), [])
    licence = licence_dict(meta.licence)
    organization = organization_dict(meta.publisher)
    resources = [resource_dict(ctx, dataset.id, title, version, code, i)
                 for i, code in enumerate(formats_of(version))] if version else []
    return {
        "id": dataset.id, "name": dataset.id, "title": title, "title_translated": _translated(meta.title),
        "notes": pick(meta.description), "notes_translated": _translated(meta.description),
        "url": dcat.dataset_page(ctx.info, dataset.id), "version": str(version.number) if version else None,
        "author": person, "author_email": email, "maintainer": person, "maintainer_email": email,
        "license_id": licence["id"], "license_title": licence["title"], "license_url": licence["url"],
        "isopen": licence["od_conformance"] == "approved",
        "metadata_created": iso(dataset.created_at), "metadata_modified": iso(dataset.updated_at),
        "state": STATES.get(dataset.status, dataset.status), "private": False, "type": "dataset",
        "creator_user_id": None, "owner_org": organization["id"], "organization": organization,
        "groups": [_package_group(vocab.THEMES[code]) for code in meta.themes],
        "tags": [{"id": word, "name": word, "display_name": word, "state": "active", "vocabulary_id": None}
                 for word in keywords],
        "num_tags": len(keywords), "resources": resources, "num_resources": len(resources),
        "extras": _extras(ctx, dataset, meta), "relationships_as_object": [], "relationships_as_subject": [],
    }


def _package_group(theme: vocab.Term) -> dict[str, Any]:
    full = group_dict(theme)
    return {key: full[key] for key in ("id", "name", "title", "display_name", "description", "image_display_url")}


# -- q and fq: the part of Solr's syntax CKAN clients send -----------------------------------------------------
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_TOKEN = re.compile(rf"""
    (?P<space>\s+)
  | (?P<op>(?:AND|OR|NOT)(?=[\s()]|$)|&&|\|\|)
  | (?P<all>\*:\*)
  | (?P<sign>[+-]?)(?P<field>[A-Za-z_][\w.]*):
      (?P<value>{_QUOTED}|\((?:[^()"]|{_QUOTED})*\)|\[[^\]]*\]|\{{[^}}]*\}}|[^\s()]+)
  | (?P<paren>[()])
  | (?P<word>[+-]?(?:{_QUOTED}|[^\s()"]+))
""", re.VERBOSE)
_GROUP_TOKEN = re.compile(rf"{_QUOTED}|[^\s]+")


@dataclass(frozen=True)
class Atom:
    """One `field:value` test; `value` may be `*` (any), end in `*` (prefix) or be a `[a TO b]` range."""

    field: str
    value: str
    negated: bool = False


@dataclass(frozen=True)
class Query:
    """Words for the full-text index, and filters that must all hold, each satisfied by any of its atoms."""

    text: str
    clauses: tuple[tuple[Atom, ...], ...]


# What each filterable field holds, read from the package dict itself so a filter sees exactly what clients see.
FIELD_VALUES: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "tags": lambda p: [t["name"] for t in p["tags"]],
    "groups": lambda p: [g["name"] for g in p["groups"]],
    "organization": lambda p: [p["organization"]["name"]],
    "res_format": lambda p: [r["format"] for r in p["resources"]],
    "license_id": lambda p: [p["license_id"]],
    "name": lambda p: [p["name"]],
    "id": lambda p: [p["id"]],
    "dataset_type": lambda p: [p["type"]],
    "state": lambda p: [p["state"]],
    "capacity": lambda p: ["public"],
    "private": lambda p: ["false"],
    "metadata_modified": lambda p: [p["metadata_modified"]],
    "metadata_created": lambda p: [p["metadata_created"]],
}
FIELD_ALIASES = {"type": "dataset_type", "tag": "tags", "group": "groups", "license": "license_id"}
TEXT_FIELDS = frozenset({"text", "title", "notes"})  # searched as words: the full-text index covers all three
DATE_FIELDS = frozenset({"metadata_modified", "metadata_created"})


def parse_query(q: str = "", fq: str = "") -> Query:
    """Split q and fq into full-text words and filters; AND (or a space) joins, OR and `field:(a OR b)` widen."""
    words: list[str] = []
    clauses: list[list[Atom]] = []
    for expression in (q, fq):
        _parse_into(expression or "", words, clauses)
    return Query(" ".join(words), tuple(tuple(c) for c in clauses))


def _parse_into(expression: str, words: list[str], clauses: list[list[Atom]]) -> None:
    position, join_or, negate = 0, False, False
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None:
            raise SearchQueryError(f"cannot read {expression[position:]!r}")
        position = match.end()
        kind = match.lastgroup
        if kind in ("space", "paren", "all"):  # parentheses only group, and AND binds before OR anyway
            continue
        if kind == "op":
            join_or = join_or or match["op"] in ("OR", "||")
            negate = negate or match["op"] == "NOT"
            continue
        if kind == "value":
            group = _atoms(match["field"], match["value"], negated=negate or match["sign"] == "-")
            if group is None:  # text:..., title:... are words for the full-text index
                words.append(_unquote(match["value"]))
            elif join_or and clauses:
                _widen(clauses[-1], group)
            else:
                clauses.extend(group)
        elif kind == "word":
            words.append(_word(match["word"], negate))
        join_or = negate = False


def _widen(clause: list[Atom], group: list[list[Atom]]) -> None:
    """`a OR field:x`: x joins the previous clause; an AND-group after OR would need real boolean logic."""
    if len(group) != 1:
        raise SearchQueryError("OR before an AND-group is not supported; write the filter as field:(a OR b)")
    clause.extend(group[0])


def _word(token: str, negate: bool) -> str:
    if token in ("+", "-"):
        return ""
    if negate or token.startswith("-"):
        raise SearchQueryError(f"leaving out words ({token!r}) is not supported; use a -field:value filter")
    if token.endswith(":"):
        raise SearchQueryError(f"{token!r} has no value (or an unclosed parenthesis or quote)")
    return _unquote(token.removeprefix("+"))


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _atoms(field: str, value: str, *, negated: bool) -> list[list[Atom]] | None:
    """The clauses one `field:value` makes (a negated OR-group is an AND of negations, and back)."""
    field = FIELD_ALIASES.get(field, field)
    if field in TEXT_FIELDS:
        return None
    if field not in FIELD_VALUES:
        raise SearchError(f"undefined field {field}; filter on {', '.join(sorted(FIELD_VALUES))}")
    if value[0] in "[{" and field not in DATE_FIELDS:
        raise SearchQueryError(f"a range only works on {' and '.join(sorted(DATE_FIELDS))}")
    if not value.startswith("("):
        return [[Atom(field, _unquote(value), negated)]]
    values, any_of = _group(value[1:-1])
    atoms = [Atom(field, v, negated) for v in values]
    return [atoms] if any_of != negated else [[atom] for atom in atoms]


def _group(inner: str) -> tuple[list[str], bool]:
    tokens = _GROUP_TOKEN.findall(inner)
    connectors = {t for t in tokens if t in ("AND", "OR", "&&", "||")}
    values = [_unquote(t) for t in tokens if t not in connectors]
    any_of, all_of = bool({"OR", "||"} & connectors), bool({"AND", "&&"} & connectors)
    if not values or (any_of and all_of):
        raise SearchQueryError(f"cannot read ({inner}); use only OR or only AND inside parentheses")
    return values, any_of


def matches(package: dict[str, Any], query: Query) -> bool:
    return all(any(_holds(package, atom) for atom in clause) for clause in query.clauses)


def _holds(package: dict[str, Any], atom: Atom) -> bool:
    values = FIELD_VALUES[atom.field](package)
    return _any_value(values, atom) != atom.negated


def _any_value(values: list[str], atom: Atom) -> bool:
    wanted = atom.value
    if wanted == "*":
        return bool(values)
    if wanted[0] in "[{":
        return any(_in_range(v, wanted) for v in values)
    if atom.field == "license_id":
        wanted = _licence_alias(wanted)
    folded = [v.casefold() for v in values]
    if wanted.endswith("*"):
        return any(v.startswith(wanted[:-1].casefold()) for v in folded)
    return wanted.casefold() in folded


def _licence_alias(value: str) -> str:
    by_spdx = {spdx.casefold(): ckan_id for spdx, ckan_id in CKAN_LICENCE_IDS.items()}
    return by_spdx.get(value.casefold(), value)


def _in_range(value: str, spec: str) -> bool:
    parts = spec[1:-1].split()
    if len(parts) != 3 or parts[1] != "TO":
        raise SearchQueryError(f"a range is written [from TO to], not {spec}")
    low, high, moment = _bound(parts[0]), _bound(parts[2]), datetime.fromisoformat(value)
    inclusive = spec[0] == "["
    above = low is None or (moment >= low if inclusive else moment > low)
    below = high is None or (moment <= high if spec[-1] == "]" else moment < high)
    return above and below


def _bound(text: str) -> datetime | None:
    if text == "*":
        return None
    if text == "NOW":
        return datetime.now(UTC).replace(tzinfo=None)
    try:
        return naive_utc(datetime.fromisoformat(text))
    except ValueError:
        raise SearchQueryError(f"{text!r} is not an ISO date or time") from None


# -- parameters ------------------------------------------------------------------------------------------------
class Params:
    """Reads action parameters the way CKAN's validators do, collecting every error before refusing."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, list[str]] = {}

    def integer(self, key: str, default: int, *, natural: bool = True) -> int:
        raw = self.data.get(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return default
        number = _as_int(raw)
        if number is None:
            self.errors[key] = ["Invalid integer"]
        elif natural and number < 0:
            self.errors[key] = ["Must be a natural number"]
        return default if number is None else number

    def flag(self, key: str, default: bool = False) -> bool:
        raw = self.data.get(key)
        if raw is None:
            return default
        return raw if isinstance(raw, bool) else str(raw).strip().lower() in ("true", "yes", "t", "y", "1", "on")

    def text(self, key: str, default: str = "") -> str:
        raw = self.data.get(key)
        return default if raw is None else str(raw)

    def strings(self, key: str) -> list[str]:
        raw = self.data.get(key)
        if isinstance(raw, str):
            try:
                raw = json.loads(raw) if raw.strip().startswith("[") else [raw]
            except ValueError:
                self.errors[key] = ["Could not parse as valid JSON"]
                return []
        if raw is None:
            return []
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            self.errors[key] = ["Not a list of strings"]
            return []
        return raw

    def required(self, key: str) -> str:
        value = self.text(key).strip()
        if not value:
            self.errors[key] = ["Missing value"]
        return value

    def check(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _as_int(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else None
    try:
        return int(str(raw).strip())
    except ValueError:
        return None


def _with_dotted_names(data: Mapping[str, Any]) -> dict[str, Any]:
    """Accept facet_field for facet.field: Python clients (ckanapi) cannot write a dot in a keyword argument."""
    out = dict(data)
    for dotted in ("facet.field", "facet.limit", "facet.mincount"):
        underscored = dotted.replace(".", "_")
        if underscored in out and dotted not in out:
            out[dotted] = out.pop(underscored)
    return out


# -- sorting and facets ----------------------------------------------------------------------------------------
SORT_KEYS: dict[str, Callable[[dict[str, Any]], str]] = {
    "metadata_modified": lambda p: p["metadata_modified"],
    "metadata_created": lambda p: p["metadata_created"],
    "title_string": lambda p: p["title"].casefold(),
    "name": lambda p: p["name"],
}


def parse_sort(text: str) -> list[tuple[str, bool]]:
    """`score desc, metadata_modified desc` → [("score", True), ("metadata_modified", True)]."""
    keys = []
    for part in text.split(","):
        bits = part.split()
        if not bits:
            continue
        field, direction = bits[0], (bits[1].lower() if len(bits) > 1 else "asc")
        if (field != "score" and field not in SORT_KEYS) or direction not in ("asc", "desc") or len(bits) > 2:
            raise SearchError(f"cannot sort by {part.strip()!r}; sort by score, {', '.join(SORT_KEYS)} asc|desc")
        keys.append((field, direction == "desc"))
    return keys


def sort_packages(packages: list[dict[str, Any]], keys: list[tuple[str, bool]], *,
                  has_query: bool) -> list[dict[str, Any]]:
    """Stable sorts from the last key to the first; `score` is the catalogue's relevance order."""
    ranked = list(enumerate(packages))
    for field, descending in reversed(keys):
        if field == "score":
            if has_query:  # without words every score is equal, so the next key decides (as in Solr)
                ranked.sort(key=lambda item: item[0], reverse=not descending)
            continue
        key = SORT_KEYS[field]
        ranked.sort(key=lambda item: key(item[1]), reverse=descending)
    return [package for _, package in ranked]


def facet_counts(packages: list[dict[str, Any]], fields: list[str], limit: int,
                 mincount: int = 1) -> dict[str, dict[str, int]]:
    """Solr's facets: per field, values by count (then name), at most `limit` of them (negative: all)."""
    facets: dict[str, dict[str, int]] = {}
    for field in fields:
        getter = FIELD_VALUES.get(field) if field in FACET_FIELDS else None
        counts = Counter(v for p in packages for v in set(getter(p))) if getter else Counter()
        ranked = sorted(((v, n) for v, n in counts.items() if n >= mincount), key=lambda vn: (-vn[1], vn[0]))
        facets[field] = dict(ranked if limit < 0 else ranked[:limit])
    return facets


def _display_names(packages: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    names: dict[str, dict[str, str]] = {"groups": {}, "organization": {}, "license_id": {}}
    for p in packages:
        names["groups"].update((g["name"], g["display_name"]) for g in p["groups"])
        names["organization"][p["organization"]["name"]] = p["organization"]["title"]
        names["license_id"][p["license_id"]] = p["license_title"]
    return names


def search_facets(facets: dict[str, dict[str, int]], packages: list[dict[str, Any]]) -> dict[str, Any]:
    """CKAN's richer facet shape, items sorted by display name descending (as CKAN itself does)."""
    names = _display_names(packages)
    out: dict[str, Any] = {}
    for field, counts in facets.items():
        shown = names.get(field, {})
        items = [{"name": value, "display_name": shown.get(value, value), "count": count}
                 for value, count in counts.items()]
        out[field] = {"title": field, "items": sorted(items, key=lambda item: str(item["display_name"]),
                                                      reverse=True)}
    return out


# -- actions ---------------------------------------------------------------------------------------------------
def package_search(ctx: Context, data: Mapping[str, Any]) -> dict[str, Any]:
    """Search datasets: q, fq, sort, rows, start, facet.field, facet.limit, facet.mincount, include_drafts."""
    params = Params(_with_dotted_names(data))
    rows = min(params.integer("rows", ROWS_DEFAULT), ROWS_MAX)
    start = params.integer("start", 0)
    facet_limit = params.integer("facet.limit", FACET_LIMIT_DEFAULT, natural=False)
    mincount = params.integer("facet.mincount", 1)
    facet_fields = params.strings("facet.field") if params.flag("facet", True) else []
    params.check()
    query = parse_query(params.text("q"), params.text("fq"))
    sort = params.text("sort").strip() or DEFAULT_SORT
    sort = DEFAULT_SORT if sort == "rank" else sort
    keys = parse_sort(sort)
    drafts = params.flag("include_drafts")
    page = ctx.catalog.search(ctx.principal, query.text, sort="relevance", limit=_EVERYTHING)
    found = [package_dict(ctx, d, page.versions.get(d.id)) for d in page.datasets if d.is_published or drafts]
    found = sort_packages([p for p in found if matches(p, query)], keys, has_query=bool(query.text.strip()))
    facets = facet_counts(found, facet_fields, facet_limit, mincount)
    return {"count": len(found), "facets": facets, "results": found[start:start + rows], "sort": sort,
            "search_facets": search_facets(facets, found)}


def _dataset(ctx: Context, dataset_id: str) -> DatasetRecord:
    try:
        return access.require(ctx.principal, ctx.store.dataset(dataset_id))
    except WierdeNotFound:
        raise NotFound() from None


def package_show(ctx: Context, data: Mapping[str, Any]) -> dict[str, Any]:
    """One dataset by id or name (they are the same in Wierde)."""
    params = Params(data)
    dataset_id = params.required("id")
    params.check()
    dataset = _dataset(ctx, dataset_id)
    return package_dict(ctx, dataset, ctx.store.current_versions().get(dataset.id))


def _listed(ctx: Context) -> list[dict[str, Any]]:
    """Every published dataset this principal may see, as packages: what lists and counts are made of."""
    versions = ctx.store.current_versions()
    datasets = [d for d in access.visible(ctx.principal, ctx.store.datasets()) if d.is_published]
    return [package_dict(ctx, d, versions.get(d.id)) for d in datasets]


def _page(items: list[Any], params: Params) -> list[Any]:
    limit, offset = params.integer("limit", 0), params.integer("offset", 0)
    params.check()
    return items[offset:offset + limit] if limit else items[offset:]


def package_list(ctx: Context, data: Mapping[str, Any]) -> list[str]:
    """Names of all published datasets, sorted; limit and offset page through them."""
    names = sorted(d.id for d in access.visible(ctx.principal, ctx.store.datasets()) if d.is_published)
    return _page(names, Params(data))


def _organizations(ctx: Context, packages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Publishers of what may be seen, plus the instance's own publisher (so the list is never empty)."""
    orgs = {o["name"]: o for o in [organization_dict(ctx.info.agent)] + [p["organization"] for p in packages]}
    counts = Counter(p["organization"]["name"] for p in packages)
    return {name: {**org, "package_count": counts[name], "num_followers": 0} for name, org in sorted(orgs.items())}


def _groups(packages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    counts = Counter(g["name"] for p in packages for g in p["groups"])
    groups = (group_dict(theme) for theme in vocab.THEMES.values())
    return {g["name"]: {**g, "package_count": counts[g["name"]], "num_followers": 0}
            for g in sorted(groups, key=lambda g: g["name"])}


def _listing(found: dict[str, dict[str, Any]], data: Mapping[str, Any]) -> list[Any]:
    """CKAN's group and organization lists: sort `name` or `package_count` (asc|desc), limit, offset, all_fields."""
    params = Params(data)
    field, _, direction = params.text("sort", "name").strip().partition(" ")
    direction = direction.strip()
    by_count = field in ("package_count", "packages")
    items = sorted(found.values(), key=lambda item: item["name"], reverse=not by_count and direction == "desc")
    if by_count:  # CKAN puts the largest first unless asked otherwise; equal counts stay in name order
        items.sort(key=lambda item: item["package_count"], reverse=direction != "asc")
    chosen = _page(items, params)
    return chosen if params.flag("all_fields") else [item["name"] for item in chosen]


def _show(found: dict[str, dict[str, Any]], packages: list[dict[str, Any]], data: Mapping[str, Any],
          field: str) -> dict[str, Any]:
    params = Params(data)
    wanted = params.required("id").lower()
    params.check()
    hit = found.get(wanted) or next((item for item in found.values() if _uri_of(item).lower() == wanted), None)
    if hit is None:
        raise NotFound()
    if params.flag("include_datasets"):
        own = [p for p in packages if hit["name"] in FIELD_VALUES[field](p)]
        return {**hit, "packages": own}
    return hit


def _uri_of(item: dict[str, Any]) -> str:
    return next((extra["value"] for extra in item["extras"] if extra["key"] == "uri"), "")


def organization_list(ctx: Context, data: Mapping[str, Any]) -> list[Any]:
    """Publishers as organizations: names, or whole dicts with all_fields; sort by name or package_count."""
    return _listing(_organizations(ctx, _listed(ctx)), data)


def organization_show(ctx: Context, data: Mapping[str, Any]) -> dict[str, Any]:
    """One publisher by name or TOOI URI; include_datasets adds its datasets."""
    packages = _listed(ctx)
    return _show(_organizations(ctx, packages), packages, data, "organization")


def group_list(ctx: Context, data: Mapping[str, Any]) -> list[Any]:
    """The EU data themes as groups (tran, envi, ...): names, or whole dicts with all_fields."""
    return _listing(_groups(_listed(ctx)), data)


def group_show(ctx: Context, data: Mapping[str, Any]) -> dict[str, Any]:
    """One EU data theme by code (tran) or URI; include_datasets adds its datasets."""
    packages = _listed(ctx)
    return _show(_groups(packages), packages, data, "groups")


def tag_list(ctx: Context, data: Mapping[str, Any]) -> list[Any]:
    """Keywords of published datasets; query filters by a part of the word, all_fields returns dicts."""
    params = Params(data)
    part = params.text("query").casefold()
    names = sorted({t for p in _listed(ctx) for t in FIELD_VALUES["tags"](p) if part in t.casefold()})
    if params.flag("all_fields"):
        return [{"id": name, "name": name, "vocabulary_id": None} for name in names]
    return names


def license_list(ctx: Context, data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The licences Wierde knows, with CKAN's ids where CKAN has them."""
    return [licence_dict(spdx) for spdx in vocab.LICENCES] + [licence_dict(None)]


def status_show(ctx: Context, data: Mapping[str, Any]) -> dict[str, Any]:
    """What this site is, in the shape CKAN clients check before they talk to it."""
    return {"ckan_version": CKAN_VERSION, "site_title": ctx.settings.site_title,
            "site_description": ctx.info.description.get("nl", ""), "site_url": ctx.settings.base_url.rstrip("/"),
            "error_emails_to": None, "locale_default": "nl", "extensions": ["wierde"]}


def resource_show(ctx: Context, data: Mapping[str, Any]) -> dict[str, Any]:
    """One download of a dataset's current version, by the id package_show gives it (`<dataset>.<format>`)."""
    params = Params(data)
    resource_id = params.required("id")
    params.check()
    dataset_id, _, code = resource_id.rpartition(".")
    if not dataset_id:
        raise NotFound("Resource was not found.")
    package = package_dict(ctx, _dataset(ctx, dataset_id), ctx.store.current_versions().get(dataset_id))
    found = next((r for r in package["resources"] if r["id"] == resource_id), None)
    if found is None:
        raise NotFound("Resource was not found.")
    return found


def help_show(ctx: Context, data: Mapping[str, Any]) -> str:
    """What an action does and which parameters it takes."""
    params = Params(data)
    name = params.required("name")
    params.check()
    if name not in ACTIONS:
        raise NotFound("Action function not found")
    return ACTIONS[name].__doc__ or ""


Action = Callable[[Context, Mapping[str, Any]], Any]
ACTIONS: dict[str, Action] = {action.__name__: action for action in (
    package_search, package_show, package_list, organization_list, organization_show, group_list, group_show,
    tag_list, license_list, status_show, resource_show, help_show,
)}


def help_url(settings: Settings, action: str) -> str:
    return f"{settings.base_url.rstrip('/')}/api/3/action/help_show?name={action}"


def bad_request(message: str) -> Reply:
    """CKAN answers a request it cannot read with a bare JSON string, not an envelope."""
    return Reply(400, f"Bad request - {message}")


def dispatch(ctx: Context, action: str, data: Mapping[str, Any]) -> Reply:
    """Run an action and wrap its result or error in CKAN's envelope with CKAN's status codes."""
    function = ACTIONS.get(action)
    if function is None:
        return bad_request(f"Action name not known: {action}")
    envelope: dict[str, Any] = {"help": help_url(ctx.settings, action)}
    try:
        result = function(ctx, data)
    except CkanError as error:
        return Reply(error.status, {**envelope, "success": False, "error": error.body()})
    except WierdeNotFound:
        return Reply(404, {**envelope, "success": False, "error": NotFound().body()})
    except WierdeForbidden as error:  # CKAN's NotAuthorized
        return Reply(403, {**envelope, "success": False,
                           "error": {"__type": "Authorization Error", "message": error.detail}})
    except WierdeError as error:
        return Reply(409, {**envelope, "success": False,
                           "error": {"__type": "Validation Error", "message": error.detail}})
    except Exception:  # CKAN answers anything else with its envelope too, so clients can still read it
        log.exception("CKAN action %s failed", action)
        return Reply(500, {**envelope, "success": False,
                           "error": {"__type": "Internal Server Error", "message": "Internal Server Error"}})
    return Reply(200, {**envelope, "success": True, "result": result})
