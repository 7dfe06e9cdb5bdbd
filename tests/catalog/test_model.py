"""Prove that a steward's YAML is read as written, filled with sane defaults, and refused with clear reasons."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from wierde.catalog.model import CatalogEntry, CatalogInfo, DatasetMetadata, Distribution, MetadataError
from wierde.errors import InvalidInput

from .sample import BASE, FULL_YAML

PV20 = "https://identifier.overheid.nl/tooi/id/provincie/pv20"


def _yaml(tmp_path: Path, text: str, name: str = "dataset.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_full_yaml_is_read_as_written(tmp_path: Path) -> None:
    meta = DatasetMetadata.from_yaml(_yaml(tmp_path, FULL_YAML))
    assert meta.title == {"nl": "Verkeerstellingen provinciale wegen", "en": "Traffic counts on provincial roads"}
    assert meta.keywords == {"nl": ["verkeer", "telling"], "en": ["traffic", "count"]}
    assert meta.themes == ["TRAN"] and meta.licence == "CC-BY-4.0" and meta.access_rights == "public"
    assert meta.publisher.uri == PV20 and meta.publisher.name == "Provincie Groningen"
    assert meta.contact_point is not None and meta.contact_point.email == "data@provinciegroningen.nl"
    assert meta.temporal is not None and meta.temporal.start == date(2024, 1, 1)
    assert meta.temporal.end == date(2024, 12, 31)
    assert meta.accrual_periodicity == "monthly" and meta.language == ["nl"]
    assert meta.issued == date(2024, 3, 1) and meta.modified == date(2025, 1, 15)
    assert meta.synthetic is True and meta.attribution == "Bron: NDW"


def test_only_a_title_is_needed_and_a_plain_title_is_dutch(tmp_path: Path) -> None:
    meta = DatasetMetadata.from_yaml(_yaml(tmp_path, "title: Fietspaden\nkeywords: [fiets, route]\n"))
    assert meta.title == {"nl": "Fietspaden"}
    assert meta.keywords == {"nl": ["fiets", "route"]}
    assert meta.publisher.uri == PV20
    assert meta.creator_or_publisher == meta.publisher
    assert meta.licence is None and meta.access_rights == "public" and meta.themes == []


def test_codes_are_normalised(tmp_path: Path) -> None:
    meta = DatasetMetadata.from_mapping({
        "title": "x", "themes": "tran", "licence": "cc-by-4.0", "accrual_periodicity": "IRREG",
        "spatial": ["gm0014", "PV20", "https://sws.geonames.org/2755251/"], "language": ["NLD", "en"],
        "publisher": "GM0014",
    })
    assert meta.themes == ["TRAN"] and meta.licence == "CC-BY-4.0" and meta.accrual_periodicity == "irregular"
    assert meta.spatial == ["GM0014", "PV20", "https://sws.geonames.org/2755251/"]
    assert meta.language == ["nl", "en"]
    assert meta.publisher.uri == "https://identifier.overheid.nl/tooi/id/gemeente/gm0014"
    assert meta.publisher.name == "Gemeente Groningen"


def test_unknown_key_names_the_key_and_the_file(tmp_path: Path) -> None:
    path = _yaml(tmp_path, "title: Fietspaden\nlicense: CC0-1.0\n", name="fietspaden.yaml")
    with pytest.raises(MetadataError) as caught:
        DatasetMetadata.from_yaml(path)
    message = str(caught.value)
    assert str(path) in message and "unknown key 'license'" in message
    assert "allowed keys: title, description" in message and "licence" in message


def test_bad_theme_lists_the_allowed_codes(tmp_path: Path) -> None:
    path = _yaml(tmp_path, "title: x\nthemes: [TRAFFIC]\n")
    with pytest.raises(MetadataError, match=r"themes: unknown theme 'TRAFFIC'; allowed: AGRI, ECON, .*TRAN"):
        DatasetMetadata.from_yaml(path)


def test_bad_licence_lists_the_allowed_spdx_ids() -> None:
    with pytest.raises(MetadataError, match=r"licence: unknown licence 'MIT'; allowed SPDX ids: CC0-1.0, CC-BY-4.0"):
        DatasetMetadata.from_mapping({"title": "x", "licence": "MIT"}, where="api")


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(MetadataError) as caught:
        DatasetMetadata.from_mapping(
            {"description": "geen titel", "access_rights": "secret", "spatial": ["Groningen"]}, where="x.yaml"
        )
    problems = caught.value.extra["problems"]
    assert isinstance(problems, list)
    assert "title is required" in problems
    assert any("access_rights: unknown access_rights 'secret'; allowed: public, restricted" in p for p in problems)
    assert any("'Groningen' is not a CBS region code" in p for p in problems)
    with pytest.raises(MetadataError, match="unknown province code 'PV99'"):
        DatasetMetadata.from_mapping({"title": "x", "spatial": ["PV99"]})
    assert isinstance(caught.value, InvalidInput)  # the API answers 400, the CLI exits with 2


def test_broken_yaml_points_at_the_line(tmp_path: Path) -> None:
    path = _yaml(tmp_path, "title: x\nthemes: [TRAN\n")
    with pytest.raises(MetadataError, match=rf"{path}:\d+: not valid YAML"):
        DatasetMetadata.from_yaml(path)


def test_yaml_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MetadataError, match="expected a mapping"):
        DatasetMetadata.from_yaml(_yaml(tmp_path, "- title: x\n"))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MetadataError, match="cannot read metadata"):
        DatasetMetadata.from_yaml(tmp_path / "absent.yaml")


def test_organisation_without_a_known_name_must_be_named() -> None:
    with pytest.raises(MetadataError, match=r"no name known for https://example.org/org/rug"):
        DatasetMetadata.from_mapping({"title": "x", "creator": "https://example.org/org/rug"})
    meta = DatasetMetadata.from_mapping(
        {"title": "x", "creator": {"uri": "https://example.org/org/rug", "name": "Rijksuniversiteit Groningen"}}
    )
    assert meta.creator_or_publisher.name == "Rijksuniversiteit Groningen"


def test_contact_point_and_period_are_checked() -> None:
    with pytest.raises(MetadataError, match="needs an email or a url"):
        DatasetMetadata.from_mapping({"title": "x", "contact_point": {"name": "Team Data"}})
    with pytest.raises(MetadataError, match="not an e-mail address"):
        DatasetMetadata.from_mapping({"title": "x", "contact_point": {"email": "data-at-provincie"}})
    with pytest.raises(MetadataError, match="start 2025-01-01 is after end 2024-01-01"):
        DatasetMetadata.from_mapping({"title": "x", "temporal": {"start": "2025-01-01", "end": "2024-01-01"}})


def test_to_yaml_round_trips(tmp_path: Path) -> None:
    meta = DatasetMetadata.from_yaml(_yaml(tmp_path, FULL_YAML))
    written = meta.to_yaml()
    assert DatasetMetadata.from_yaml(_yaml(tmp_path, written, name="again.yaml")) == meta
    assert "publisher" not in written  # the default publisher need not be repeated
    assert written.index("title:") < written.index("themes:") < written.index("licence:")


def test_to_yaml_keeps_a_named_organisation(tmp_path: Path) -> None:
    meta = DatasetMetadata.from_mapping(
        {"title": "x", "publisher": {"uri": "https://example.org/org/rug", "name": "Rijksuniversiteit Groningen"}}
    )
    again = DatasetMetadata.from_yaml(_yaml(tmp_path, meta.to_yaml()))
    assert again.publisher.name == "Rijksuniversiteit Groningen"


def test_distribution_takes_its_media_type_from_the_format() -> None:
    dist = Distribution(format="GeoJSON", media_type="", download_url=f"{BASE}/d.geojson", access_url=BASE)
    assert dist.format == "geojson" and dist.media_type == "application/geo+json"
    with pytest.raises(ValueError, match="unknown format 'shp'; allowed: csv, json, geojson, gpkg, parquet, xlsx"):
        Distribution.model_validate({"format": "shp", "download_url": BASE, "access_url": BASE})


def test_catalog_entry_refuses_two_files_of_one_format() -> None:
    meta = DatasetMetadata.from_mapping({"title": "x"})
    csv = {"format": "csv", "download_url": f"{BASE}/x.csv", "access_url": BASE}
    with pytest.raises(ValueError, match="one distribution per format; csv"):
        CatalogEntry.model_validate({"dataset_id": "x", "metadata": meta, "landing_page": BASE,
                                     "distributions": [csv, csv]})
    with pytest.raises(ValueError, match="cannot be part of a URI"):
        CatalogEntry(dataset_id="met spatie", metadata=meta, landing_page=BASE)


def test_catalog_info_needs_a_named_publisher() -> None:
    info = CatalogInfo(base_url=f"{BASE}/", title={"nl": "Open data"}, description={"nl": "Alles"}, homepage=BASE)
    assert info.base_url == BASE and info.agent.name == "Provincie Groningen"
    assert info.language == ["nl", "en"]
    with pytest.raises(ValueError, match="set publisher_name"):
        CatalogInfo(base_url=BASE, title={"nl": "t"}, description={"nl": "d"}, homepage=BASE,
                    publisher="https://example.org/org")


def test_json_dump_validates_back_for_the_api(tmp_path: Path) -> None:
    meta = DatasetMetadata.from_yaml(_yaml(tmp_path, FULL_YAML))
    assert DatasetMetadata.from_mapping(meta.model_dump(mode="json"), where="api") == meta
