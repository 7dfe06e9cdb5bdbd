"""Prove that the portal's completeness score rewards mandatory DCAT-AP-NL fields most and names what is missing."""

from __future__ import annotations

from wierde.catalog.completeness import (
    CHECKS,
    MANDATORY,
    OPTIONAL,
    RECOMMENDED,
    completeness,
    feed_blockers,
    label,
    level,
)
from wierde.catalog.model import DatasetMetadata


def test_full_metadata_scores_one(full_meta: DatasetMetadata) -> None:
    result = completeness(full_meta)
    assert result.score == 1.0
    assert result.missing == ()
    assert set(result.present) == {check.field for check in CHECKS}


def test_minimal_metadata_lists_what_is_missing_most_important_first(minimal_meta: DatasetMetadata) -> None:
    result = completeness(minimal_meta)
    assert result.missing_at(MANDATORY) == ("description", "contact_point")
    assert result.missing_at(RECOMMENDED) == ("keywords", "spatial", "temporal", "language", "documentation")
    assert result.missing[:2] == ("description", "contact_point")
    assert 0.4 < result.score < 0.7
    # defaults the feed really uses (publisher, creator, access rights) count as present
    assert {"publisher", "creator", "access_rights", "licence", "themes"} <= set(result.present)


def test_a_missing_mandatory_field_costs_more_than_a_missing_optional_one() -> None:
    base = {"title": "x", "description": "y", "themes": ["ECON"], "licence": "CC0-1.0",
            "contact_point": {"email": "data@provinciegroningen.nl"}, "source": "https://example.org/bron"}
    without_optional = completeness(DatasetMetadata.from_mapping({k: v for k, v in base.items() if k != "source"}))
    without_mandatory = completeness(DatasetMetadata.from_mapping({k: v for k, v in base.items() if k != "licence"}))
    assert without_mandatory.score < without_optional.score < completeness(DatasetMetadata.from_mapping(base)).score


def test_every_field_has_dutch_and_english_labels() -> None:
    assert label("contact_point", "nl") == "Contactpunt" and label("contact_point", "en") == "Contact point"
    assert label("accrual_periodicity") == "Verversingsinterval"
    for check in CHECKS:
        assert label(check.field, "nl") and label(check.field, "en")
        assert level(check.field) in (MANDATORY, RECOMMENDED, OPTIONAL)


def test_feed_blockers_are_the_mandatory_fields_the_feed_cannot_fill() -> None:
    bare = DatasetMetadata.from_mapping({"title": "x"})
    assert feed_blockers(bare) == ("themes", "licence")
    assert feed_blockers(bare, has_distributions=False) == ("themes",)
