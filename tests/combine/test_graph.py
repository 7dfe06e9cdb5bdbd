"""Prove that views are ordered by what they read, and that cycles and missing inputs are named clearly."""

from __future__ import annotations

import pytest

from wierde.combine.graph import check_inputs, dependency_order, downstream
from wierde.combine.spec import ViewError, ViewSpec, parse_view


def spec(view_id: str, sql: str, **fields: object) -> ViewSpec:
    return parse_view({"id": view_id, "title": view_id, "sql": sql, **fields}, "views.yaml")


def test_views_come_after_the_views_they_read() -> None:
    views = [
        spec("score", "SELECT * FROM per_brug JOIN per_seizoen USING (brug_id)"),
        spec("per_seizoen", "SELECT * FROM per_uur"),
        spec("per_brug", "SELECT * FROM per_uur"),
        spec("per_uur", "SELECT * FROM brugopeningen"),
    ]
    order = [v.id for v in dependency_order(views)]
    assert order.index("per_uur") < order.index("per_brug") < order.index("score")
    assert order.index("per_seizoen") < order.index("score")


def test_a_cycle_names_every_view_in_it() -> None:
    views = [spec("a", "SELECT * FROM b"), spec("b", "SELECT * FROM c"), spec("c", "SELECT * FROM a"),
             spec("los", "SELECT * FROM brugopeningen")]
    with pytest.raises(ViewError) as caught:
        dependency_order(views)
    assert "cycle" in caught.value.detail
    for name in ("a", "b", "c"):
        assert name in caught.value.detail.split(":", 1)[1]
    assert "los" not in caught.value.detail
    assert caught.value.extra["views"] == ["a", "b", "c"]


def test_a_missing_input_names_the_view_and_the_dataset() -> None:
    views = [spec("per_uur", "SELECT * FROM brugopeningen JOIN verkeer USING (brug_id)")]
    with pytest.raises(ViewError, match=r"view 'per_uur' reads 'verkeer', which is not a dataset or view"):
        check_inputs(views, ["brugopeningen"])
    check_inputs(views, ["brugopeningen", "verkeer"])


def test_downstream_follows_views_of_views_but_not_pins() -> None:
    views = [
        spec("per_uur", "SELECT * FROM brugopeningen"),
        spec("per_brug", "SELECT * FROM per_uur"),
        spec("vast", "SELECT * FROM brugopeningen", pins={"brugopeningen": 1}),
        spec("na_vast", "SELECT * FROM vast"),
        spec("verkeer", "SELECT * FROM verkeerstellingen"),
    ]
    assert [v.id for v in downstream(views, "brugopeningen")] == ["per_uur", "per_brug"]
    assert [v.id for v in downstream(views, "vast")] == ["na_vast"]
    assert downstream(views, "gemeenten") == []
