"""Prove that the SQL page serves staff only, runs queries behind CSRF-checked forms, keeps answering while a query
runs away, offers the answer as CSV, JSON and Parquet, lets only stewards save it as a view, and is accessible."""

from __future__ import annotations

import io
import json
import re
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from tests.combine.conftest import OPENINGS, TRAFFIC, ingest_text
from tests.helpers.server import serve_app
from wierde.app import create_app
from wierde.combine.spec import load_views, views_path
from wierde.config import Settings
from wierde.protect import accounts, audit, tokens
from wierde.protect.access import Principal
from wierde.protect.classify import set_access
from wierde.store.repository import Store
from wierde.web import sql_page

PASSWORD = "lange-wierde-zin-42"
JOIN = ("SELECT o.brug_id, count(*) AS openingen, sum(t.vertraagd) AS vertraagd\n"
        "FROM brugopeningen o JOIN verkeerstellingen t ON t.brug_id = o.brug_id\n"
        "GROUP BY o.brug_id ORDER BY o.brug_id")
ENDLESS = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) AS i FROM n"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two datasets (one with a withheld column), a steward and an employee; each test gets a copy."""
    home = tmp_path_factory.mktemp("sql") / "instance"
    store = Store.open(Settings(home=home, scheduler=False))
    ingest_text(store, "brugopeningen", OPENINGS)
    ingest_text(store, "verkeerstellingen", TRAFFIC)
    set_access(store, Principal(kind="steward"), "brugopeningen", "open",
               {"columns": {"vaartuig": {"scope": "scheepvaart.intern", "reason": "5.1.2e"}}})
    accounts.create(store, "marieke", role="steward", display_name="Marieke de Vries", password=PASSWORD)
    accounts.create(store, "piet", role="employee", display_name="Piet Jansen", password=PASSWORD)
    store.close()
    return home


def make_app(home: Path, *, timeout_s: float = 10.0, max_rows: int = 10_000) -> FastAPI:
    settings = Settings(home=home, scheduler=False)
    app = create_app(settings, Store.open(settings))
    app.state.sql_limits = sql_page.Limits(timeout_s=timeout_s, max_rows=max_rows)
    return app


