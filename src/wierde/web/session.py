"""Browser sessions and CSRF: a signed cookie that names the session, and one token per session on every form.

The cookie carries only a random session id and an expiry, signed with HMAC-SHA256 (settings.secret_key, or a key
generated once into <home>/secret.key). A signed-in session also has a row in the database (by the id's hash), so
signing out or disabling an account ends it everywhere. Visitors who only see a form get an anonymous session, so
the sign-in form itself is protected against cross-site posts too.

Forms use `csrf_field()` in their template and call `check_csrf(request, form)` in their POST route.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response
from markupsafe import Markup
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wierde.config import Settings
from wierde.errors import Forbidden
from wierde.protect import accounts
from wierde.protect.access import Principal
from wierde.store.repository import Store

COOKIE = "wierde_session"
CSRF_FIELD = "csrf_token"
KEY_FILE = "secret.key"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LIFETIME = int(accounts.SESSION_LIFETIME.total_seconds())
_current: ContextVar[Request | None] = ContextVar("wierde_request", default=None)
R = TypeVar("R", bound=Response)


# -- the key and signing ----------------------------------------------------------------------------------------
def secret_key(settings: Settings) -> bytes:
    """settings.secret_key, or the instance's own key file (created once, readable by its owner only)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    return _key_file(str(settings.home / KEY_FILE))


