"""Catalogue models kept apart by purpose: a steward's YAML, a feed entry, and the catalogue itself."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from wierde.catalog import vocab
from wierde.errors import InvalidInput

LangText = dict[str, str]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATASET_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class MetadataError(InvalidInput):
    """Metadata we cannot use; the message names the file (or other source) and every offending key."""


def pick(texts: Mapping[str, str], lang: str = "nl") -> str:
    """The text in `lang`, else Dutch, else any language we have, else ''."""
    return texts.get(lang) or texts.get("nl") or next(iter(texts.values()), "")


def _url(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not vocab.is_uri(value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


def _lang_text(value: object) -> LangText:
    """A plain string means Dutch; a mapping is keyed by language code. Empty texts are dropped."""
    if value is None:
        return {}
    if isinstance(value, str):
        value = {"nl": value}
    if not isinstance(value, Mapping):
        raise ValueError("expected a text or a mapping like {nl: ..., en: ...}")
    texts = {vocab.language(str(lang)).code: str(text).strip() for lang, text in value.items()}
    return {lang: text for lang, text in texts.items() if text}


def _lang_words(value: object) -> dict[str, list[str]]:
    """Keywords as {lang: [words]}; a plain list means Dutch."""
    if value is None:
        return {}
    if isinstance(value, list | tuple):
        value = {"nl": value}
    if not isinstance(value, Mapping):
        raise ValueError("expected a list of words or a mapping like {nl: [...], en: [...]}")
    words: dict[str, list[str]] = {}
    for lang, items in value.items():
        if isinstance(items, str):
            items = [items]
        cleaned = [str(word).strip() for word in items or [] if str(word).strip()]
        if cleaned:
            words[vocab.language(str(lang)).code] = list(dict.fromkeys(cleaned))
    return words


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


class Agent(BaseModel):
    """An organisation by URI and name; YAML may give just a URI or a code (PV20) when we know its name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    uri: str
    name: str

    @model_validator(mode="before")
    @classmethod
    def _from_code_or_uri(cls, value: object) -> object:
        if isinstance(value, str):
            value = {"uri": value}
        if not isinstance(value, Mapping) or not value.get("uri"):
            return value
        uri = vocab.organisation_uri(str(value["uri"]))
        name = value.get("name") or vocab.organisation_name(uri)
        if not name:
            raise ValueError(f"no name known for {uri}; write it as {{uri: {uri}, name: ...}}")
        return {**value, "uri": uri, "name": name}

    def to_yaml_value(self) -> str | dict[str, str]:
        """A bare URI when its name follows from it, so a round trip does not add noise to the file."""
        return self.uri if vocab.organisation_name(self.uri) == self.name else {"uri": self.uri, "name": self.name}


class ContactPoint(BaseModel):
    """Where users send questions: DCAT-AP-NL wants a functional e-mail address or a contact form URL."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    email: str | None = None
    url: str | None = None

    check_url = field_validator("url")(_url)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value.strip()):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value.strip() if value else None

    @model_validator(mode="after")
    def _reachable(self) -> ContactPoint:
        if not (self.email or self.url):
            raise ValueError("a contact point needs an email or a url")
        return self


class Period(BaseModel):
    """The time the data covers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: date | None = None
    end: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.start is None and self.end is None:
            raise ValueError("a period needs a start or an end")
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self


