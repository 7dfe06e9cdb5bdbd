"""The Jinja environment of the portal: templates, translations and the small filters pages share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from wierde import __version__
from wierde.catalog import vocab
from wierde.config import Settings
from wierde.web import i18n

TEMPLATES = Path(__file__).parent / "templates"


def theme_label(code: str) -> str:
    term = vocab.THEMES.get(code)
    return term.label(i18n.current.get()) if term else code


def licence_label(spdx: str) -> str:
    lic = vocab.LICENCES.get(spdx)
    return lic.label(i18n.current.get()) if lic else spdx


def cell(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "geometry":
        text = value.get("type", "geometry") if isinstance(value, dict) else str(value)
        return f"{text}"
    if kind == "number" and isinstance(value, float):
        return i18n.number(value, 2 if abs(value) < 1000 else 0)
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return i18n.number(value)
    return str(value)


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), extensions=["jinja2.ext.i18n"]
    )
    env.install_gettext_callables(i18n._, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        pick=i18n.pick, number=i18n.number, day=i18n.day, theme_label=theme_label, licence_label=licence_label,
        cell=cell,
    )
    return env


class Renderer:
    """Renders a page with what every page needs: language, switch link, site names."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.env = environment()

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        lang = i18n.current.get()
        other = "en" if lang == "nl" else "nl"
        switch = request.url.include_query_params(lang=other)
        switch_url = f"{switch.path}?{switch.query}"
        html = self.env.get_template(template).render(
            lang=lang, other_lang=other, other_lang_label="English" if other == "en" else "Nederlands",
            switch_url=switch_url, site_title=self.settings.site_title,
            publisher_name=self.settings.publisher_name, wierde_version=__version__, base_url=self.settings.base_url,
            basemap_url=self.settings.basemap_url, **context,
        )
        return HTMLResponse(html, status_code=status, headers={"Content-Language": lang})

    def error(self, request: Request, status: int, title: str, detail: str) -> HTMLResponse:
        titles = {404: i18n._("Niet gevonden"), 400: i18n._("Ongeldige invoer"), 403: i18n._("Geen toegang")}
        return self.page(request, "error.html", status=status, title=titles.get(status, title), detail=detail)
