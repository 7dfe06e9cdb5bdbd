"""Prove that the steward's pages (/beheer) let a signed-in data steward take a file all the way to publication —
upload, findings, resolution, metadata, access, preview, publish, withdraw — with the same checks as the CLI, and
that nobody else gets in: anonymous visitors are sent to sign in, other staff get 403, and no form works without
its CSRF token."""

from __future__ import annotations

import html
import random
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from tests.helpers.server import serve_app
from tests.protect.privacy_sample import valid_bsn
from wierde.app import create_app
from wierde.config import Settings
from wierde.protect import accounts, audit, gate
from wierde.protect.access import Principal
from wierde.store.repository import Store

PASSWORD = "lange-wierde-zin-42"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
FIRST_BSN = valid_bsn(random.Random(7))  # the first row's, as people_csv makes it: looked for in every answer


# -- an instance with a steward and an employee -----------------------------------------------------------------
def make_app(settings: Settings) -> FastAPI:
    store = Store.open(settings)
    accounts.create(store, "marieke", role="steward", display_name="Marieke de Vries", password=PASSWORD)
    accounts.create(store, "jan", role="employee", display_name="Jan Bakker", password=PASSWORD)
    app = create_app(settings, store)
    return app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(make_app(Settings(home=tmp_path / "inst", scheduler=False))) as test_client:
        yield test_client


