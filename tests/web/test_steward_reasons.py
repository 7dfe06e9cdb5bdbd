"""Prove that a steward reads why a dataset cannot be published in the portal's language (Dutch, or English when
chosen), with advice that points to the place on the page where it is settled instead of a command, while the
command line, the API and the audit log keep the gate's English lines exactly as before."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import cast

import pytest
from fastapi.testclient import TestClient

from tests.web.test_steward_pages import make_app, people_csv, post, sign_in, upload
from wierde.config import Settings
from wierde.protect import audit, disclosure, gate
from wierde.protect.reasons import CODES, Code, Reason
from wierde.store.repository import Store
from wierde.web import i18n, steward

TOKEN = "steward-token-for-reason-tests"
SAMPLES: dict[str, dict[str, object]] = {  # one reason of every code, with parameters as the gate gives them
    "no_data": {}, "purged": {"version": 3}, "no_licence": {},
    "metadata_invalid": {"problem": "contact_point.email: 'x' is not an e-mail address"},
    "metadata_missing": {"field": "contact_point"},
    "access_rights_mismatch": {"given": "public", "classification": "restricted", "expected": "restricted"},
    "scan_failed": {"detail": "the file is missing"}, "scan_crashed": {"error": "ValueError: boom"},
    "personal_data": {"column": "email", "kind": "email", "in_text": True, "share": 0.25},
    "disclosure_unreadable": {"detail": "unknown key 'x'"},
    "disclosure_not_applied": {"profile": "cbs", "version": 2, "changed": True},
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One signed-in steward for the whole file (accounts and sign-in take seconds); `meldingen` is only read, a
    test that changes a dataset uploads its own. Pages are asked for with ?lang=, as a choice sticks in a cookie."""
    settings = Settings(home=tmp_path_factory.mktemp("reasons") / "inst", scheduler=False, admin_token=TOKEN)
    with TestClient(make_app(settings)) as test_client:
        sign_in(test_client)
        upload(test_client, "meldingen", people_csv())  # a BSN and an e-mail address in every row, no licence
        yield test_client


def store_of(client: TestClient) -> Store:
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    return store


def sample(code: str, line: str) -> Reason:
    return Reason(cast(Code, code), line, **SAMPLES[code])


def reasons_of(page: str) -> str:
    found = re.search(r'id="gate-reasons">(.*?)</div>', page, re.S)
    assert found, "the page lists what stands in the way of publication"
    return html.unescape(found.group(1))


def links_lead_to_the_page(reasons: str, page: str) -> None:
    """Every piece of advice is a link to a part of this very page that exists."""
    targets = re.findall(r'href="#([^"]+)"', reasons)
    assert targets, "the reasons link to where they are settled"
    for target in targets:
        assert f'id="{target}"' in page, f"#{target} is on the page"


def test_a_dutch_steward_reads_the_reasons_in_dutch_with_links_instead_of_commands(client: TestClient) -> None:
    page = client.get("/beheer/datasets/meldingen?lang=nl").text
    text = reasons_of(page)
    assert "Er is nog geen licentie gekozen." in text and '<a href="#m-licence">Kies een licentie</a>' in text
    assert ("Kolom ‘melder_bsn’ bevat persoonsgegevens: Burgerservicenummer (BSN), in 100% van de bekeken waarden."
            in text)
    assert "Kolom ‘email’ bevat persoonsgegevens: E-mailadres" in text
    bsn_form = re.search(r'<fieldset id="(finding-\d+-action)"[^>]*>\s*<legend>Wat gebeurt er met kolom melder_bsn',
                         page)
    assert bsn_form and f'<a href="#{bsn_form.group(1)}">Kies wat er met kolom ‘melder_bsn’ gebeurt</a>' in text, \
        "the advice leads to that finding's own form"
    links_lead_to_the_page(text, page)
    for cli_text in ("wierde resolve", "--licence", "--theme", "no licence", "holds bsn"):
        assert cli_text not in text


