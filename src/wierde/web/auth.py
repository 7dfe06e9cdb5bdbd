"""Sign-in and sign-out for staff: local accounts and OpenID Connect, sessions and CSRF.

OpenID Connect is the authorization code flow with PKCE (S256), state and nonce, against `settings.oidc_issuer`:
its discovery document names the endpoints, its JWKS the keys; the ID token is checked for signature, issuer,
audience, expiry and nonce before anyone is signed in. Every sign-in, failed or not, goes into the audit log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx
import jwt
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wierde.config import Settings
from wierde.errors import NotFound, WierdeError
from wierde.protect import accounts, audit
from wierde.store.repository import Store
from wierde.web import session
from wierde.web.i18n import _
from wierde.web.render import Renderer

router = APIRouter(include_in_schema=False)
CALLBACK = "/aanmelden/oidc/callback"
FLOW_COOKIE = "wierde_oidc"
FLOW_SECONDS = 600  # time to finish signing in at the provider
CACHE_SECONDS = 3600  # discovery document and keys
SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
LEEWAY = 60  # seconds of clock difference allowed between us and the provider


class SignInFailed(WierdeError):
    status = 401
    title = "Sign-in failed"
    exit_code = 4


# -- pages ------------------------------------------------------------------------------------------------------
def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def safe_next(value: object) -> str:
    """Only a path on this site: never an open redirect to another one."""
    text = value if isinstance(value, str) else ""
    if not text.startswith("/") or text.startswith(("//", "/\\")) or any(c in text for c in "\r\n"):
        return "/"
    return text


def _page(request: Request, *, status: int = 200, error: str | None = None, username: str = "",
          next_url: str = "/", headers: Mapping[str, str] | None = None) -> HTMLResponse:
    renderer: Renderer = request.app.state.renderer
    found = session.account(request)
    response = renderer.page(
        request, "signin.html", status=status, error=error, username=username, next_url=next_url,
        csrf_token=session.csrf_token(request), csrf_field_name=session.CSRF_FIELD,
        oidc=bool(_settings(request).oidc_issuer), signed_in_as=found[0].display_name if found else None,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers or {})
    return session.attach(request, response)


def _audit_sign_in(request: Request, who: str, *, outcome: str, method: str, kind: str = "anonymous",
                   reason: str = "", purpose: str | None = None) -> None:
    detail = {"method": method, **({"reason": reason} if reason else {})}
    audit.record(_store(request), who=who or "-", kind=kind, action="sign-in", target=request.url.path,
                 purpose=purpose, outcome=outcome, client=client_address(request), detail=detail)


@router.get("/aanmelden", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str = "/") -> HTMLResponse:
    return _page(request, next_url=safe_next(next))


@router.post("/aanmelden")
async def sign_in(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_sign_in, request, {k: v for k, v in form.items() if isinstance(v, str)})


def _sign_in(request: Request, form: dict[str, str]) -> Response:
    session.check_csrf(request, form)
    username, password = form.get("username", "").strip()[:200], form.get("password", "")[:accounts.MAX_PASSWORD]
    purpose = form.get("purpose", "").strip()[:500] or None
    next_url = safe_next(form.get("next"))
    try:
        record = accounts.verify(_store(request), username, password, client=client_address(request))
    except accounts.TooManyAttempts as refused:
        _audit_sign_in(request, username, outcome="refused", method="password", reason="rate limited")
        message = _("Te veel mislukte pogingen. Probeer het over {seconds} seconden opnieuw.").format(
            seconds=refused.retry_after)
        return _page(request, status=429, error=message, username=username, next_url=next_url,
                     headers={"Retry-After": str(refused.retry_after)})
    except accounts.Unauthorized as wrong:
        _audit_sign_in(request, username, outcome="failure", method="password", reason=wrong.reason)
        return _page(request, status=401, error=_("Onbekende gebruikersnaam of verkeerd wachtwoord."),
                     username=username, next_url=next_url)
    response = RedirectResponse(next_url, status_code=303)
    session.sign_in(request, response, record, method="password", purpose=purpose)
    _audit_sign_in(request, record.username, outcome="success", method="password", kind=record.role, purpose=purpose)
    return response


@router.post("/afmelden")
async def sign_out(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_sign_out, request, {k: v for k, v in form.items() if isinstance(v, str)})


def _sign_out(request: Request, form: dict[str, str]) -> Response:
    session.check_csrf(request, form)
    found = session.account(request)
    response = RedirectResponse("/", status_code=303)
    session.sign_out(request, response)
    if found:
        audit.record(_store(request), who=found[0].username, kind=found[0].role, action="sign-out",
                     target=request.url.path, client=client_address(request))
    return response


# -- OpenID Connect ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProviderInfo:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    auth_methods: tuple[str, ...]


class OidcClient:
    """One provider's discovery document and keys (cached), and the three calls the flow makes to it."""

    def __init__(self, settings: Settings, http: httpx.Client | None = None) -> None:
        self.settings = settings
        self.http = http or httpx.Client(timeout=10.0, follow_redirects=False)
        self._provider: tuple[float, ProviderInfo] | None = None
        self._keys: tuple[float, jwt.PyJWKSet] | None = None

    @property
    def redirect_uri(self) -> str:
        return self.settings.base_url.rstrip("/") + CALLBACK

    def _get_json(self, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.http.get(url, **kwargs)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise SignInFailed(f"the sign-in provider did not answer properly ({url}): {error}") from None
        if not isinstance(data, dict):
            raise SignInFailed(f"the sign-in provider sent no JSON object ({url})")
        return data

    def provider(self) -> ProviderInfo:
        if self._provider and time.monotonic() - self._provider[0] < CACHE_SECONDS:
            return self._provider[1]
        issuer = self.settings.oidc_issuer.rstrip("/")
        doc = self._get_json(f"{issuer}/.well-known/openid-configuration")
        if doc.get("issuer", "").rstrip("/") != issuer:
            raise SignInFailed(f"the discovery document names issuer {doc.get('issuer')!r}, not {issuer!r}")
        try:
            info = ProviderInfo(issuer=doc["issuer"], authorization_endpoint=doc["authorization_endpoint"],
                                token_endpoint=doc["token_endpoint"], jwks_uri=doc["jwks_uri"],
                                userinfo_endpoint=doc.get("userinfo_endpoint"),
                                auth_methods=tuple(doc.get("token_endpoint_auth_methods_supported")
                                                   or ["client_secret_basic"]))
        except KeyError as missing:
            raise SignInFailed(f"the discovery document lacks {missing}") from None
        self._provider = (time.monotonic(), info)
        return info

    def key_for(self, kid: str | None) -> jwt.PyJWK:
        """The provider's signing key `kid`; keys are fetched again once when an unknown one turns up (rotation)."""
        for fresh in (False, True):
            if fresh or not self._keys or time.monotonic() - self._keys[0] > CACHE_SECONDS:
                try:
                    self._keys = (time.monotonic(), jwt.PyJWKSet.from_dict(self._get_json(self.provider().jwks_uri)))
                except jwt.PyJWKSetError as error:
                    raise SignInFailed(f"the provider's keys are not usable: {error}") from None
            keys = self._keys[1].keys
            match = [k for k in keys if k.key_id == kid] if kid else keys[:1] if len(keys) == 1 else []
            if match:
                return match[0]
        raise SignInFailed(f"the ID token is signed with an unknown key {kid!r}")

    def authorization_url(self, *, state: str, nonce: str, verifier: str) -> str:
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode({"response_type": "code", "client_id": self.settings.oidc_client_id,
                           "redirect_uri": self.redirect_uri, "scope": "openid profile email", "state": state,
                           "nonce": nonce, "code_challenge": challenge, "code_challenge_method": "S256"})
        endpoint = self.provider().authorization_endpoint
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    def exchange(self, code: str, verifier: str) -> dict[str, Any]:
        """Trade the code for tokens, authenticating as the client (or as a public client without a secret)."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
                "code_verifier": verifier}
        info, client_id, secret = self.provider(), self.settings.oidc_client_id, self.settings.oidc_client_secret
        auth: httpx.BasicAuth | None = None
        if secret and ("client_secret_basic" in info.auth_methods or "client_secret_post" not in info.auth_methods):
            auth = httpx.BasicAuth(quote_plus(client_id), quote_plus(secret))  # RFC 6749 §2.3.1 form-encodes both
        else:
            form.update({"client_id": client_id, **({"client_secret": secret} if secret else {})})
        try:
            response = self.http.post(info.token_endpoint, data=form, auth=auth or httpx.USE_CLIENT_DEFAULT,
                                      headers={"Accept": "application/json"})
            tokens = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise SignInFailed(f"the token endpoint did not answer properly: {error}") from None
        if response.status_code != 200 or not isinstance(tokens, dict) or "id_token" not in tokens:
            problem = tokens.get("error") if isinstance(tokens, dict) else response.status_code
            raise SignInFailed(f"the provider refused the code: {problem}")
        return tokens

    def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(id_token)
            algorithm = header.get("alg")
            if algorithm not in SIGNING_ALGORITHMS:
                raise SignInFailed(f"ID token algorithm {algorithm!r} is not accepted")
            key = self.key_for(header.get("kid"))
            claims: dict[str, Any] = jwt.decode(
                id_token, key.key, algorithms=[algorithm], audience=self.settings.oidc_client_id,
                issuer=self.provider().issuer, leeway=LEEWAY,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]})
        except jwt.PyJWTError as error:
            raise SignInFailed(f"the ID token is not valid: {error}") from None
        if not hmac.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
            raise SignInFailed("the ID token's nonce does not match this sign-in")
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.settings.oidc_client_id:
            raise SignInFailed("the ID token was issued to another party (azp)")
        return claims

    def userinfo(self, access_token: str | None, subject: str) -> dict[str, Any]:
        """Profile claims the ID token left out (providers often keep them for the userinfo endpoint)."""
        endpoint = self.provider().userinfo_endpoint
        if not endpoint or not access_token:
            return {}
        claims = self._get_json(endpoint, headers={"Authorization": f"Bearer {access_token}"})
        return claims if claims.get("sub") == subject else {}


def _oidc(request: Request) -> OidcClient:
    settings = _settings(request)
    if not settings.oidc_issuer or not settings.oidc_client_id:
        raise NotFound("sign-in through OpenID Connect is not configured on this instance")
    client = getattr(request.app.state, "oidc_client", None)
    if not isinstance(client, OidcClient) or client.settings is not settings:
        client = OidcClient(settings)
        request.app.state.oidc_client = client
    return client


def role_from(claims: Mapping[str, Any], settings: Settings) -> str | None:
    """The highest Wierde role named in the configured claim (a string or a list of them); employee when it names
    none, so a provider that stops sending the claim demotes rather than promotes. None: no claim configured."""
    claim = settings.oidc_role_claim
    if not claim:
        return None
    value = claims.get(str(claim))
    values = {value} if isinstance(value, str) else set(value) if isinstance(value, list) else set()
    named = [role for role in accounts.ROLES if role in values]
    return named[-1] if named else "employee"


@router.get("/aanmelden/oidc")
def oidc_start(request: Request, next: str = "/") -> Response:
    client = _oidc(request)
    settings = _settings(request)
    flow = {"state": secrets.token_urlsafe(24), "nonce": secrets.token_urlsafe(24),
            "verifier": secrets.token_urlsafe(48), "next": safe_next(next)}
    try:
        target = client.authorization_url(state=flow["state"], nonce=flow["nonce"], verifier=flow["verifier"])
    except SignInFailed as failed:
        _audit_sign_in(request, "-", outcome="failure", method="oidc", reason=failed.detail)
        return _page(request, status=502, error=_("De aanmeldservice is niet bereikbaar."))
    response = RedirectResponse(target, status_code=303)
    value = session.sign(session.secret_key(settings), "oidc", flow, FLOW_SECONDS)
    name = session.cookie_name(settings, FLOW_COOKIE)
    response.headers.append("set-cookie", session.cookie_header(settings, name, value, max_age=FLOW_SECONDS))
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(CALLBACK)
def oidc_callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
    client, settings = _oidc(request), _settings(request)
    name = session.cookie_name(settings, FLOW_COOKIE)
    flow = session.unsign(session.secret_key(settings), "oidc", request.cookies.get(name))
    try:
        record = _finish_oidc(client, request, flow, code=code, state=state, error=error)
    except SignInFailed as failed:
        who = str(failed.extra.get("who", "-"))
        _audit_sign_in(request, who, outcome="failure", method="oidc", reason=failed.detail)
        response: Response = _page(request, status=401, error=_("Aanmelden via de aanmeldservice is mislukt."))
    else:
        assert flow is not None
        response = RedirectResponse(flow["next"], status_code=303)
        session.sign_in(request, response, record, method="oidc")
        _audit_sign_in(request, record.username, outcome="success", method="oidc", kind=record.role)
    response.headers.append("set-cookie", session.cookie_header(settings, name, "", max_age=0))  # one use only
    return response


def _finish_oidc(client: OidcClient, request: Request, flow: dict[str, Any] | None, *, code: str, state: str,
                 error: str) -> accounts.AccountRecord:
    if flow is None:
        raise SignInFailed("no sign-in was started from this browser, or it took too long")
    if not hmac.compare_digest(state.encode(), str(flow.get("state", "")).encode()):
        raise SignInFailed("the state does not match this sign-in")
    if error or not code:
        raise SignInFailed(f"the provider answered {error or 'without a code'}")
    tokens = client.exchange(code, str(flow["verifier"]))
    claims = client.verify_id_token(str(tokens["id_token"]), str(flow["nonce"]))
    claims = {**client.userinfo(tokens.get("access_token"), str(claims["sub"])), **claims}
    username = str(claims.get("preferred_username") or claims.get("email") or claims["sub"])
    record = accounts.from_oidc(
        _store(request), issuer=client.provider().issuer, subject=str(claims["sub"]), username=username,
        display_name=str(claims.get("name") or username), role=role_from(claims, _settings(request)))
    if record.disabled:
        raise SignInFailed("the account is disabled", who=record.username)
    return record
