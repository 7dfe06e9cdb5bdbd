"""Prove that region and organisation codes become the URIs DCAT-AP-NL expects, with labels for the portal."""

from __future__ import annotations

import pytest

from wierde.catalog import vocab


def test_organisation_codes_become_tooi_identifiers() -> None:
    assert vocab.organisation_uri("PV20") == "https://identifier.overheid.nl/tooi/id/provincie/pv20"
    assert vocab.organisation_uri("gm0014") == "https://identifier.overheid.nl/tooi/id/gemeente/gm0014"
    assert vocab.organisation_name(vocab.organisation_uri("GM1966")) == "Gemeente Het Hogeland"
    assert vocab.organisation_name(vocab.organisation_uri("GM0363")) is None  # a name we do not know
    with pytest.raises(ValueError, match="neither an organisation URI nor"):
        vocab.organisation_uri("Provincie Groningen")


@pytest.mark.parametrize(("code", "uri"), [
    ("NL", "http://publications.europa.eu/resource/authority/country/NLD"),
    ("PV20", "http://sws.geonames.org/2755249/"),
    ("GM0014", "https://identifier.overheid.nl/tooi/id/gemeente/gm0014"),
    ("WK001401", "https://identifier.overheid.nl/tooi/id/gemeente/gm0014"),
    ("BU00140100", "https://identifier.overheid.nl/tooi/id/gemeente/gm0014"),
    ("https://sws.geonames.org/2755251/", "https://sws.geonames.org/2755251/"),
])
def test_region_codes_become_spatial_uris(code: str, uri: str) -> None:
    assert vocab.spatial_uri(code) == uri


def test_unknown_codes_list_the_allowed_values() -> None:
    with pytest.raises(ValueError, match="unknown province code 'PV99'"):
        vocab.spatial_uri("PV99")
    with pytest.raises(ValueError, match="allowed: nl, en, fy, de, fr"):
        vocab.language("xx")
    with pytest.raises(ValueError, match="allowed: continuous, .*monthly"):
        vocab.frequency("fortnightly")


def test_every_code_list_entry_has_both_labels() -> None:
    terms = [*vocab.THEMES.values(), *vocab.FREQUENCIES.values(), *vocab.ACCESS_RIGHTS.values(),
             *vocab.LANGUAGES.values()]
    assert all(term.label("nl") and term.label("en") for term in terms)
    assert vocab.theme("envi").label("nl") == "Milieu"
    assert all(lic.label("nl") and lic.eu_uri.startswith(vocab.EU + "licence/") for lic in vocab.LICENCES.values())