def store_of(client: TestClient) -> Store:
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    return store


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page carries a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, username: str = "marieke") -> None:
    token = csrf_of(client.get("/aanmelden").text)
    response = client.post("/aanmelden", data={"csrf_token": token, "username": username, "password": PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 303


def people_csv(rows: int = 40) -> bytes:
    """A register about residents: a BSN and an e-mail address in every row, beside harmless counts."""
    rng = random.Random(7)
    lines = ["melder_bsn;email;gemeente_code;aantal"]
    lines += [f"{valid_bsn(rng)};melder{i}@voorbeeld.nl;GM0014;{rng.randrange(1, 40)}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def counts_csv(rows: int = 30) -> bytes:
    rng = random.Random(1)
    lines = ["telpunt;gemeente_code;fietsers"] + [f"T{i:03d};GM0014;{rng.randrange(50, 900)}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def upload(client: TestClient, dataset: str, content: bytes, filename: str = "bestand.csv",
           csrf: bool = True) -> httpx.Response:
    data = {"dataset": dataset}
    if csrf:
        data = {"csrf_token": csrf_of(client.get("/beheer/upload").text), **data}
    return client.post("/beheer/upload", data=data, files={"file": (filename, content, "text/csv")},
                       follow_redirects=False)


def post(client: TestClient, dataset: str, form: str, **fields: str | list[str]) -> httpx.Response:
    """Send one of the dataset page's forms (`form`: the last part of its action) as the browser would."""
    token = csrf_of(client.get(f"/beheer/datasets/{dataset}").text)
    return client.post(f"/beheer/datasets/{dataset}/{form}", data={"csrf_token": token, **fields},
                       follow_redirects=False)


def finding_of(client: TestClient, dataset: str, column: str) -> str:
    """The place on the dataset page of the open finding in `column` (its resolve form says which)."""
    page = client.get(f"/beheer/datasets/{dataset}").text
    found = re.search(r'name="finding" value="(\d+)">\s*<input type="hidden" name="column" value="' + column + '"',
                      page)
    assert found, f"an open finding in {column} has a resolve form"
    return found.group(1)


def entries(client: TestClient, action: str) -> list[audit.AuditRecord]:
    return audit.search(store_of(client), action=action)


# -- who gets in ------------------------------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_sign_in_and_back(client: TestClient) -> None:
    for path in ("/beheer", "/beheer/upload", "/beheer/datasets/meldingen?done=metadata"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/aanmelden?next=" + path.split("?")[0])
    refused = upload(client, "meldingen", counts_csv(), csrf=False)
    assert refused.status_code == 303 and refused.headers["location"] == "/aanmelden?next=/beheer"
    assert store_of(client).datasets() == [], "nothing was stored"


def test_employees_are_refused_with_403(client: TestClient) -> None:
    sign_in(client, "jan")
    for path in ("/beheer", "/beheer/upload"):
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 403 and "Alleen databeheerders" in page.text
        assert page.headers["cache-control"] == "no-store"
    token = csrf_of(client.get("/aanmelden").text)
    response = client.post("/beheer/upload", data={"csrf_token": token, "dataset": "x"},
                           files={"file": ("x.csv", counts_csv(), "text/csv")}, follow_redirects=False)
    assert response.status_code == 403 and store_of(client).datasets() == []


# -- upload -----------------------------------------------------------------------------------------------------
def test_a_steward_uploads_a_csv_as_a_new_dataset_and_a_new_version(client: TestClient) -> None:
    sign_in(client)
    response = upload(client, "fietstellingen", counts_csv(), "fietstellingen.csv")
    assert response.status_code == 303
    assert response.headers["location"] == "/beheer/datasets/fietstellingen?done=uploaded#privacy-h"
    page = client.get(response.headers["location"])
    assert "opgeslagen als nieuwe versie" in page.text and "Geen persoonsgegevens gevonden" in page.text
    assert page.headers["cache-control"] == "no-store"
    dataset = store_of(client).dataset("fietstellingen")
    assert (dataset.status, dataset.current_version) == ("draft", 1), "uploading never publishes"

    overview = client.get("/beheer").text
    assert 'href="/beheer/datasets/fietstellingen"' in overview and "Concept" in overview

    again = upload(client, "fietstellingen", counts_csv(31), "fietstellingen.csv")
    assert again.status_code == 303 and store_of(client).dataset("fietstellingen").current_version == 2
    same = upload(client, "fietstellingen", counts_csv(31), "fietstellingen.csv")
    assert "done=unchanged" in same.headers["location"], "the same content makes no new version"

    logged = entries(client, "ingest")
    assert [(e.who, e.target, e.detail["version"]) for e in logged] == [
        ("marieke", "fietstellingen", 1), ("marieke", "fietstellingen", 2), ("marieke", "fietstellingen", 2)]


def test_upload_mistakes_are_shown_next_to_the_field(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "inst", scheduler=False, max_upload_bytes=2_000)
    with TestClient(make_app(settings)) as client:
        sign_in(client)
        bad_id = upload(client, "Niet Goed", counts_csv())
        assert bad_id.status_code == 400
        assert 'href="#u-dataset"' in bad_id.text and 'id="u-dataset"' in bad_id.text
        assert re.search(r'id="u-dataset"[^>]*aria-invalid="true"', bad_id.text), "the field says it is wrong"
        assert 'value="Niet Goed"' in bad_id.text, "what was typed is kept"

        too_big = upload(client, "groot", counts_csv(400))
        assert too_big.status_code == 413 and 'href="#u-file"' in too_big.text and "2.000" in too_big.text
        wrong_kind = upload(client, "script", b"echo hoi", "script.sh")
        assert wrong_kind.status_code == 400 and "unknown extension" in wrong_kind.text

        store = store_of(client)
        assert store.datasets() == [], "a refused upload leaves nothing behind"
        assert not any(p.is_dir() for p in settings.tmp_dir.iterdir()), "nor a half-written file"


# -- privacy findings -------------------------------------------------------------------------------------------
def test_findings_of_bsn_and_email_are_shown_masked_and_resolved(client: TestClient) -> None:
    sign_in(client)
    upload(client, "meldingen", people_csv())
    page = client.get("/beheer/datasets/meldingen").text
    assert "Burgerservicenummer (BSN)" in page and "E-mailadres" in page
    assert "2 bevindingen staan nog open" in page
    assert FIRST_BSN not in page and "melder0@voorbeeld.nl" not in page, "examples are masked"
    assert "•" in page

    dropped = post(client, "meldingen", "resolve", finding="0", column="melder_bsn", kind="bsn", action="drop")
    assert dropped.status_code == 303 and "done=resolved" in dropped.headers["location"]
    store = store_of(client)
    assert store.dataset("meldingen").current_version == 2
    assert "melder_bsn" not in {f["name"] for f in store.version("meldingen").fields}

    place = finding_of(client, "meldingen", "email")
    no_reason = post(client, "meldingen", "resolve", finding=place, column="email", kind="email", action="accept")
    assert no_reason.status_code == 400 and f'href="#finding-{place}-reason"' in no_reason.text
    assert re.search(f'id="finding-{place}-reason"[^>]*aria-invalid="true"', no_reason.text)
    assert re.search(f'id="finding-{place}-accept"[^>]*checked', no_reason.text), "the choice made is kept"
    assert "Geef een reden om deze gegevens te accepteren" in no_reason.text, "in Dutch, without --reason"

    accepted = post(client, "meldingen", "resolve", finding=place, column="email", kind="email", action="accept",
                     reason="zakelijke adressen van meldpunten")
    assert accepted.status_code == 303
    page = client.get("/beheer/datasets/meldingen").text
    assert "bevindingen staan nog open" not in page and "zakelijke adressen van meldpunten" in page

    logged = entries(client, "resolve")
    assert [(e.who, e.detail["action"], e.detail["column"]) for e in logged] == [
        ("marieke", "drop", "melder_bsn"), ("marieke", "accept", "email")]


# -- metadata ---------------------------------------------------------------------------------------------------
def test_metadata_errors_stand_next_to_their_fields_and_good_metadata_is_stored(client: TestClient) -> None:
    sign_in(client)
    upload(client, "fietstellingen", counts_csv())
    wrong = post(client, "fietstellingen", "metadata", title_nl="Fietstellingen", contact_email="geen-adres",
                 spatial="PV99")
    assert wrong.status_code == 400
    assert 'href="#m-contact_email"' in wrong.text and 'href="#m-spatial"' in wrong.text
    assert re.search(r'id="m-contact_email"[^>]*aria-invalid="true"', wrong.text)
    assert "&#39;geen-adres&#39; is not an e-mail address" in wrong.text and "contact_point.email" not in wrong.text
    assert 'value="geen-adres"' in wrong.text, "the form keeps what was typed"
    assert store_of(client).dataset("fietstellingen").meta == {}, "nothing was stored"

    saved = post(client, "fietstellingen", "metadata", title_nl="Fietstellingen", title_en="Bicycle counts",
                 description_nl="Tellingen van fietsers.", keywords_nl="fiets, telling", themes=["TRAN", "REGI"],
                 licence="CC-BY-4.0", contact_name="Team Data", contact_email="data@provinciegroningen.nl",
                 frequency="monthly", temporal_start="2024-01-01")
    assert saved.status_code == 303
    meta = store_of(client).dataset("fietstellingen").meta
    assert meta["title"] == {"nl": "Fietstellingen", "en": "Bicycle counts"}
    assert meta["keywords"] == {"nl": ["fiets", "telling"]} and meta["themes"] == ["TRAN", "REGI"]
    assert meta["licence"] == "CC-BY-4.0" and meta["contact_point"]["email"] == "data@provinciegroningen.nl"
    assert (store_of(client).settings.metadata_dir / "fietstellingen.yaml").exists(), "mirrored like the CLI"
    page = client.get("/beheer/datasets/fietstellingen").text
    assert 'value="Bicycle counts"' in page and re.search(r'value="TRAN"\s+checked', page)
    assert entries(client, "metadata")[-1].who == "marieke"


# -- access -----------------------------------------------------------------------------------------------------
def test_access_is_set_with_a_woo_ground_and_columns_can_be_withheld(client: TestClient) -> None:
    sign_in(client)
    upload(client, "meldingen", people_csv())
    incomplete = post(client, "meldingen", "access", classification="restricted")
    assert incomplete.status_code == 400 and 'href="#a-classification"' in incomplete.text
    assert re.search(r'value="restricted"\s+checked', incomplete.text), "the choice is kept"
    assert store_of(client).dataset("meldingen").classification == "open"

    fields = {f"column_name_{i}": name for i, name in enumerate(["melder_bsn", "email"])}
    saved = post(client, "meldingen", "access", classification="open", column_scope_0="meldingen.bsn",
                 column_reason_0="5.1.1e", **fields)
    assert saved.status_code == 303
    dataset = store_of(client).dataset("meldingen")
    assert dataset.access == {"columns": {"melder_bsn": {"scope": "meldingen.bsn", "reason": "5.1.1e"}}}
    assert entries(client, "access")[-1].detail["rules"] == dataset.access

    restricted = post(client, "meldingen", "access", classification="restricted", scope="meldingen.intern",
                      reason="5.1.2e")
    assert restricted.status_code == 303
    page = client.get("/beheer/datasets/meldingen").text
    assert "eerbiediging van de persoonlijke levenssfeer" in page and "meldingen.intern" in page
    preview = client.get("/beheer/datasets/meldingen/voorbeeld").text
    assert "ziet deze dataset niet" in preview and FIRST_BSN not in preview


def test_the_preview_is_the_public_page_as_anonymous_would_get_it(client: TestClient) -> None:
    sign_in(client)
    upload(client, "meldingen", people_csv())
    post(client, "meldingen", "access", classification="open", column_name_0="melder_bsn",
         column_scope_0="meldingen.bsn", column_reason_0="5.1.1e")
    preview = client.get("/beheer/datasets/meldingen/voorbeeld")
    assert preview.status_code == 200 and "Voorbeeld als anonieme bezoeker" in preview.text
    assert 'id="preview-table"' in preview.text, "the public page's own template"
    assert ">email<" in preview.text and ">melder_bsn<" not in preview.text, "the withheld column is missing"
    assert FIRST_BSN not in preview.text
    assert "Concept: nog niet gepubliceerd" not in preview.text, "shown as it will be once published"
    assert "Tabel met 40 rijen" in preview.text, "with the description publishing would generate"
    read = entries(client, "read")[-1]
    assert (read.who, read.target) == ("marieke", "meldingen"), "the steward's read of a draft is logged"


# -- the gate ---------------------------------------------------------------------------------------------------
def test_the_gate_refuses_with_every_reason_and_publishes_after_the_fixes(client: TestClient) -> None:
    sign_in(client)
    upload(client, "meldingen", people_csv())
    refused = post(client, "meldingen", "publish")
    assert refused.status_code == 409 and "Publiceren is geweigerd" in refused.text
    reasons = re.search(r'id="gate-reasons">(.*?)</div>', refused.text, re.S)
    assert reasons is not None
    text = html.unescape(reasons.group(1))
    assert "Er is nog geen licentie gekozen." in text and "In de metadata ontbreekt ‘Thema’." in text
    assert "Kolom ‘melder_bsn’ bevat persoonsgegevens: Burgerservicenummer (BSN)" in text
    assert "Kolom ‘email’ bevat persoonsgegevens: E-mailadres" in text
    assert store_of(client).dataset("meldingen").status == "draft"
    assert entries(client, "publish")[-1].outcome == "refused"

    post(client, "meldingen", "metadata", title_nl="Meldingen openbare ruimte", themes="SOCI", licence="CC0-1.0")
    post(client, "meldingen", "resolve", finding="0", column="melder_bsn", kind="bsn", action="drop")
    post(client, "meldingen", "resolve", finding=finding_of(client, "meldingen", "email"), column="email", kind="email",
         action="pseudonymise")
    assert "Alle controles zijn in orde" in client.get("/beheer/datasets/meldingen").text

    published = post(client, "meldingen", "publish", purpose="open data over meldingen")
    assert published.status_code == 303 and "done=published" in published.headers["location"]
    assert store_of(client).dataset("meldingen").status == "published"
    entry = entries(client, "publish")[-1]
    assert (entry.outcome, entry.who, entry.purpose) == ("success", "marieke", "open data over meldingen")
    assert len(entries(client, "publish")) == 2, "the gate logs; the page does not log twice"

    anonymous = TestClient(client.app)  # no cookies; not entered, so its lifespan does not close the store
    public = anonymous.get("/datasets/meldingen")
    assert public.status_code == 200 and "Meldingen openbare ruimte" in public.text
    rows = anonymous.get("/api/v1/datasets/meldingen/download?format=csv").text
    assert "gemeente_code" in rows and FIRST_BSN not in rows and "melder0@voorbeeld.nl" not in rows

    no_reason = post(client, "meldingen", "withdraw", reason=" ")
    assert no_reason.status_code == 400 and 'href="#w-reason"' in no_reason.text
    withdrawn = post(client, "meldingen", "withdraw", reason="verkeerde gemeente")
    assert withdrawn.status_code == 303 and store_of(client).dataset("meldingen").status == "withdrawn"
    assert entries(client, "withdraw")[-1].purpose == "verkeerde gemeente"


def test_a_purged_dataset_still_has_a_page_but_nothing_to_preview(client: TestClient) -> None:
    sign_in(client)
    upload(client, "meldingen", people_csv())
    gate.purge(store_of(client), Principal(kind="admin", name="beheer"), "meldingen", 1, "verzoek tot wissing")
    page = client.get("/beheer/datasets/meldingen")
    assert page.status_code == 200 and "Gewist" in page.text and "zijn gewist" in page.text
    assert 'action="/beheer/datasets/meldingen/publish"' not in page.text, "nothing left to publish"
    preview = client.get("/beheer/datasets/meldingen/voorbeeld")
    assert preview.status_code == 200 and "ziet deze dataset niet: ze is gewist" in preview.text


# -- CSRF -------------------------------------------------------------------------------------------------------
def test_no_form_works_without_its_csrf_token(client: TestClient) -> None:
    sign_in(client)
    upload(client, "meldingen", people_csv())
    before = store_of(client).dataset("meldingen")
    forms = {"metadata": {"title_nl": "Anders"}, "scan": {}, "access": {"classification": "non-public"},
             "resolve": {"column": "melder_bsn", "kind": "bsn", "action": "drop"}, "publish": {},
             "withdraw": {"reason": "x"}}
    for action, fields in forms.items():
        for token in (None, "vervalst"):
            data = fields if token is None else {**fields, "csrf_token": token}
            response = client.post(f"/beheer/datasets/meldingen/{action}", data=data, follow_redirects=False)
            assert response.status_code == 403, (action, token)
    assert upload(client, "ander", counts_csv(), csrf=False).status_code == 403
    after = store_of(client).dataset("meldingen")
    assert (after.meta, after.classification, after.current_version) == (before.meta, "open", 1)
    assert [d.id for d in store_of(client).datasets()] == ["meldingen"]


def test_the_pages_speak_english_too(client: TestClient) -> None:
    sign_in(client)
    upload(client, "meldingen", people_csv())
    overview = client.get("/beheer?lang=en").text
    assert "Manage datasets" in overview and "Draft" in overview
    page = client.get("/beheer/datasets/meldingen").text
    assert "Personal data" in page and "Citizen service number (BSN)" in page and "Publish" in page


# -- in a real browser ------------------------------------------------------------------------------------------
@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    with serve_app(make_app(Settings(home=tmp_path / "inst", scheduler=False))) as url:
        yield url


def axe_violations(page: Page) -> list[str]:
    result = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]})
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}×)" for v in result.response["violations"]]


