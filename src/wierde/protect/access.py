"""The one access function: every way data leaves Wierde asks it what this principal may see.

A dataset is `open`, `restricted` or `non-public` (its `classification`); a non-open dataset names the scope a
principal needs and its reason, a Woo exception ground (`wierde.protect.woo`). Columns can carry a scope of their
own: without it the column is left out, the rest of the dataset stays readable. The rules (`dataset.access`):

    access:
      scope: verkeer.intern          # needed to read a restricted or non-public dataset
      reason: "5.1.2e"               # Woo ground, required for anything not open
      hide_existence: true           # non-public only: answer 404 rather than 403
      columns:
        kenteken: {scope: verkeer.kenteken, reason: "5.1.2e"}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from wierde.errors import Forbidden, InvalidInput, NotFound
from wierde.protect.woo import check_ground, ground_label
from wierde.store.records import DatasetRecord

Kind = Literal["anonymous", "employee", "steward", "admin", "token"]
STAFF: frozenset[str] = frozenset({"employee", "steward", "admin"})
STEWARDS: frozenset[str] = frozenset({"steward", "admin"})
CLASSIFICATIONS = ("open", "restricted", "non-public")  # from least to most strict


@dataclass(frozen=True)
class Principal:
    """Who is asking, and (for reads of non-public data) why."""

    kind: Kind = "anonymous"
    name: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    purpose: str | None = None
    address: str | None = None  # the client's address, for the audit log

    @property
    def is_staff(self) -> bool:
        return self.kind in STAFF

    @property
    def is_steward(self) -> bool:
        return self.kind in STEWARDS

    def has_scope(self, scope: str | None) -> bool:
        return scope is None or self.kind == "admin" or scope in self.scopes


ANONYMOUS = Principal()
OPERATOR = Principal(kind="admin", name="operator", purpose="local command line")


@dataclass(frozen=True)
class ColumnRule:
    scope: str
    reason: str


@dataclass(frozen=True)
class AccessRules:
    """What `dataset.access` says, checked."""

    scope: str | None = None
    reason: str | None = None
    hide_existence: bool = False
    columns: Mapping[str, ColumnRule] = field(default_factory=dict)

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.scope:
            out["scope"] = self.scope
        if self.reason:
            out["reason"] = self.reason
        if self.hide_existence:
            out["hide_existence"] = True
        if self.columns:
            out["columns"] = {name: {"scope": r.scope, "reason": r.reason} for name, r in self.columns.items()}
        return out


def rules_of(dataset: DatasetRecord) -> AccessRules:
    return parse_rules(dataset.access or {}, where=f"access of {dataset.id}")


def parse_rules(raw: Mapping[str, Any], *, where: str) -> AccessRules:
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{where}: expected a mapping with scope, reason, hide_existence, columns")
    unknown = set(raw) - {"scope", "reason", "hide_existence", "columns"}
    if unknown:
        raise InvalidInput(f"{where}: unknown fields {sorted(unknown)}")
    columns: dict[str, ColumnRule] = {}
    for name, rule in (raw.get("columns") or {}).items():
        if not isinstance(rule, Mapping) or not rule.get("scope") or not rule.get("reason"):
            raise InvalidInput(f"{where}: column {name!r} needs a scope and a reason (a Woo ground)")
        columns[str(name)] = ColumnRule(str(rule["scope"]), check_ground(str(rule["reason"]), where=f"{where}.{name}"))
    reason = raw.get("reason")
    return AccessRules(
        scope=str(raw["scope"]) if raw.get("scope") else None,
        reason=check_ground(str(reason), where=where) if reason else None,
        hide_existence=bool(raw.get("hide_existence", False)),
        columns=columns,
    )


def check_classification(classification: str, rules: AccessRules, *, where: str) -> None:
    """Every non-open item carries a reason, and a scope someone can be given."""
    if classification not in CLASSIFICATIONS:
        raise InvalidInput(f"{where}: classification {classification!r} is not one of {', '.join(CLASSIFICATIONS)}")
    if classification != "open" and not (rules.scope and rules.reason):
        raise InvalidInput(f"{where}: a {classification} dataset needs a scope and a reason (a Woo ground)")


def strictest(classifications: Iterable[str]) -> str:
    """The classification a combination of datasets inherits: the strictest of its inputs."""
    return max(classifications, key=CLASSIFICATIONS.index, default="open")


def can_see(principal: Principal, dataset: DatasetRecord) -> bool:
    """May this principal read this dataset (its metadata, rows, files, features)?

    Stewards manage every dataset and admins everything that is not purged; employees see drafts and, with the
    scope, restricted and non-public data; tokens and anonymous users see published data only, tokens with scopes.
    """
    if dataset.status == "purged":
        return False
    if principal.kind == "admin":
        return True
    if dataset.status == "withdrawn":
        return False
    if principal.kind == "steward":
        return True
    if not dataset.is_published and principal.kind != "employee":
        return False
    if dataset.classification == "open":
        return True
    if dataset.classification == "restricted" and principal.kind not in ("employee", "token"):
        return False
    scope = rules_of(dataset).scope
    # anything not open without a scope to grant (or with an unknown classification) is for stewards only
    return scope is not None and principal.has_scope(scope)


def public(dataset: DatasetRecord) -> bool:
    """Anyone may see all of it: the only data whose answers may be cached and shared between requesters."""
    return dataset.is_published and dataset.classification == "open" and not rules_of(dataset).columns


def visible(principal: Principal, datasets: Iterable[DatasetRecord]) -> list[DatasetRecord]:
    return [d for d in datasets if can_see(principal, d)]


def require(principal: Principal, dataset: DatasetRecord) -> DatasetRecord:
    """Refuse a draft as 'not found', so its existence does not leak; a published dataset the principal lacks the
    scope for is 'forbidden' with its reason, unless even its existence is sensitive."""
    if can_see(principal, dataset):
        return dataset
    rules = rules_of(dataset)
    published = dataset.is_published
    hidden = dataset.classification == "non-public" and rules.hide_existence
    if not published or hidden or rules.scope is None:
        raise NotFound(f"dataset {dataset.id!r} does not exist")
    reason = f" ({rules.reason}: {ground_label(rules.reason, 'en')})" if rules.reason else ""
    raise Forbidden(
        f"dataset {dataset.id!r} is {dataset.classification}{reason}; reading it needs the scope {rules.scope!r}",
        scope=rules.scope, reason=rules.reason,
    )


def hidden_columns(principal: Principal, dataset: DatasetRecord) -> frozenset[str]:
    """Columns this principal may not read: they are left out of every answer, as if they did not exist.
    Stewards see every column of the datasets they manage (they review it before publication)."""
    if principal.is_steward:
        return frozenset()
    return frozenset(name for name, rule in rules_of(dataset).columns.items() if not principal.has_scope(rule.scope))


def allowed_columns(principal: Principal, dataset: DatasetRecord, names: Sequence[str]) -> list[str]:
    hidden = hidden_columns(principal, dataset)
    return [n for n in names if n not in hidden]


def needs_audit(dataset: DatasetRecord) -> bool:
    """Reads of anything not public are logged with their purpose."""
    return not public(dataset)
