"""What a privacy scan found and how each finding was resolved, as frozen values that survive a JSON round trip."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

ACTIONS = ("drop", "pseudonymise", "generalise", "aggregate", "accept")


@dataclass(frozen=True)
class Finding:
    """One kind of personal data in one column: how much of it, masked examples, and what was done about it."""

    column: str
    kind: str  # a recognizer kind: bsn, iban, email, phone, postcode_huisnummer, kenteken, birth_date, ...
    count: int  # sampled values with a hit
    share: float  # count / non-empty sampled values
    examples: tuple[str, ...]  # at most 3, masked: never a full value
    confidence: float  # 0..1
    in_text: bool = False  # found inside longer free text rather than as the column's value
    with_columns: tuple[str, ...] = ()  # columns that make it personal together (y beside x, huisnummer)
    resolved_by: str | None = None  # one of ACTIONS once handled
    reason: str | None = None  # why, for an acceptance; optional for the other actions
    decided_on: int | None = None  # the version the decision was taken on (a new version derives from it)
    resolved_at: str | None = None  # ISO timestamp (UTC)

    @property
    def key(self) -> tuple[str, str, bool]:
        """Identity across scans of versions: the same kind in the same column, in text or as values."""
        return (self.column, self.kind, self.in_text)

    @property
    def is_open(self) -> bool:
        return self.resolved_by is None

    def resolved(self, action: str, version: int, at: str, reason: str | None = None) -> Finding:
        return replace(self, resolved_by=action, decided_on=version, resolved_at=at, reason=reason)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["examples"], data["with_columns"] = list(self.examples), list(self.with_columns)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["examples"] = tuple(known.get("examples", ()))
        known["with_columns"] = tuple(known.get("with_columns", ()))
        return cls(**known)


@dataclass(frozen=True)
class PrivacyReport:
    """The findings of one dataset version, with what the scan looked at and how long it took."""

    findings: tuple[Finding, ...]
    rows: int  # rows in the file
    scanned_rows: int  # rows in the sample (all rows of a small file)
    seconds: float
    scanned_at: str
    dataset_id: str | None = None
    version: int | None = None
    columns: tuple[str, ...] = field(default=())

    @property
    def open_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.is_open]

    @property
    def clean(self) -> bool:
        return not self.open_findings

    def for_column(self, column: str) -> list[Finding]:
        return [f for f in self.findings if f.column == column or column in f.with_columns]

    def with_findings(self, findings: list[Finding] | tuple[Finding, ...], **changes: Any) -> PrivacyReport:
        return replace(self, findings=tuple(findings), **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset_id": self.dataset_id, "version": self.version, "rows": self.rows,
            "scanned_rows": self.scanned_rows, "seconds": round(self.seconds, 3), "scanned_at": self.scanned_at,
            "columns": list(self.columns), "open": len(self.open_findings),
            "findings": [f.to_dict() for f in self.findings],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PrivacyReport:
        return cls(
            findings=tuple(Finding.from_dict(f) for f in data.get("findings", [])),
            rows=int(data.get("rows", 0)), scanned_rows=int(data.get("scanned_rows", 0)),
            seconds=float(data.get("seconds", 0.0)), scanned_at=str(data.get("scanned_at", "")),
            dataset_id=data.get("dataset_id"), version=data.get("version"),
            columns=tuple(data.get("columns", ())),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> PrivacyReport:
        return cls.from_dict(json.loads(text))
