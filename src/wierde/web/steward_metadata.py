"""The steward's metadata form both ways: stored metadata into the form's fields, posted fields into metadata, and the
metadata model's problems placed at the fields they are about."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from wierde.catalog import vocab
from wierde.catalog.model import MetadataError
from wierde.web.steward_common import FieldError, Fields, one

_PROBLEM_KEY = re.compile(r"^(?P<key>[\w.]+)(?P<sep>: | is required)")
METADATA_FIELDS = {  # metadata key (as the model names it in a problem) -> the form field that edits it
    "title": "title_nl", "description": "description_nl", "keywords": "keywords_nl", "themes": "themes",
    "licence": "licence", "contact_point": "contact_email", "accrual_periodicity": "frequency",
    "temporal": "temporal_start", "spatial": "spatial", "documentation": "documentation", "source": "source",
    "attribution": "attribution", "access_rights": "access_rights",
}


def _text(value: object, lang: str) -> str:
    if isinstance(value, Mapping):
        return str(value.get(lang) or "")
    return str(value or "") if lang == "nl" else ""


def _words(value: object, lang: str) -> str:
    if isinstance(value, Mapping):
        value = value.get(lang)
    elif lang != "nl":
        return ""
    items = value if isinstance(value, list | tuple) else [value] if value else []
    return ", ".join(str(item) for item in items)


def _as_list(value: object) -> list[str]:
    items = value if isinstance(value, list | tuple) else [value] if value else []
    return [str(item) for item in items]


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _licence_code(value: object) -> str:
    try:
        return vocab.licence(str(value)).spdx if value else ""
    except ValueError:
        return str(value)


def metadata_values(meta: Mapping[str, Any]) -> dict[str, Any]:
    """What the metadata form shows for stored (or just posted) metadata; the inverse of `metadata_from_form`."""
    contact, temporal = _mapping(meta.get("contact_point")), _mapping(meta.get("temporal"))
    values: dict[str, Any] = {f"{key}_{lang}": _text(meta.get(key), lang)
                              for key in ("title", "description") for lang in ("nl", "en")}
    values.update({f"keywords_{lang}": _words(meta.get("keywords"), lang) for lang in ("nl", "en")})
    values.update({f"contact_{key}": str(contact.get(key) or "") for key in ("name", "email", "url")})
    values.update({f"temporal_{key}": str(temporal.get(key) or "") for key in ("start", "end")})
    values.update({key: str(meta.get(key) or "") for key in ("documentation", "source", "attribution")})
    values.update(themes=[code.upper() for code in _as_list(meta.get("themes"))],
                  licence=_licence_code(meta.get("licence")), frequency=str(meta.get("accrual_periodicity") or ""),
                  spatial=", ".join(_as_list(meta.get("spatial"))), access_rights=str(meta.get("access_rights") or ""))
    return values


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _put(meta: dict[str, Any], key: str, value: object) -> None:
    """An emptied field removes the key, so the model's defaults (and the gate's) apply again."""
    if value:
        meta[key] = value
    else:
        meta.pop(key, None)


def metadata_from_form(current: Mapping[str, Any], fields: Fields) -> dict[str, Any]:
    """The stored metadata with the form's fields applied; keys the form does not edit are kept as they are."""
    meta = dict(current)
    for key in ("title", "description"):
        _put(meta, key, {lang: text for lang in ("nl", "en") if (text := one(fields, f"{key}_{lang}"))})
    _put(meta, "keywords", {lang: words for lang in ("nl", "en")
                            if (words := _split(one(fields, f"keywords_{lang}")))})
    _put(meta, "themes", [code for code in fields.get("themes", []) if code.strip()])
    _put(meta, "contact_point", {key: text for key in ("name", "email", "url")
                                 if (text := one(fields, f"contact_{key}"))})
    _put(meta, "temporal", {key: text for key in ("start", "end") if (text := one(fields, f"temporal_{key}"))})
    _put(meta, "spatial", _split(one(fields, "spatial")))
    _put(meta, "accrual_periodicity", one(fields, "frequency"))
    for key in ("licence", "access_rights", "documentation", "source", "attribution"):
        _put(meta, key, one(fields, key))
    return meta


def metadata_errors(error: MetadataError) -> list[FieldError]:
    """Each problem the metadata model found, placed at the form field it is about."""
    problems = error.extra.get("problems")
    lines = [str(p) for p in problems] if isinstance(problems, list) and problems else [error.detail]
    return [_placed(line) for line in lines]


def _placed(problem: str) -> FieldError:
    """Next to its field a problem needs no key ('contact_point.email: ...' becomes '...')."""
    found = _PROBLEM_KEY.match(problem)
    place = problem_field(found["key"]) if found else "metadata-h"
    if found and place != "metadata-h" and found["sep"] == ": ":
        return FieldError(place, problem[found.end():])
    return FieldError(place, problem)


def problem_field(key: str) -> str:
    parts = key.split(".")
    nested = {"contact_point": "contact", "temporal": "temporal"}
    if parts[0] in nested and len(parts) > 1 and parts[1] in ("name", "email", "url", "start", "end"):
        return f"m-{nested[parts[0]]}_{parts[1]}"
    name = METADATA_FIELDS.get(parts[0])
    return f"m-{name}" if name else "metadata-h"
