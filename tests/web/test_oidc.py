"""Prove that staff sign in through a real OpenID Connect provider (npm's oidc-provider, started here on
127.0.0.1): authorization code + PKCE, the provider's own login and consent pages, a verified ID token, an
account created on first sign-in, a session afterwards, and refusals for a forged or replayed callback and for
ID tokens that fail any check."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.helpers import oidc
from tests.helpers.replay import replay_server
from tests.helpers.server import free_port, serve_app
from wierde.app import create_app
from wierde.config import Settings
from wierde.protect import accounts, audit
from wierde.store.repository import Store
from wierde.web import auth, session

CLIENT_ID, CLIENT_SECRET = "wierde-portaal", "geheim-van-de-client-123"



@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    if not oidc.available():
        pytest.fail("node or node_modules/oidc-provider is missing: `make test-setup` installs them")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with oidc.provider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                       redirect_uri=f"{base}/aanmelden/oidc/callback") as issuer:
        home: Path = tmp_path_factory.mktemp("oidc") / "inst"
        settings = Settings(home=home, base_url=base, scheduler=False, oidc_issuer=issuer, oidc_client_id=CLIENT_ID,
                            oidc_client_secret=CLIENT_SECRET, oidc_role_claim="wierde_role")
        store = Store.open(settings)
        app = create_app(settings, store)
        session.install(app)
        with serve_app(app, port=port) as url:
            yield url, store


def follow(browser: httpx.Client, response: httpx.Response) -> httpx.Response:
    while response.is_redirect:
        response = browser.get(response.url.join(response.headers["location"]))
    return response


def sign_in_at_provider(browser: httpx.Client, page: httpx.Response, login: str) -> httpx.Response:
    """Fill in the provider's development login form, then its consent form, as a person would."""
    for _ in range(3):
        action = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', page.text)
        if action is None:
            return page
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        if fields.get("prompt") == "login":
            fields.update(login=login, password="wat-dan-ook")
        page = follow(browser, browser.post(action.group(1), data=fields))
    return page


@pytest.mark.slow  # starting node and the provider takes a few seconds
def test_sign_in_through_the_provider_creates_account_and_session(instance: tuple[str, Store]) -> None:
    url, store = instance
    with httpx.Client(timeout=20) as browser:
        assert "Aanmelden met uw organisatie-account" in browser.get(f"{url}/aanmelden").text
        start = browser.get(f"{url}/aanmelden/oidc?next=/datasets")
        query = parse_qs(urlsplit(start.headers["location"]).query)
        assert query["code_challenge_method"] == ["S256"] and query["state"] and query["nonce"]
        assert query["redirect_uri"] == [f"{url}/aanmelden/oidc/callback"]
        landed = sign_in_at_provider(browser, follow(browser, start), "marieke")
        assert landed.status_code == 200 and landed.url.path == "/datasets"
        assert "Marieke de Vries" in landed.text, "the header shows who is signed in"
        assert browser.cookies.get("wierde_session")
    record = accounts.get(store, "marieke")
    assert (record.role, record.oidc, record.has_password) == ("steward", True, False)
    entry = audit.search(store, action="sign-in", who="marieke")[-1]
    assert (entry.outcome, entry.kind, entry.detail["method"]) == ("success", "steward", "oidc")

    with httpx.Client(timeout=20) as again:  # a second sign-in finds the same account
        sign_in_at_provider(again, follow(again, again.get(f"{url}/aanmelden/oidc")), "marieke")
    assert [a.username for a in accounts.list_accounts(store)].count("marieke") == 1


@pytest.mark.slow
def test_a_callback_with_the_wrong_state_is_refused(instance: tuple[str, Store]) -> None:
    url, store = instance
    with httpx.Client(timeout=20) as browser:
        at_provider = follow(browser, browser.get(f"{url}/aanmelden/oidc"))
        # The victim's browser is sent a callback from an attacker's own sign-in: its state is not this one's.
        forged = browser.get(f"{url}/aanmelden/oidc/callback", params={"code": "aanvaller", "state": "anders"})
        assert forged.status_code == 401 and at_provider.status_code == 200
        assert 'href="/aanmelden">Aanmelden</a>' in browser.get(f"{url}/").text, "still signed out"
    entry = audit.search(store, action="sign-in", outcome="failure")[-1]
    assert entry.detail["method"] == "oidc" and "state" in entry.detail["reason"]


