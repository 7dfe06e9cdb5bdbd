"""Pure ASGI middleware choosing the page language: Dutch unless the visitor chose English (?lang=en, cookie)."""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wierde.web import i18n

YEAR = 365 * 24 * 3600


class LanguageMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
        lang = asked if asked in i18n.LANGUAGES else cookie_language(scope) or i18n.DEFAULT
        token = i18n.current.set(lang)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and asked in i18n.LANGUAGES:
                cookie = f"lang={lang}; Max-Age={YEAR}; Path=/; SameSite=Lax; HttpOnly".encode()
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            i18n.current.reset(token)


def cookie_language(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            morsel = SimpleCookie(value.decode("latin-1")).get("lang")
            if morsel and morsel.value in i18n.LANGUAGES:
                return morsel.value
    return None