@pytest.mark.browser
@pytest.mark.slow
def test_the_main_flow_in_a_real_browser_without_axe_violations(page: Page, served: str, tmp_path: Path) -> None:
    source = tmp_path / "meldingen.csv"
    source.write_bytes(people_csv())
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(served + "/beheer")
    expect(page).to_have_url(re.compile(r"/aanmelden\?next=/beheer$"))
    page.fill("#username", "marieke")
    page.fill("#password", PASSWORD)
    page.click("form.signin-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Beheer van datasets")
    assert axe_violations(page) == []

    page.click("text=Nieuwe dataset of versie uploaden")
    page.fill("#u-dataset", "meldingen")
    page.set_input_files("#u-file", str(source))
    assert axe_violations(page) == []
    page.click("text=Uploaden en scannen")
    expect(page.locator(".done[role=status]")).to_contain_text("gescand")
    expect(page.locator("article.finding-open")).to_have_count(2)
    assert axe_violations(page) == []

    page.click("form[action$='/publish'] button")
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#gate-reasons li")).to_have_count(4)
    assert axe_violations(page) == [], "the refusal with its reasons is accessible"
    reasons = page.locator("#gate-reasons")
    expect(reasons).to_contain_text("Er is nog geen licentie gekozen.")
    reasons.get_by_role("link", name="Kies een licentie").click()
    expect(page.locator("#m-licence")).to_be_focused()  # the advice leads to the field, not to a command

    # Keyboard only: choose "drop" for the BSN column and submit with Enter.
    page.focus("#finding-0-drop")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".done[role=status]")).to_contain_text("afgehandeld")
    email = page.locator("article.finding-open", has_text="E-mailadres")
    email.get_by_label("Accepteren, met reden").check()
    email.get_by_role("button", name="Afhandelen").click()
    expect(page.locator("#error-summary")).to_be_focused()  # read first by a screen reader
    expect(page.locator("#error-summary")).to_contain_text("Geef een reden")
    page.locator("#error-summary a").click()
    reason = page.locator("article.finding-open", has_text="E-mailadres").get_by_label("Reden", exact=True)
    expect(reason).to_be_focused()
    page.keyboard.type("zakelijke adressen van meldpunten")
    page.keyboard.press("Enter")
    expect(page.locator("article.finding-open")).to_have_count(0)

    page.fill("#m-title_nl", "Meldingen openbare ruimte")
    page.check("#m-themes-SOCI")
    page.select_option("#m-licence", "CC0-1.0")
    page.fill("#m-contact_email", "geen-adres")
    page.click("text=Metadata opslaan")
    expect(page.locator("#m-contact_email")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == [], "errors next to their fields are accessible"
    page.fill("#m-contact_email", "data@provinciegroningen.nl")
    page.click("text=Metadata opslaan")
    expect(page.locator(".done[role=status]")).to_contain_text("metadata")
    expect(page.locator("#gate-reasons")).to_have_count(0)

    page.click("text=Bekijken als anonieme bezoeker")
    expect(page.locator(".preview-banner")).to_be_visible()
    expect(page.locator("h1")).to_have_text("Meldingen openbare ruimte")
    assert axe_violations(page) == []
    page.click("text=Terug naar beheer")

    page.fill("#p-purpose", "open data over meldingen")
    page.click("form[action$='/publish'] button")
    expect(page.locator(".done[role=status]")).to_contain_text("gepubliceerd")
    expect(page.locator(".pill-published")).to_be_visible()
    assert axe_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "steward_dataset.png"), full_page=True)
    page.goto(served + "/beheer")
    page.screenshot(path=str(SCREENSHOTS / "steward_overview.png"), full_page=True)