@pytest.mark.slow
def test_a_callback_cannot_be_replayed(instance: tuple[str, Store]) -> None:
    url, _store = instance
    with httpx.Client(timeout=20) as browser:
        at_provider = follow(browser, browser.get(f"{url}/aanmelden/oidc"))
        page = sign_in_at_provider_until_callback(browser, at_provider, "jan")
        callback = page.headers["location"]
        first = browser.get(callback)
        assert first.status_code == 303, first.text
        assert browser.get(callback).status_code == 401, "the flow cookie is gone and the code is spent"


def sign_in_at_provider_until_callback(browser: httpx.Client, page: httpx.Response, login: str) -> httpx.Response:
    """Like sign_in_at_provider, but stop at the redirect back to Wierde (to look at the callback itself)."""
    for _ in range(3):
        action = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', page.text)
        assert action is not None
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        if fields.get("prompt") == "login":
            fields.update(login=login, password="wat-dan-ook")
        response = browser.post(action.group(1), data=fields)
        while response.is_redirect and "/aanmelden/oidc/callback" not in response.headers["location"]:
            response = browser.get(response.url.join(response.headers["location"]))
        if response.is_redirect:
            return response
        page = response
    raise AssertionError("the provider never sent the browser back")


# -- the ID token checks, against a provider we sign for ourselves (served over real HTTP) ----------------------
@pytest.fixture(scope="module")
def signer() -> Iterator[tuple[auth.OidcClient, Callable[..., str]]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = {**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": "sleutel-1", "use": "sig", "alg": "RS256"}
    documents: dict[str, bytes] = {}

    def route(path: str) -> tuple[int, str, bytes] | None:
        body = documents.get(path)
        return (200, "application/json", body) if body is not None else None

    with replay_server(route) as base:
        documents["/.well-known/openid-configuration"] = json.dumps({
            "issuer": base, "authorization_endpoint": f"{base}/auth", "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks"}).encode()
        documents["/jwks"] = json.dumps({"keys": [public]}).encode()
        settings = Settings(home=Path("/nonexistent"), oidc_issuer=base, oidc_client_id=CLIENT_ID)

        def sign(algorithm: str = "RS256", kid: str = "sleutel-1", secret: str | None = None, **changes: Any) -> str:
            now = int(time.time())
            claims = {"iss": base, "aud": CLIENT_ID, "sub": "42", "iat": now, "exp": now + 300, "nonce": "n-1",
                      **changes}
            signing_key: Any = secret if secret is not None else key
            return jwt.encode(claims, signing_key, algorithm=algorithm, headers={"kid": kid})

        yield auth.OidcClient(settings), sign


def test_a_valid_id_token_is_accepted(signer: tuple[auth.OidcClient, Callable[..., str]]) -> None:
    client, sign = signer
    assert client.verify_id_token(sign(), "n-1")["sub"] == "42"


@pytest.mark.parametrize(("changes", "why"), [
    ({"aud": "een-andere-client"}, "audience"),
    ({"iss": "https://nep-uitgever.example"}, "issuer"),
    ({"exp": int(time.time()) - 3600}, "expired"),
    ({"nonce": "n-2"}, "nonce"),
    ({"kid": "onbekend"}, "unknown key"),
    ({"algorithm": "HS256", "secret": "geheim-van-de-client-123-met-lengte"}, "algorithm"),
    ({"algorithm": "none", "secret": ""}, "algorithm"),
])
def test_an_id_token_that_fails_a_check_is_refused(signer: tuple[auth.OidcClient, Callable[..., str]],
                                                   changes: dict[str, Any], why: str) -> None:
    client, sign = signer
    with pytest.raises(auth.SignInFailed) as refused:
        client.verify_id_token(sign(**changes), "n-1")
    assert why in refused.value.detail.lower()