class DatasetMetadata(BaseModel):
    """What a data steward writes in the YAML beside a dataset (or sends to the API), with defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: LangText
    description: LangText = {}
    keywords: dict[str, list[str]] = {}
    themes: list[str] = []
    publisher: Agent = Agent.model_validate(vocab.DEFAULT_PUBLISHER)
    creator: Agent | None = None
    contact_point: ContactPoint | None = None
    licence: str | None = None
    access_rights: str = "public"
    spatial: list[str] = []
    temporal: Period | None = None
    accrual_periodicity: str | None = None
    language: list[str] = []
    issued: date | None = None
    modified: date | None = None
    source: str | None = None
    attribution: str | None = None
    synthetic: bool = False
    documentation: str | None = None

    check_urls = field_validator("source", "documentation")(_url)

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: object) -> LangText:
        texts = _lang_text(value)
        if not texts:
            raise ValueError("a title is required (a text, or {nl: ..., en: ...})")
        return texts

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: object) -> LangText:
        return _lang_text(value)

    @field_validator("keywords", mode="before")
    @classmethod
    def _keywords(cls, value: object) -> dict[str, list[str]]:
        return _lang_words(value)

    @field_validator("themes", mode="before")
    @classmethod
    def _themes(cls, value: object) -> list[str]:
        return list(dict.fromkeys(vocab.theme(str(code)).code for code in _as_list(value)))

    @field_validator("language", mode="before")
    @classmethod
    def _languages(cls, value: object) -> list[str]:
        return list(dict.fromkeys(vocab.language(str(code)).code for code in _as_list(value)))

    @field_validator("spatial", mode="before")
    @classmethod
    def _spatial(cls, value: object) -> list[str]:
        areas = [str(v) if vocab.is_uri(str(v)) else vocab.region_code(str(v)) for v in _as_list(value)]
        for area in areas:
            vocab.spatial_uri(area)  # fail here, not in the feed, for a code we cannot place (PV99)
        return list(dict.fromkeys(areas))

    @field_validator("licence", mode="before")
    @classmethod
    def _licence(cls, value: object) -> str | None:
        return None if value in (None, "") else vocab.licence(str(value)).spdx

    @field_validator("access_rights", mode="before")
    @classmethod
    def _access_rights(cls, value: object) -> str:
        return vocab.access_right(str(value)).code

    @field_validator("accrual_periodicity", mode="before")
    @classmethod
    def _frequency(cls, value: object) -> str | None:
        return None if value in (None, "") else vocab.frequency(str(value)).code

    @field_validator("attribution", mode="before")
    @classmethod
    def _attribution(cls, value: object) -> str | None:
        text = "" if value is None else str(value).strip()
        return text or None

    @property
    def creator_or_publisher(self) -> Agent:
        return self.creator or self.publisher

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "metadata") -> DatasetMetadata:
        """Validate a parsed mapping; every problem is reported at once, prefixed with `where`."""
        if not isinstance(data, Mapping):
            raise MetadataError(f"{where}: expected a mapping of keys to values, got {type(data).__name__}")
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise MetadataError(_explain(exc, where, cls), problems=_problems(exc)) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> DatasetMetadata:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise MetadataError(f"{path}: cannot read metadata ({exc.strerror})") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f"{path}:{mark.line + 1}" if mark is not None else str(path)
            raise MetadataError(f"{at}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
        return cls.from_mapping({} if data is None else data, where=str(path))

    def to_yaml(self) -> str:
        """The YAML a steward would write: defaults and empty fields left out, keys in the documented order."""
        data = self.model_dump(mode="python", exclude_none=True)
        data["publisher"] = self.publisher.to_yaml_value()
        if self.creator is not None:
            data["creator"] = self.creator.to_yaml_value()
        if self.publisher.uri == vocab.DEFAULT_PUBLISHER:
            data.pop("publisher")
        if not self.synthetic:
            data.pop("synthetic")
        if self.temporal is not None:
            data["temporal"] = self.temporal.model_dump(exclude_none=True)
        data = {key: value for key, value in data.items() if value not in ({}, [])}
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


class Distribution(BaseModel):
    """One downloadable form of a dataset's current version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: str
    media_type: str
    download_url: str
    access_url: str
    byte_size: int | None = None
    licence: str | None = None
    modified: datetime | None = None
    title: str | None = None
    conforms_to: str | None = None

    check_conforms_to = field_validator("conforms_to")(_url)

    @model_validator(mode="before")
    @classmethod
    def _media_type_from_format(cls, data: object) -> object:
        if isinstance(data, Mapping) and data.get("format") and not data.get("media_type"):
            return {**data, "media_type": vocab.file_format(str(data["format"])).media_type}
        return data

    @field_validator("format")
    @classmethod
    def _format(cls, value: str) -> str:
        return vocab.file_format(value).code

    @field_validator("download_url", "access_url")
    @classmethod
    def _urls(cls, value: str) -> str:
        return str(_url(value))

    @field_validator("licence", mode="before")
    @classmethod
    def _licence(cls, value: object) -> str | None:
        return None if value in (None, "") else vocab.licence(str(value)).spdx

    @field_validator("byte_size")
    @classmethod
    def _size(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError("byte_size cannot be negative")
        return value


class CatalogEntry(BaseModel):
    """What the feed needs to describe one published dataset: its metadata plus facts the platform knows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset_id: str
    metadata: DatasetMetadata
    landing_page: str
    distributions: list[Distribution] = []
    version_id: str | None = None
    modified: datetime | None = None
    row_count: int | None = None

    check_landing_page = field_validator("landing_page")(_url)

    @field_validator("distributions")
    @classmethod
    def _one_per_format(cls, value: list[Distribution]) -> list[Distribution]:
        formats = [dist.format for dist in value]
        doubles = sorted({fmt for fmt in formats if formats.count(fmt) > 1})
        if doubles:
            raise ValueError(f"one distribution per format; {', '.join(doubles)} appears more than once")
        return value

    @field_validator("dataset_id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _DATASET_ID.match(value):
            raise ValueError(f"{value!r} cannot be part of a URI; use letters, digits, '.', '_' and '-'")
        return value


class CatalogInfo(BaseModel):
    """The catalogue as a whole: who runs it and where it lives (from the instance's settings)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str
    title: LangText
    description: LangText
    publisher: str = vocab.DEFAULT_PUBLISHER
    homepage: str
    language: list[str] = ["nl", "en"]
    publisher_name: str | None = None
    contact_point: ContactPoint | None = None

    check_homepage = field_validator("homepage")(_url)

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        return str(_url(value)).rstrip("/")

    @field_validator("title", "description", mode="before")
    @classmethod
    def _texts(cls, value: object) -> LangText:
        texts = _lang_text(value)
        if not texts:
            raise ValueError("a catalogue needs a title and a description")
        return texts

    @field_validator("language", mode="before")
    @classmethod
    def _languages(cls, value: object) -> list[str]:
        return [vocab.language(str(code)).code for code in _as_list(value)]

    @field_validator("publisher")
    @classmethod
    def _publisher(cls, value: str) -> str:
        return vocab.organisation_uri(value)

    @model_validator(mode="after")
    def _named_publisher(self) -> CatalogInfo:
        if not (self.publisher_name or vocab.organisation_name(self.publisher)):
            raise ValueError(f"no name known for publisher {self.publisher}; set publisher_name")
        return self

    @property
    def agent(self) -> Agent:
        name = self.publisher_name or vocab.organisation_name(self.publisher) or self.publisher
        return Agent(uri=self.publisher, name=name)


def _problems(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"]) or "(document)"
        if err["type"] == "extra_forbidden":
            out.append(f"unknown key {key!r}")
        elif err["type"] == "missing":
            out.append(f"{key} is required")
        else:
            message = str(err["msg"]).removeprefix("Value error, ")
            out.append(f"{key}: {message}")
    return out


def _explain(exc: ValidationError, where: str, model: type[BaseModel]) -> str:
    problems = _problems(exc)
    if any(err["type"] == "extra_forbidden" and len(err["loc"]) == 1 for err in exc.errors()):
        problems.append(f"allowed keys: {', '.join(model.model_fields)}")
    if len(problems) == 1:
        return f"{where}: {problems[0]}"
    return f"{where}:" + "".join(f"\n  - {problem}" for problem in problems)
