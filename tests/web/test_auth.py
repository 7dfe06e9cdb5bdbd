"""Prove that staff sign in and out through the portal safely: CSRF on every form, cookie flags, wrong passwords,
rate limiting, sessions that end, and an audit entry for every sign-in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from starlette.requests import Request

from tests.helpers.server import serve_app
from wierde.app import create_app
from wierde.config import Settings
from wierde.protect import accounts, audit
from wierde.protect.access import Principal
from wierde.store.repository import Store
from wierde.web import deps, session

PASSWORD = "lange-wierde-zin-42"
DRAFT = "/api/v1/datasets/concept"


def make_store(settings: Settings) -> Store:
    store = Store.open(settings)
    staged = store.new_tmp_path()
    store.duck().execute(f"COPY (SELECT 1 AS n) TO '{staged}' (FORMAT parquet)")
    store.commit_version("concept", staged, row_count=1, table_schema={"fields": [{"name": "n", "type": "integer"}]},
                         source={}, report={}, meta={"title": "Concept"})
    accounts.create(store, "marieke", role="steward", display_name="Marieke de Vries", password=PASSWORD)
    return store


def make_client(settings: Settings) -> TestClient:
    app = create_app(settings, make_store(settings))
    session.install(app)  # the lead wires this into create_app; calling it twice is harmless
    return TestClient(app)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(Settings(home=tmp_path / "inst", scheduler=False)) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the form carries a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, password: str = PASSWORD, username: str = "marieke", **extra: str) -> httpx.Response:
    token = csrf_of(client.get("/aanmelden").text)
    return client.post("/aanmelden", data={"csrf_token": token, "username": username, "password": password, **extra},
                       follow_redirects=False)


def store_of(client: TestClient) -> Store:
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    return store


def test_sign_in_page_in_dutch_and_english(client: TestClient) -> None:
    page = client.get("/aanmelden")
    assert page.status_code == 200 and "Wachtwoord" in page.text
    assert page.headers["cache-control"] == "no-store"
    english = client.get("/aanmelden?lang=en").text
    assert "<h1>Sign in</h1>" in english and "Password" in english
    assert 'href="/aanmelden">Sign in</a>' in client.get("/?lang=en").text, "the header offers sign-in"


def test_signing_in_makes_a_session_the_api_and_header_respect(client: TestClient) -> None:
    assert client.get(DRAFT).status_code == 404, "a draft is hidden from anonymous visitors"
    response = sign_in(client, next="/datasets")
    assert response.status_code == 303 and response.headers["location"] == "/datasets"
    assert client.get(DRAFT).status_code == 200, "staff see drafts"
    assert "Marieke de Vries" in client.get("/").text
    entry = audit.search(store_of(client), action="sign-in")[-1]
    assert (entry.who, entry.kind, entry.outcome, entry.detail["method"]) == ("marieke", "steward", "success",
                                                                               "password")


def test_cookie_flags_on_plain_http(client: TestClient) -> None:
    anonymous = client.get("/aanmelden").headers["set-cookie"]
    assert anonymous.startswith("wierde_session=") and "HttpOnly" in anonymous and "SameSite=Lax" in anonymous
    assert "Secure" not in anonymous, "a plain-http instance (tests, a laptop) could not send it back otherwise"
    signed_in = sign_in(client).headers["set-cookie"]
    assert "HttpOnly" in signed_in and "SameSite=Lax" in signed_in and "Max-Age=28800" in signed_in


def test_cookie_is_secure_when_the_instance_is_https(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "inst", scheduler=False, base_url="https://data.provinciegroningen.example")
    with make_client(settings) as client:
        cookie = client.get("/aanmelden").headers["set-cookie"]
    assert cookie.startswith("__Host-wierde_session=")
    assert {"Secure", "HttpOnly", "SameSite=Lax", "Path=/"} <= {part.strip() for part in cookie.split(";")}


def test_a_post_without_the_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/aanmelden")
    response = client.post("/aanmelden", data={"username": "marieke", "password": PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 403
    other = TestClient(client.app)
    foreign = csrf_of(other.get("/aanmelden").text)
    response = client.post("/aanmelden", data={"csrf_token": foreign, "username": "marieke", "password": PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 403, "another browser's token does not count"
    assert client.get(DRAFT).status_code == 404


def test_wrong_password_is_refused_and_logged(client: TestClient) -> None:
    response = sign_in(client, password="verkeerd-wachtwoord")
    assert response.status_code == 401
    assert "Onbekende gebruikersnaam of verkeerd wachtwoord" in response.text
    unknown = sign_in(client, username="niemand")
    assert unknown.status_code == 401 and "Onbekende gebruikersnaam of verkeerd wachtwoord" in unknown.text
    failures = audit.search(store_of(client), action="sign-in", outcome="failure")
    assert [(e.who, e.detail["reason"]) for e in failures] == [("marieke", "wrong password"),
                                                               ("niemand", "unknown user")]
    assert client.get(DRAFT).status_code == 404


def test_too_many_failures_give_429_with_retry_after(client: TestClient) -> None:
    for _ in range(accounts.USER_LIMIT):
        assert sign_in(client, password="verkeerd-wachtwoord").status_code == 401
    locked = sign_in(client)
    assert locked.status_code == 429, "even the right password waits until the lock lifts"
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    assert audit.search(store_of(client), action="sign-in")[-1].outcome == "refused"
    assert client.get(DRAFT).status_code == 404


def test_sign_out_ends_the_session_everywhere(client: TestClient) -> None:
    sign_in(client)
    cookie = client.cookies.get("wierde_session")
    token = csrf_of(client.get("/aanmelden").text)
    response = client.post("/afmelden", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and "Max-Age=0" in response.headers["set-cookie"]
    assert client.get(DRAFT).status_code == 404
    replay = TestClient(client.app, cookies={"wierde_session": cookie})
    assert replay.get(DRAFT).status_code == 404, "a copied cookie dies with the session"
    assert audit.search(store_of(client), action="sign-out")[-1].who == "marieke"


def test_disabling_an_account_ends_its_sessions(client: TestClient) -> None:
    sign_in(client)
    accounts.disable(store_of(client), "marieke")
    assert client.get(DRAFT).status_code == 404
    assert sign_in(client).status_code == 401


def test_a_forged_cookie_is_anonymous(client: TestClient) -> None:
    sign_in(client)
    value = client.cookies.get("wierde_session")
    body, _, mac = value.partition(".")
    forged = TestClient(client.app, cookies={"wierde_session": f"{body}.{mac[::-1]}"})
    assert forged.get(DRAFT).status_code == 404


def test_cross_site_writes_do_not_ride_the_session(client: TestClient) -> None:
    sign_in(client)
    meta = {"title": "Nieuw", "themes": ["GOVE"], "licence": "CC0-1.0"}
    evil = client.put(f"{DRAFT}/metadata", json=meta, headers={"Origin": "https://evil.example"})
    assert evil.status_code in (403, 404)
    same = client.put(f"{DRAFT}/metadata", json=meta, headers={"Origin": "http://testserver"})
    assert same.status_code == 200, same.text


def test_next_never_leaves_the_site(client: TestClient) -> None:
    assert sign_in(client, next="//evil.example/x").headers["location"] == "/"


def test_purpose_comes_from_the_header_or_the_session(client: TestClient) -> None:
    sign_in(client, purpose="Woo-verzoek 2026-17")

    def principal(headers: dict[str, str]) -> Principal:
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        raw.append((b"cookie", f"wierde_session={client.cookies.get('wierde_session')}".encode()))
        return deps.principal_of(Request({"type": "http", "method": "GET", "path": "/", "headers": raw,
                                           "query_string": b"", "app": client.app}))

    assert principal({}).purpose == "Woo-verzoek 2026-17"
    assert principal({"X-Purpose": "toezicht"}).purpose == "toezicht"
    assert principal({}).kind == "steward" and principal({}).name == "marieke"


def test_the_signing_key_is_made_once_and_shared_by_workers(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "inst", scheduler=False)
    with make_client(settings) as first:
        sign_in(first)
        key_file = settings.home / "secret.key"
        assert key_file.stat().st_mode & 0o777 == 0o600, "readable by the instance's owner only"
        second_app = create_app(settings, Store.open(settings))  # another worker on the same instance
        with TestClient(second_app, cookies={"wierde_session": first.cookies.get("wierde_session")}) as second:
            assert second.get(DRAFT).status_code == 200, "a session started on one worker holds on the other"


def test_a_configured_secret_key_is_used_instead_of_the_file(tmp_path: Path) -> None:
    shared_key = "een-lange-gedeelde-sleutel-voor-alle-hosts"
    settings = Settings(home=tmp_path / "inst", scheduler=False, secret_key=shared_key)
    with make_client(settings) as client:
        sign_in(client)
        assert client.get(DRAFT).status_code == 200
    assert not (settings.home / "secret.key").exists()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    settings = Settings(home=tmp_path / "inst", scheduler=False)
    app = create_app(settings, make_store(settings))
    session.install(app)
    with serve_app(app) as url:
        yield url


@pytest.mark.browser
def test_signing_in_and_out_in_a_real_browser(page: Page, served: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(served + "/aanmelden")
    assert axe_violations(page) == []
    page.fill("#username", "marieke")
    page.fill("#password", "verkeerd-wachtwoord")
    page.click("form.signin-form button[type=submit]")
    expect(page.locator("[role=alert]")).to_contain_text("verkeerd wachtwoord")
    page.fill("#password", PASSWORD)
    page.click("form.signin-form button[type=submit]")
    expect(page.locator(".site-header")).to_contain_text("Marieke de Vries")
    assert axe_violations(page) == [], "the signed-in header is accessible too"
    cookie = next(c for c in page.context.cookies() if c["name"] == "wierde_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["expires"] > 0
    page.click("text=Afmelden")
    expect(page.locator(".site-header a[href='/aanmelden']")).to_have_count(1)
    assert "wierde_session" not in {c["name"] for c in page.context.cookies()}


def axe_violations(page: Page) -> list[str]:
    result = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]})
    return [f"{v['id']}: {v['help']}" for v in result.response["violations"]]
