"""What a view inherits from its inputs: the strictest classification, the rule to read it, and scoped columns.

Derived again at every refresh, so a view is never more open than the data it was computed from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wierde.protect.access import CLASSIFICATIONS, AccessRules, ColumnRule, rules_of, strictest
from wierde.store.records import DatasetRecord


def inherited_access(inputs: Sequence[DatasetRecord], columns: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """The view's classification and access rules, given its input datasets and its own column names."""
    # A classification we do not know is treated as the strictest one.
    levels = [d.classification if d.classification in CLASSIFICATIONS else CLASSIFICATIONS[-1] for d in inputs]
    classification = strictest(levels)
    rules = AccessRules(columns=_scoped_columns(inputs, columns))
    if classification != "open":
        strict = [rules_of(d) for d, level in zip(inputs, levels, strict=True) if level == classification]
        scopes = {r.scope for r in strict}
        # Reading it would need every input's scope; one rule holds one scope, so with several only stewards may.
        scope = scopes.pop() if len(scopes) == 1 else None
        reason = next((r.reason for r in strict if r.reason), None)
        rules = AccessRules(scope=scope, reason=reason, hide_existence=any(r.hide_existence for r in strict),
                            columns=rules.columns)
    return classification, rules.to_mapping()


def _scoped_columns(inputs: Sequence[DatasetRecord], columns: Sequence[str]) -> dict[str, ColumnRule]:
    """An input's scoped column keeps its scope in the view when the view passes it on under its name."""
    names = {c.casefold(): c for c in columns}
    carried: dict[str, ColumnRule] = {}
    for dataset in inputs:
        for name, rule in rules_of(dataset).columns.items():
            if name.casefold() in names:
                carried.setdefault(names[name.casefold()], rule)
    return carried
