"""Hostile input over real HTTP: each attack gets a clear 4xx problem, nothing is written, and the service stays up."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.server import serve_app
from wierde.app import create_app
from wierde.collect.ingest import ingest
from wierde.store.repository import Store

TOKEN = {"Authorization": "Bearer steward-secret"}
ROWS = "/api/v1/datasets/meldingen/rows"


@pytest.fixture
def client(store: Store, tmp_path: Path) -> Iterator[httpx.Client]:
    source = tmp_path / "meldingen.csv"
    source.write_text("id,omschrijving,aantal\n1,=HYPERLINK(\"http://evil.example\"),3\n2,@SUM(A1:A9),-4\n",
                      encoding="utf-8")
    ingest(store, source, "meldingen")
    store.set_status("meldingen", "published")
    settings = store.settings.with_(admin_token="steward-secret", max_upload_bytes=64 * 1024, scheduler=False)
    with serve_app(create_app(settings, store)) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield http
        assert http.get("/api/v1/datasets").status_code == 200, "the service is still up"


def problem(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    return str(answer.json()["detail"])


@pytest.mark.parametrize("query", [
    "id=1%20OR%201=1",
    "omschrijving'%3B%20DROP%20TABLE%20datasets%3B--=x",
    "sort=id%3B%20SELECT%201",
    "fields=id,(SELECT%20current_setting('home_directory'))",
    "aantal__gt=1)%20OR%20(1=1",
    "id__in=1,2)%20UNION%20SELECT%20*%20FROM%20read_csv('/etc/passwd'",
])
def test_sql_injection_through_filters_sort_and_fields_is_refused(client: httpx.Client, query: str) -> None:
    problem(client.get(f"{ROWS}?{query}"), 400)
    assert client.get(ROWS).json()["total"] == 2, "the data is untouched"


@pytest.mark.parametrize("path", [
    "/api/v1/datasets/..%2F..%2Fetc%2Fpasswd/rows",
    "/api/v1/datasets/%2e%2e/download",
    "/api/v1/datasets/meldingen%00/rows",
])
def test_path_traversal_in_dataset_ids_finds_nothing(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code in (400, 404)


@pytest.mark.parametrize("name", ["../../etc/cron.d/x.csv", "..\\..\\x.csv", "/etc/passwd.csv", "x.exe", ".csv"])
def test_path_traversal_in_upload_names_is_refused(client: httpx.Client, name: str) -> None:
    detail = problem(client.post("/api/v1/datasets/nieuw/versions", params={"filename": name}, content=b"a\n1\n",
                                 headers=TOKEN), 400)
    assert "file name" in detail
    assert client.get("/api/v1/datasets/nieuw", headers=TOKEN).status_code == 404, "nothing was created"


def test_a_dataset_id_that_is_a_path_is_refused(client: httpx.Client) -> None:
    answer = client.post("/api/v1/datasets/..%2Fx/versions", params={"filename": "x.csv"}, content=b"a\n1\n",
                         headers=TOKEN)
    assert answer.status_code in (400, 404)


def test_an_oversized_upload_is_refused_while_streaming(client: httpx.Client) -> None:
    declared = client.post("/api/v1/datasets/groot/versions", params={"filename": "groot.csv"},
                           content=b"a\n" + b"1\n" * 40_000, headers=TOKEN)
    assert "at most 65,536" in problem(declared, 413)

    def endless() -> Iterator[bytes]:  # no Content-Length: the limit must hold while the body streams in
        yield b"a\n"
        for _ in range(1000):
            yield b"1\n" * 1000

    streamed = client.post("/api/v1/datasets/groot/versions", params={"filename": "groot.csv"}, content=endless(),
                           headers=TOKEN)
    assert streamed.status_code == 413
    assert client.get("/api/v1/datasets/groot", headers=TOKEN).status_code == 404


def test_a_zip_bomb_is_refused_before_it_is_unpacked(client: httpx.Client) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("wegen.shp", b"\0" * (50 * 1024 * 1024))
    assert len(packed.getvalue()) < 64 * 1024, "the bomb itself is small enough to pass the upload limit"
    detail = problem(client.post("/api/v1/datasets/bom/versions", params={"filename": "wegen.zip"},
                                 content=packed.getvalue(), headers=TOKEN), 400)
    assert "zip bomb" in detail


def test_only_stewards_upload(client: httpx.Client) -> None:
    answer = client.post("/api/v1/datasets/meldingen/versions", params={"filename": "x.csv"}, content=b"a\n1\n")
    assert answer.status_code in (401, 403)


def test_a_steward_uploads_a_new_version(client: httpx.Client) -> None:
    body = "id,omschrijving,aantal\n1,Kapotte lantaarnpaal,3\n2,Gat in de weg,4\n3,Zwerfvuil,1\n"
    answer = client.post("/api/v1/datasets/meldingen/versions", params={"filename": "meldingen.csv"},
                         content=body.encode(), headers=TOKEN)
    assert answer.status_code == 201, answer.text
    assert answer.json()["number"] == 2
    assert answer.json()["rowCount"] == 3


def test_spreadsheet_formulas_in_csv_exports_are_neutralised(client: httpx.Client) -> None:
    text = client.get("/api/v1/datasets/meldingen/download?format=csv").text
    assert "'=HYPERLINK" in text and "'@SUM" in text
    assert ",-4" in text, "a negative number is no formula and stays a number"
