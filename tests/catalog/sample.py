"""The sample catalogue and the SHACL runner the catalogue tests share (plain helpers; fixtures are in conftest)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pyshacl import validate
from rdflib import Graph
from rdflib.namespace import SH

from wierde.catalog.model import Distribution

REPO = Path(__file__).resolve().parents[2]
BASE = "https://data.provinciegroningen.nl"

# The YAML the demo generator writes (the shared contract), with every field filled in.
FULL_YAML = """\
title: {nl: "Verkeerstellingen provinciale wegen", en: "Traffic counts on provincial roads"}
description:
  nl: "Aantal motorvoertuigen per uur op telpunten langs de provinciale wegen."
  en: "Motor vehicles per hour at counting points along the provincial roads."
keywords: {nl: [verkeer, telling], en: [traffic, count]}
themes: [TRAN]
publisher: https://identifier.overheid.nl/tooi/id/provincie/pv20
creator: https://identifier.overheid.nl/tooi/id/provincie/pv20
contact_point: {name: "Team Data, Provincie Groningen", email: "data@provinciegroningen.nl",
                url: "https://www.provinciegroningen.nl"}
licence: CC-BY-4.0
access_rights: public
spatial: [PV20]
temporal: {start: 2024-01-01, end: 2024-12-31}
accrual_periodicity: monthly
language: [nl]
issued: 2024-03-01
modified: 2025-01-15
source: "https://opendata.ndw.nu/"
attribution: "Bron: NDW"
synthetic: true
documentation: "https://www.provinciegroningen.nl/verkeer/telpunten"
"""

MINIMAL_YAML = """\
title: Subsidieregelingen
themes: [GOVE]
licence: CC0-1.0
"""

NEIGHBOURHOOD_YAML = """\
title: {nl: "Inwoners per wijk", en: "Residents per district"}
description: {nl: "Aantal inwoners per wijk in de gemeente Groningen."}
keywords: [bevolking, wijken]
themes: [SOCI, REGI]
creator: GM0014
licence: CC-BY-4.0
attribution: "Bron: CBS"
spatial: [GM0014, WK001401]
temporal: {start: 2023-01-01}
accrual_periodicity: annual
language: [nl, en]
"""


def shared_spec() -> Path | None:
    for candidate in (os.environ.get("WIERDE_SHARED"), str(REPO.parent / "shared")):
        if candidate and Path(candidate, "spec", "dcat-ap-nl30").is_dir():
            return Path(candidate, "spec", "dcat-ap-nl30")
    return None


@cache
def _shapes(folder: Path) -> Graph:
    """All shape files in one graph: EU DCAT-AP, the Dutch mandatory, class-range and recommended shapes.

    -OPT and -LBL only annotate those shapes (optionality, Dutch labels) and add no constraints.
    """
    graph = Graph()
    for path in sorted(folder.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@dataclass(frozen=True)
class ShaclOutcome:
    violations: int
    warnings: list[tuple[str, str, str]]  # (focus node, path, source shape)
    report: str


def run_shacl(data: Graph, folder: Path) -> ShaclOutcome:
    _, results, report = validate(data, shacl_graph=_shapes(folder), allow_warnings=True, inference="none")
    assert isinstance(results, Graph)
    violations = len(list(results.subjects(SH.resultSeverity, SH.Violation)))
    warnings = [
        (str(results.value(r, SH.focusNode)), str(results.value(r, SH.resultPath)),
         str(results.value(r, SH.sourceShape)))
        for r in results.subjects(SH.resultSeverity, SH.Warning)
    ]
    return ShaclOutcome(violations, sorted(warnings), str(report))


def distributions(dataset_id: str, formats: tuple[str, ...], **extra: object) -> list[Distribution]:
    return [
        Distribution.model_validate({
            "format": fmt,
            "download_url": f"{BASE}/api/v1/datasets/{dataset_id}/export?format={fmt}",
            "access_url": f"{BASE}/datasets/{dataset_id}",
            "byte_size": 1024 * (i + 1),
            **extra,
        })
        for i, fmt in enumerate(formats)
    ]
