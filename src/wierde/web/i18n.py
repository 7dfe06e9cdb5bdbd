"""Dutch first, English second: gettext catalogues (.po, compiled in memory by Babel) and locale formatting."""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES = ("nl", "en")
DEFAULT = "nl"
LOCALE_DIR = Path(__file__).parent / "locale"
current: ContextVar[str] = ContextVar("lang", default=DEFAULT)


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """Source strings are Dutch; other languages come from `locale/<lang>/LC_MESSAGES/messages.po`."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT or not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _(message: str) -> str:
    return translations(current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current.get()).ngettext(singular, plural, n)


def number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=current.get())


def day(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        try:
            parsed = date.fromisoformat(value[:10])
        except ValueError:
            return value
        return format_date(parsed, format="long", locale=current.get())
    if isinstance(value, datetime):
        return format_datetime(value, format="d MMMM y HH:mm", locale=current.get())
    return format_date(value, format="long", locale=current.get())


def pick(texts: object, lang: str | None = None) -> str:
    """The text in the wanted language from a {nl, en} mapping, falling back to Dutch."""
    lang = lang or current.get()
    if isinstance(texts, dict):
        return str(texts.get(lang) or texts.get(DEFAULT) or next(iter(texts.values()), ""))
    return "" if texts is None else str(texts)
