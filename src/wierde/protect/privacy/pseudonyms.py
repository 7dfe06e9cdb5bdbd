"""Keyed pseudonyms (HMAC-SHA256): the same person gets the same pseudonym in every dataset, and nobody without
the key, kept outside the data folder, can go back from a pseudonym to the value."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

import pyarrow as pa

from wierde.config import Settings
from wierde.errors import InvalidInput
from wierde.protect.privacy.recognizers import BSN, EMAIL, IBAN, PERSON_NAME, PHONE, PLATE

KEY_FILE = "pseudonym.key"
LENGTH = 32  # hex characters kept: 128 bits, so two people never share a pseudonym in practice


def key_path(settings: Settings) -> Path:
    """The configured key file, or `<home>/pseudonym.key`; refused inside the data folder (it would be shipped)."""
    path = Path(settings.pseudonym_key_file).expanduser() if settings.pseudonym_key_file else settings.home / KEY_FILE
    path = path if path.is_absolute() else settings.home / path
    resolved, data = path.resolve(), settings.data_dir.resolve()
    if resolved == data or data in resolved.parents:
        raise InvalidInput(f"the pseudonym key {resolved} must be kept outside the data folder {data}")
    return resolved


def load_key(settings: Settings) -> bytes:
    """The instance's key; made on first use, readable by its owner only (0600)."""
    path = key_path(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it just now: use theirs
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    text = path.read_text(encoding="ascii").strip()
    if len(text) < 32:
        raise InvalidInput(f"the pseudonym key in {path} is too short (at least 32 characters)")
    return text.encode("ascii")


def normalise(kind: str | None, value: str) -> str:
    """One spelling per value, so "NL91 ABNA…" and "nl91abna…" (or 06-… and +316…) get one pseudonym."""
    text = value.strip()
    if kind in (BSN,):
        return re.sub(r"\D", "", text).zfill(9)
    if kind in (IBAN, PLATE):
        return re.sub(r"[\s.-]", "", text).upper()
    if kind == EMAIL:
        return text.lower()
    if kind == PHONE:
        digits = re.sub(r"\D", "", text.replace("(0)", ""))
        return "31" + digits.removeprefix("0031").removeprefix("31").lstrip("0")
    if kind == PERSON_NAME:
        return " ".join(text.split()).casefold()
    return text


def pseudonym(key: bytes, kind: str | None, value: str) -> str:
    return hmac.new(key, normalise(kind, value).encode("utf-8"), hashlib.sha256).hexdigest()[:LENGTH]


def arrow_pseudonyms(key: bytes, kind: str | None) -> object:
    """A vectorised DuckDB function (Arrow in, Arrow out) that pseudonymises a text column; NULL stays NULL."""
    def apply(values: pa.Array) -> pa.Array:
        return pa.array([None if v is None else pseudonym(key, kind, v) for v in values.to_pylist()], pa.string())
    return apply
