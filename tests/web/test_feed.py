"""Prove that the DCAT feed national portals harvest is valid DCAT-AP-NL 3.0 and holds only public datasets."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph
from rdflib.compare import isomorphic

from tests.catalog.sample import run_shacl, shared_spec


def test_turtle_feed_validates_against_dcat_ap_nl(client: TestClient) -> None:
    folder = shared_spec()
    if folder is None:
        pytest.skip("../shared/spec is not beside this checkout")
    response = client.get("/catalog.ttl")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    outcome = run_shacl(graph, folder)
    assert outcome.violations == 0, outcome.report


def test_jsonld_feed_says_the_same(client: TestClient) -> None:
    turtle = Graph().parse(data=client.get("/catalog.ttl").text, format="turtle")
    jsonld = Graph().parse(data=client.get("/catalog.jsonld").text, format="json-ld")
    assert isomorphic(turtle, jsonld)


def test_feed_lists_every_published_dataset_and_no_draft(client: TestClient) -> None:
    text = client.get("/catalog.ttl").text
    for dataset_id in ("gemeenten", "verkeerstellingen", "bruggen", "aardbevingen"):
        assert f"/datasets/{dataset_id}#dataset" in text
    assert "concept-geheim" not in text and "Geheim concept" not in text
