"""Fixtures for the catalogue tests: catalogue settings, three datasets' metadata, and a SHACL runner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rdflib import Graph

from wierde.catalog.model import CatalogEntry, CatalogInfo, DatasetMetadata

from .sample import (
    BASE,
    FULL_YAML,
    MINIMAL_YAML,
    NEIGHBOURHOOD_YAML,
    ShaclOutcome,
    distributions,
    run_shacl,
    shared_spec,
)


@pytest.fixture
def shacl() -> Callable[[Graph], ShaclOutcome]:
    folder = shared_spec()
    if folder is None:
        pytest.skip("../shared/spec/dcat-ap-nl30 is not beside this checkout (set WIERDE_SHARED)")
    return lambda data: run_shacl(data, folder)


@pytest.fixture
def info() -> CatalogInfo:
    return CatalogInfo(
        base_url=BASE + "/",
        title={"nl": "Open data Provincie Groningen", "en": "Open data Province of Groningen"},
        description={"nl": "Alle open datasets van de provincie Groningen en haar partners.",
                     "en": "All open datasets of the province of Groningen and its partners."},
        homepage=BASE + "/",
    )


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def full_meta(tmp_path: Path) -> DatasetMetadata:
    return DatasetMetadata.from_yaml(_write(tmp_path, "verkeerstellingen", FULL_YAML))


@pytest.fixture
def minimal_meta(tmp_path: Path) -> DatasetMetadata:
    return DatasetMetadata.from_yaml(_write(tmp_path, "subsidies", MINIMAL_YAML))


@pytest.fixture
def neighbourhood_meta(tmp_path: Path) -> DatasetMetadata:
    return DatasetMetadata.from_yaml(_write(tmp_path, "inwoners-per-wijk", NEIGHBOURHOOD_YAML))


@pytest.fixture
def entries(
    full_meta: DatasetMetadata, minimal_meta: DatasetMetadata, neighbourhood_meta: DatasetMetadata
) -> list[CatalogEntry]:
    stored = datetime(2025, 2, 1, 6, 30, tzinfo=UTC)
    return [
        CatalogEntry(
            dataset_id="verkeerstellingen", metadata=full_meta, landing_page=f"{BASE}/datasets/verkeerstellingen",
            distributions=distributions("verkeerstellingen", ("csv", "json", "parquet", "xlsx")),
            version_id="7", modified=stored, row_count=87_600,
        ),
        CatalogEntry(
            dataset_id="subsidies", metadata=minimal_meta, landing_page=f"{BASE}/datasets/subsidies",
            distributions=distributions("subsidies", ("csv",)),
        ),
        CatalogEntry(
            dataset_id="inwoners-per-wijk", metadata=neighbourhood_meta,
            landing_page=f"{BASE}/datasets/inwoners-per-wijk",
            distributions=distributions("inwoners-per-wijk", ("geojson", "gpkg"),
                                        conforms_to=f"{BASE}/api/v1/datasets/inwoners-per-wijk/schema"),
            version_id="1", modified=stored,
        ),
    ]