@pytest.fixture
def home(template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "instance"
    shutil.copytree(template, copy)
    return copy


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    with TestClient(make_app(home)) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page carries a CSRF token"
    return found.group(1)


def sign_in(client: TestClient | httpx.Client, username: str) -> str:
    """Sign in and return the CSRF token of the SQL page."""
    token = csrf_of(client.get("/aanmelden").text)
    response = client.post("/aanmelden", data={"csrf_token": token, "username": username, "password": PASSWORD})
    assert response.status_code in (200, 303), response.text
    return csrf_of(client.get("/sql").text)


def run(client: TestClient | httpx.Client, csrf: str, sql: str, path: str = "/sql", **extra: str) -> httpx.Response:
    return client.post(path, data={"csrf_token": csrf, "sql": sql, **extra}, follow_redirects=False)


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    for response in (client.get("/sql", follow_redirects=False), run(client, "", "SELECT 1 AS x"),
                     run(client, "", "SELECT 1 AS x", "/sql.csv")):
        assert response.status_code == 303 and response.headers["location"] == "/aanmelden?next=/sql"


def test_someone_who_is_not_staff_is_refused(home: Path) -> None:
    app = make_app(home)
    with TestClient(app) as client:
        store: Store = app.state.store
        _record, text = tokens.create(store, "piet", scopes=[], expires_in=timedelta(hours=1))
        response = client.get("/sql", headers={"Authorization": f"Bearer {text}"})
        assert response.status_code == 403 and "staff" in response.text


def test_an_employee_runs_a_join_and_sees_timings(client: TestClient) -> None:
    csrf = sign_in(client, "piet")
    page = client.get("/sql")
    assert page.headers["cache-control"] == "no-store"
    assert "<code>verkeerstellingen</code>" in page.text and "<code>brug_id</code>" in page.text
    assert "vaartuig" not in page.text, "a withheld column is not listed"
    answer = run(client, csrf, JOIN)
    assert answer.status_code == 200
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", answer.text)
    assert cells == ["dorkwerd", "6", "243", "gaarkeuken", "2", "12"]
    assert "2 rijen" in answer.text and "uitgevoerd in" in answer.text
    assert 'action="/sql/view"' not in answer.text, "saving as a view is offered to stewards only"
    english = run(client, csrf, JOIN, "/sql?lang=en").text
    assert "<h1>SQL queries</h1>" in english and "2 rows · ran in" in english


def test_refusals_are_shown_on_the_page_with_their_position(client: TestClient) -> None:
    csrf = sign_in(client, "piet")
    for sql, message in [("SELECT * FROM read_csv('/etc/passwd')", "line 1, column 15: files and table functions"),
                         ("SELECT vaartuig FROM brugopeningen", "Referenced column &#34;vaartuig&#34; not found"),
                         ("ATTACH 'x.db' AS x", "ATTACH statements are refused")]:
        answer = run(client, csrf, sql)
        assert answer.status_code in (400, 404) and message in answer.text, answer.text
        assert 'role="alert"' in answer.text and f">\n{sql.replace(chr(39), '&#39;')}</textarea>" in answer.text


def test_a_purpose_typed_on_the_page_opens_restricted_data_and_is_logged(client: TestClient) -> None:
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    set_access(store, Principal(kind="steward"), "verkeerstellingen", "restricted",
               {"scope": "verkeer.intern", "reason": "5.1.2d"})
    csrf = sign_in(client, "marieke")
    refused = run(client, csrf, JOIN)
    assert refused.status_code == 403 and "state the purpose" in refused.text
    assert run(client, csrf, JOIN, purpose="Woo-verzoek 2026-17").status_code == 200
    reads = [e for e in audit.search(store, action="read") if e.target == "verkeerstellingen"]
    assert [(e.who, e.outcome, e.purpose) for e in reads] == [("marieke", "refused", None),
                                                               ("marieke", "success", "Woo-verzoek 2026-17")]


def test_a_post_without_the_csrf_token_is_refused(client: TestClient) -> None:
    sign_in(client, "piet")
    for path in ("/sql", "/sql.csv", "/sql/view"):
        assert client.post(path, data={"sql": JOIN}).status_code == 403
    assert run(client, "vervalst", JOIN).status_code == 403


def test_a_runaway_query_is_stopped_and_the_service_keeps_answering(home: Path) -> None:
    with serve_app(make_app(home, timeout_s=3)) as url, httpx.Client(base_url=url, timeout=30) as client:
        csrf = sign_in(client, "piet")
        answers: list[tuple[httpx.Response, float]] = []
        runaway = threading.Thread(target=lambda: answers.append((run(client, csrf, ENDLESS), time.monotonic())))
        runaway.start()
        time.sleep(0.3)
        assert httpx.get(f"{url}/datasets", timeout=10).status_code == 200
        answered = time.monotonic()
        runaway.join(20)
        assert answers, "the runaway query came back"
        stopped, stopped_at = answers[0]
        assert answered < stopped_at, "the portal answered while the query was still running"
        assert stopped.status_code == 400 and "ran longer than 3 s and was stopped" in stopped.text
        assert run(client, csrf, JOIN).status_code == 200, "the next query runs as usual"


def test_the_row_limit_cuts_the_answer_and_says_so(home: Path) -> None:
    with TestClient(make_app(home, max_rows=5)) as client:
        csrf = sign_in(client, "piet")
        answer = run(client, csrf, "SELECT range AS n FROM range(20)")
        assert answer.status_code == 200 and 'id="truncated"' in answer.text
        assert len(re.findall(r"<tr><td", answer.text)) == 5
        download = run(client, csrf, "SELECT range AS n FROM range(20)", "/sql.csv")
        assert download.headers["wierde-truncated"] == "true" and download.text.split() == ["n", "0", "1", "2", "3",
                                                                                             "4"]


def test_the_answer_downloads_as_csv_json_and_parquet(client: TestClient) -> None:
    csrf = sign_in(client, "piet")
    csv_answer = run(client, csrf, JOIN, "/sql.csv")
    assert csv_answer.status_code == 200 and csv_answer.headers["content-type"].startswith("text/csv")
    assert csv_answer.headers["content-disposition"] == 'attachment; filename="query.csv"'
    assert csv_answer.text.splitlines() == ["brug_id,openingen,vertraagd", "dorkwerd,6,243", "gaarkeuken,2,12"]
    assert json.loads(run(client, csrf, JOIN, "/sql.json").text) == [
        {"brug_id": "dorkwerd", "openingen": 6, "vertraagd": 243},
        {"brug_id": "gaarkeuken", "openingen": 2, "vertraagd": 12}]
    table = pq.read_table(io.BytesIO(run(client, csrf, JOIN, "/sql.parquet").content))
    assert table.to_pylist()[1] == {"brug_id": "gaarkeuken", "openingen": 2, "vertraagd": 12}
    assert run(client, csrf, JOIN, "/sql.xlsx").status_code == 400


def test_saving_as_a_view_needs_a_steward(client: TestClient) -> None:
    csrf = sign_in(client, "piet")
    view = {"view_id": "vertraging_per_brug", "view_title": "Vertraging per brug"}
    assert run(client, csrf, JOIN, "/sql/view", **view).status_code == 403
    client.post("/afmelden", data={"csrf_token": csrf})
    csrf = sign_in(client, "marieke")
    page = run(client, csrf, JOIN)
    assert 'action="/sql/view"' in page.text
    saved = run(client, csrf, JOIN, "/sql/view", **view)
    assert saved.status_code == 303 and saved.headers["location"] == "/datasets/vertraging_per_brug"
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    assert [v.id for v in load_views(views_path(store.settings))] == ["vertraging_per_brug"]
    assert store.version("vertraging_per_brug").row_count == 2
    again = run(client, csrf, JOIN, "/sql/view", **view)
    assert again.status_code == 409 and "already exists" in again.text, "a second save does not overwrite"


@pytest.fixture
def served(home: Path) -> Iterator[str]:
    with serve_app(make_app(home)) as url:
        yield url


@pytest.mark.browser
def test_the_sql_page_in_a_real_browser_has_no_axe_violations(page: Page, served: str) -> None:
    page.goto(served + "/aanmelden?next=/sql")
    page.fill("#username", "marieke")
    page.fill("#password", PASSWORD)
    page.click("form.signin-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("SQL-query's")
    assert axe_violations(page) == []
    page.fill("#sql", JOIN)
    page.click("text=Uitvoeren")
    expect(page.locator("#result-table tbody tr")).to_have_count(2)
    assert axe_violations(page) == [], "the result table and the save form are accessible too"
    with page.expect_download() as download:
        page.click("button[formaction='/sql.csv']")
    assert Path(download.value.path()).read_text(encoding="utf-8").startswith("brug_id,openingen,vertraagd")
    page.fill("#sql", "SELECT * FROM read_csv('/etc/passwd')")
    page.click("text=Uitvoeren")
    expect(page.locator("[role=alert]")).to_contain_text("read_csv")
    assert axe_violations(page) == []
    page.goto(served + "/sql?lang=en")
    expect(page.locator("h1")).to_have_text("SQL queries")
    assert axe_violations(page) == []


def axe_violations(page: Page) -> list[str]:
    result = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]})
    return [f"{v['id']}: {v['help']}" for v in result.response["violations"]]