@lru_cache(maxsize=16)
def _key_file(path_text: str) -> bytes:
    path = Path(path_text)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        staged = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(staged, path)  # fails if another worker won the race: then everyone uses its key
        except FileExistsError:
            pass
        finally:
            staged.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip().encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, purpose: str, payload: dict[str, Any], max_age: int) -> str:
    """`payload` with an expiry, as `<base64 JSON>.<base64 HMAC>`; `purpose` keeps one kind of cookie from
    being accepted as another."""
    body = _b64(json.dumps({**payload, "exp": int(time.time()) + max_age}, separators=(",", ":")).encode())
    mac = hmac.new(key, f"{purpose}.{body}".encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def unsign(key: bytes, purpose: str, value: str | None) -> dict[str, Any] | None:
    """The payload, or None when the value is missing, forged, damaged or expired."""
    body, _, mac = (value or "").partition(".")
    if not body or not mac:
        return None
    expected = hmac.new(key, f"{purpose}.{body}".encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(expected, _unb64(mac)):
            return None
        payload = json.loads(_unb64(body))
    except (ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int) or payload["exp"] < time.time():
        return None
    return payload


def cookie_name(settings: Settings, name: str = COOKIE) -> str:
    # The __Host- prefix makes browsers refuse the cookie unless it is Secure, for this host only, on path /.
    return f"__Host-{name}" if _secure(settings) and not name.startswith("__") else name


def _secure(settings: Settings) -> bool:
    return settings.base_url.lower().startswith("https://")


def cookie_header(settings: Settings, name: str, value: str, *, max_age: int | None, path: str = "/") -> str:
    """A Set-Cookie value: HttpOnly, SameSite=Lax, Secure when the instance is served over https."""
    parts = [f"{name}={value}", f"Path={path}", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if _secure(settings):
        parts.append("Secure")
    return "; ".join(parts)


# -- the visit: who this browser is -----------------------------------------------------------------------------
@dataclass
class Visit:
    sid: str
    signed_in: bool
    from_cookie: bool = False  # False: new this request, the browser does not know the id yet
    needs_cookie: bool = False  # a new anonymous session whose id a form has used: send the cookie
    resolved: bool = False
    account: accounts.AccountRecord | None = None
    purpose: str | None = None


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def visit(request: Request) -> Visit:
    """This request's session (from its cookie), or a new anonymous one; one per request."""
    found = getattr(request.state, "wierde_visit", None)
    if isinstance(found, Visit):
        return found
    settings = _settings(request)
    payload = unsign(secret_key(settings), "session", request.cookies.get(cookie_name(settings)))
    if payload and isinstance(payload.get("sid"), str):
        current = Visit(sid=payload["sid"], signed_in=bool(payload.get("in")), from_cookie=True)
    else:
        current = Visit(sid=secrets.token_urlsafe(32), signed_in=False)
    request.state.wierde_visit = current
    return current


def account(request: Request) -> tuple[accounts.AccountRecord, str | None] | None:
    """The signed-in account and the purpose stated at sign-in; looked up once per request."""
    current = visit(request)
    if not current.signed_in:
        return None
    if not current.resolved:
        found = accounts.session_account(_store(request), current.sid)
        current.account, current.purpose = found if found else (None, None)
        current.resolved = True
    return (current.account, current.purpose) if current.account else None


def principal(request: Request) -> Principal | None:
    """The signed-in staff member, or None; a non-GET from another site's page never counts as signed in."""
    if request.method not in SAFE_METHODS and not _same_origin(request):
        return None
    found = account(request)
    if found is None:
        return None
    record, purpose = found
    return record.principal(request.headers.get("x-purpose") or purpose)


def _same_origin(request: Request) -> bool:
    """Browsers send Origin on every cross-site POST; a missing Origin is a non-browser client (no ambient cookie
    risk). Defence in depth beside SameSite=Lax and the CSRF token."""
    origin = request.headers.get("origin")
    if not origin:
        return True
    own = {_origin(_settings(request).base_url), _origin(str(request.base_url))}
    return _origin(origin) in own


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


# -- CSRF -------------------------------------------------------------------------------------------------------
def csrf_token(request: Request) -> str:
    current = visit(request)
    if not current.from_cookie:
        current.needs_cookie = True
    mac = hmac.new(secret_key(_settings(request)), f"csrf.{current.sid}".encode(), hashlib.sha256).digest()
    return _b64(mac)


def check_csrf(request: Request, form: Mapping[str, Any]) -> None:
    """Refuse (403) a form post that does not carry this session's CSRF token."""
    given = form.get(CSRF_FIELD)
    if not visit(request).from_cookie or not isinstance(given, str) or not hmac.compare_digest(
            given.encode(), csrf_token(request).encode()):
        raise Forbidden("the form has expired or did not come from this site; reload the page and try again")


def attach(request: Request, response: R) -> R:
    """Send the session cookie if this request started an anonymous session that a form now relies on."""
    current = visit(request)
    if current.needs_cookie:
        settings = _settings(request)
        value = sign(secret_key(settings), "session", {"sid": current.sid}, LIFETIME)
        response.headers.append("set-cookie", cookie_header(settings, cookie_name(settings), value, max_age=None))
        current.needs_cookie = False
    return response


# -- signing in and out -----------------------------------------------------------------------------------------
def sign_in(request: Request, response: Response, record: accounts.AccountRecord, *, method: str,
            purpose: str | None = None) -> None:
    """Start a new session for `record` (a new id, so a planted anonymous id is worthless) and set its cookie."""
    store, settings = _store(request), _settings(request)
    old = visit(request)
    if old.signed_in:
        accounts.end_session(store, old.sid)
    sid = accounts.open_session(store, record, method=method, purpose=purpose)
    request.state.wierde_visit = Visit(sid=sid, signed_in=True, from_cookie=True, resolved=True, account=record,
                                       purpose=purpose)
    value = sign(secret_key(settings), "session", {"sid": sid, "in": 1}, LIFETIME)
    response.headers.append("set-cookie", cookie_header(settings, cookie_name(settings), value, max_age=LIFETIME))


def sign_out(request: Request, response: Response) -> None:
    store, settings = _store(request), _settings(request)
    old = visit(request)
    if old.signed_in:
        accounts.end_session(store, old.sid)
    request.state.wierde_visit = Visit(sid=secrets.token_urlsafe(32), signed_in=False)
    response.headers.append("set-cookie", cookie_header(settings, cookie_name(settings), "", max_age=0))


# -- templates and the middleware that serves them --------------------------------------------------------------
def csrf_field() -> Markup:
    """For templates: the hidden input every POST form carries."""
    request = _current.get()
    if request is None:
        return Markup("")
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf_token(request))


def signed_in_name() -> str | None:
    """For templates: the display name of the signed-in member of staff, or None."""
    request = _current.get()
    found = account(request) if request is not None else None
    return found[0].display_name if found else None


class SessionMiddleware:
    """Makes the current request reachable from templates, and sends the cookie a new anonymous session needs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        token = _current.set(request)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._with_cookie(request, list(message.get("headers", [])))
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            _current.reset(token)

    @staticmethod
    def _with_cookie(request: Request, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        current = getattr(request.state, "wierde_visit", None)
        if not isinstance(current, Visit) or not current.needs_cookie:
            return headers
        name = cookie_name(_settings(request)).encode()
        if any(k == b"set-cookie" and v.startswith(name + b"=") for k, v in headers):
            return headers  # the route set the session cookie itself (sign-in, sign-out)
        response = Response()
        attach(request, response)
        return headers + [(k, v) for k, v in response.raw_headers if k == b"set-cookie"]


def install(app: FastAPI) -> None:
    """Add the middleware and the template helpers (`csrf_field()`, `signed_in_name()`); safe to call twice."""
    if getattr(app.state, "wierde_sessions", False):
        return
    app.state.wierde_sessions = True
    app.add_middleware(SessionMiddleware)
    renderer = getattr(app.state, "renderer", None)
    if renderer is not None:
        renderer.env.globals.update(csrf_field=csrf_field, signed_in_name=signed_in_name)
