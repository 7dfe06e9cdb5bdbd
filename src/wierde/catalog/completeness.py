"""How complete a dataset's metadata is against DCAT-AP-NL, so the portal can show a score and what to add."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wierde.catalog.model import DatasetMetadata

MANDATORY = "mandatory"
RECOMMENDED = "recommended"
OPTIONAL = "optional"
# A missing mandatory property costs three times what a missing optional one does.
WEIGHTS = {MANDATORY: 3.0, RECOMMENDED: 2.0, OPTIONAL: 1.0}


@dataclass(frozen=True)
class Check:
    """One property a steward can fill in: its level in DCAT-AP-NL, its labels, and how to tell it is there."""

    field: str
    level: str
    nl: str
    en: str
    present: Callable[[DatasetMetadata], bool]

    def label(self, lang: str = "nl") -> str:
        return self.en if lang == "en" else self.nl


def _translated(meta: DatasetMetadata) -> bool:
    return "en" in meta.title and (not meta.description or "en" in meta.description)


# Levels follow the profile's optionality (dcat-ap-nl-OPT.ttl) for the YAML field that feeds each property;
# labels follow its Dutch labels (dcat-ap-nl-LBL.ttl) where it has one.
CHECKS: tuple[Check, ...] = (
    Check("title", MANDATORY, "Titel", "Title", lambda m: bool(m.title)),
    Check("description", MANDATORY, "Beschrijving", "Description", lambda m: bool(m.description)),
    Check("themes", MANDATORY, "Thema", "Theme", lambda m: bool(m.themes)),
    Check("publisher", MANDATORY, "Uitgever", "Publisher", lambda m: m.publisher is not None),
    Check("creator", MANDATORY, "Vervaardiger", "Creator", lambda m: m.creator_or_publisher is not None),
    Check("contact_point", MANDATORY, "Contactpunt", "Contact point", lambda m: m.contact_point is not None),
    Check("access_rights", MANDATORY, "Toegangsrechten", "Access rights", lambda m: bool(m.access_rights)),
    Check("licence", MANDATORY, "Licentie", "Licence", lambda m: m.licence is not None),
    Check("keywords", RECOMMENDED, "Trefwoorden", "Keywords", lambda m: bool(m.keywords)),
    Check("spatial", RECOMMENDED, "Ruimtelijke dekking", "Spatial coverage", lambda m: bool(m.spatial)),
    Check("temporal", RECOMMENDED, "Tijddekking", "Temporal coverage", lambda m: m.temporal is not None),
    Check("language", RECOMMENDED, "Taal", "Language", lambda m: bool(m.language)),
    Check("documentation", RECOMMENDED, "Documentatie", "Documentation", lambda m: m.documentation is not None),
    Check("accrual_periodicity", OPTIONAL, "Verversingsinterval", "Update frequency",
          lambda m: m.accrual_periodicity is not None),
    Check("issued", OPTIONAL, "Uitgegeven", "Release date", lambda m: m.issued is not None),
    Check("modified", OPTIONAL, "Gewijzigd", "Modification date", lambda m: m.modified is not None),
    Check("source", OPTIONAL, "Bron", "Source", lambda m: m.source is not None),
    Check("attribution", OPTIONAL, "Naamsvermelding", "Attribution", lambda m: m.attribution is not None),
    Check("translation", OPTIONAL, "Engelse vertaling", "English translation", _translated),
)
_BY_FIELD = {check.field: check for check in CHECKS}


@dataclass(frozen=True)
class Completeness:
    """A score from 0 to 1 and the fields behind it, in the order of CHECKS (most important first)."""

    score: float
    present: tuple[str, ...]
    missing: tuple[str, ...]

    def missing_at(self, level: str) -> tuple[str, ...]:
        return tuple(field for field in self.missing if _BY_FIELD[field].level == level)


def completeness(meta: DatasetMetadata) -> Completeness:
    results = [(check, check.present(meta)) for check in CHECKS]
    total = sum(WEIGHTS[check.level] for check, _ in results)
    earned = sum(WEIGHTS[check.level] for check, ok in results if ok)
    return Completeness(
        score=round(earned / total, 3),
        present=tuple(check.field for check, ok in results if ok),
        missing=tuple(check.field for check, ok in results if not ok),
    )


def label(field: str, lang: str = "nl") -> str:
    """The portal's name for a completeness field, in Dutch or English."""
    return _BY_FIELD[field].label(lang)


def level(field: str) -> str:
    return _BY_FIELD[field].level


def feed_blockers(meta: DatasetMetadata, *, has_distributions: bool = True) -> tuple[str, ...]:
    """Mandatory fields the DCAT feed cannot fill in by itself; a dataset with any of these stays out of it."""
    blockers = []
    if not meta.themes:
        blockers.append("themes")
    if has_distributions and meta.licence is None:
        blockers.append("licence")
    return tuple(blockers)
