"""Prove that every Dutch text in the portal has an English translation (English is not an afterthought)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "src" / "wierde" / "web"
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]


def extracted() -> set[str]:
    found = extract_from_dir(str(WEB), method_map=METHODS, keywords={"_": None, "gettext": None})
    return {message if isinstance(message, str) else message[0] for _file, _line, message, _c, _ctx in found}


def test_every_message_has_an_english_translation() -> None:
    with (WEB / "locale" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="en")
    translated = {m.id for m in catalog if m.id and m.string}
    missing = sorted(extracted() - translated)
    assert not missing, "untranslated: " + " | ".join(missing)