def test_in_english_the_same_reasons_are_english(client: TestClient) -> None:
    page = client.get("/beheer/datasets/meldingen?lang=en").text
    text = reasons_of(page)
    assert "No licence has been chosen yet." in text and "Choose a licence" in text
    assert "Column ‘melder_bsn’ holds personal data: Citizen service number (BSN), in 100% of the values checked." \
        in text
    assert "‘Theme’ is missing from the metadata." in text
    links_lead_to_the_page(text, page)
    for other in ("licentie", "persoonsgegevens", "wierde resolve", "--licence"):
        assert other not in text

    refused = post(client, "meldingen", "publish")  # the refusal after pressing Publish: the same, in English
    assert refused.status_code == 409
    assert "Publishing was refused" in refused.text and "No licence has been chosen yet." in reasons_of(refused.text)


def test_the_command_line_the_api_and_the_audit_log_keep_the_english_lines(client: TestClient) -> None:
    licences = "no licence: choose one with --licence ("
    lines = gate.check(store_of(client), "meldingen")
    assert lines[0].startswith(licences)
    assert ("unresolved personal data: column 'melder_bsn' holds bsn (100% of the values checked); resolve it: "
            "wierde resolve meldingen --column melder_bsn --action drop|pseudonymise|generalise|aggregate|accept"
            in lines)

    api = client.get("/api/v1/datasets/meldingen/gate", headers={"Authorization": f"Bearer {TOKEN}"})
    assert api.status_code == 200 and api.json()["reasons"] == lines, "the API answers with the very same lines"

    post(client, "meldingen", "publish")
    refusal = audit.search(store_of(client), action="publish", target="meldingen")[-1]
    assert refusal.outcome == "refused" and refusal.detail["reasons"] == lines


def test_a_disclosure_profile_not_yet_applied_is_explained_in_dutch(client: TestClient) -> None:
    upload(client, "meldingen-sdc", people_csv())
    disclosure.save_config(store_of(client), "meldingen-sdc",
                           disclosure.DisclosureConfig.from_mapping({"counts": ["aantal"]}))
    text = reasons_of(client.get("/beheer/datasets/meldingen-sdc?lang=nl").text)
    assert ("Het profiel voor statistische beveiliging ‘cbs’ is ingesteld, maar nog niet toegepast op versie 1."
            in text)
    assert "vraag de technisch beheerder" in text, "it cannot be done on the page: the steward learns whom to ask"


def test_access_rights_that_contradict_the_classification_are_named_in_dutch(client: TestClient) -> None:
    upload(client, "meldingen-toegang", people_csv())
    saved = post(client, "meldingen-toegang", "metadata", title_nl="Meldingen", access_rights="non-public")
    assert saved.status_code == 303
    page = client.get("/beheer/datasets/meldingen-toegang?lang=nl").text
    text = reasons_of(page)
    assert ("Volgens de metadata zijn de toegangsrechten ‘Niet-publiek’, maar de dataset is open; daarbij horen de "
            "toegangsrechten ‘Publiek’.") in text
    links_lead_to_the_page(text, page)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_code_the_gate_gives_has_a_text_in_both_languages(client: TestClient, lang: str) -> None:
    assert set(SAMPLES) == CODES, "a new code needs a sample here, and so a text on the page"
    store = store_of(client)
    env = client.app.state.renderer.env  # type: ignore[attr-defined]
    template = env.from_string('{% import "steward_reasons.html" as gate with context %}{{ gate.reason(r) }}')
    token = i18n.current.set(lang)
    try:
        context = steward.detail_context(store, store.dataset("meldingen"), steward.Shown())
        other = "en" if lang == "nl" else "nl"
        for code in SAMPLES:
            said = template.render(context, r=sample(code, "THE ENGLISH LINE"))
            assert said.strip() and "THE ENGLISH LINE" not in said, code
            i18n.current.set(other)
            assert template.render(context, r=sample(code, "THE ENGLISH LINE")) != said, f"{code} is translated"
            i18n.current.set(lang)
    finally:
        i18n.current.reset(token)
