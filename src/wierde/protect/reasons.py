"""Why the gate refuses, as codes with parameters beside each English line, so the portal can say every reason in
the steward's language and point to where it is settled, while the CLI, the API and the audit log keep the line."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal, get_args

# The codes `gate.check` attaches; the comment names the parameters each carries. A line without a code (a problem
# with a `--licence` or `--theme` option) is shown as it is.
Code = Literal[
    "no_data",  # (none)
    "purged",  # version
    "metadata_invalid",  # problem: the metadata model's own (English) line
    "no_licence",  # (none)
    "metadata_missing",  # field: a completeness field name (themes, contact_point, ...)
    "access_rights_mismatch",  # given, classification, expected
    "scan_failed",  # detail
    "scan_crashed",  # error
    "personal_data",  # column, kind, in_text, share (0..1)
    "disclosure_unreadable",  # detail
    "disclosure_not_applied",  # profile, version, changed (applied before, with other settings)
]
CODES: frozenset[str] = frozenset(get_args(Code))


class Reason(str):
    """One line of `gate.check`. It *is* the English line, so whoever prints, compares, joins or serialises the
    reasons (CLI, API, audit log) gets exactly what it got before codes existed; `code` and `params` are there for
    whoever says it in another way."""

    code: Code
    params: Mapping[str, Any]

    def __new__(cls, code: Code, text: str, **params: Any) -> Reason:
        if code not in CODES:  # a typo would otherwise fall back to the English line without anyone noticing
            raise ValueError(f"unknown reason code {code!r}")
        line = super().__new__(cls, text)
        line.code, line.params = code, MappingProxyType(params)
        return line

    def __reduce__(self) -> tuple[Any, ...]:
        # str's own pickling would call __new__ with the text only, and a read-only mapping does not pickle.
        return (_rebuild, (self.code, str(self), dict(self.params)))


def _rebuild(code: Code, text: str, params: dict[str, Any]) -> Reason:
    return Reason(code, text, **params)
