"""Prove that an indicator declared wrongly is refused with a message naming the file, the indicator and the field,
and that a good declaration survives a round trip through the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.monitor.conftest import POPULATION, RENEWABLE, declare
from wierde.monitor.compute import compute
from wierde.monitor.spec import (
    FIELDS,
    IndicatorError,
    indicators_path,
    load_indicators,
    parse_indicator,
    save_indicators,
)
from wierde.store.repository import Store


def refused(store: Store, **changes: Any) -> str:
    declare(store, {**RENEWABLE, **changes})
    with pytest.raises(IndicatorError) as caught:
        load_indicators(indicators_path(store.settings))
    return caught.value.detail


def test_errors_name_the_file_the_indicator_and_the_field(store: Store) -> None:
    path = str(indicators_path(store.settings))
    assert refused(store, colour="red") == (f"{path}: indicator 'hernieuwbaar': unknown field 'colour'; known: "
                                            + ", ".join(FIELDS))
    assert refused(store, name="").startswith(f"{path}: indicator 'hernieuwbaar': field 'name' is required")
    assert "field 'direction': 'up' is not one of higher_is_better, lower_is_better" in refused(store, direction="up")
    assert "field 'theme': 'ENERGY' is not a data theme" in refused(store, theme="ENERGY")
    assert "field 'period': 'decade' is not one of year, half-year, quarter, month, week, day" in refused(
        store, period="decade")


@pytest.mark.parametrize(("measure", "message"), [
    ("hernieuwbaar_tj", "field 'measure': expected an aggregate such as sum(inwoners) or count(*)"),
    ({"numerator": "sum(x) FROM t"}, "field 'measure.numerator': 'sum(x) FROM t' is not one SQL expression"),
    ({"numerator": "sum((SELECT 1))"}, "field 'measure.numerator': write an expression over the source's own "
                                       "columns, without queries, tables or window functions"),
    ({"numerator": "sum(x) OVER ()"}, "without queries, tables or window functions"),
    ({"numerator": {"source": "indicator-x", "value": "sum(x)"}}, "field 'measure.numerator.source': "
                                                                  "'indicator-x' is an indicator's own dataset"),
    ({"numerator": "sum(x)", "scale": "100"}, "field 'measure.scale': expected a number"),
])
def test_a_measure_must_be_one_aggregate_over_a_dataset(store: Store, measure: object, message: str) -> None:
    assert message in refused(store, measure=measure)


def test_filters_and_targets_are_checked(store: Store) -> None:
    assert "field 'where': expected a condition such as magnitude >= 1.5" in refused(store, where="count(*) > 1")
    assert "field 'where'" in refused(store, where="gm_code IN (SELECT gm_code FROM geheim)")
    assert "field 'targets[0].source' is required: the policy the target comes from" in refused(
        store, targets=[{"values": {2030: 40}}])
    assert "field 'targets[0].values': 'soon' is not a year" in refused(
        store, targets=[{"values": {"soon": 40}, "source": "Beleid"}])
    assert "field 'targets[0]': give either values (per year) or a dataset and column" in refused(
        store, targets=[{"source": "Beleid"}])
    assert "field 'targets[0].source.url': 'ftp://x' is not an http(s) URL" in refused(
        store, targets=[{"values": {2030: 1}, "source": {"nl": "Beleid", "url": "ftp://x"}}])
    assert "field 'default_region': 'GM14' is not a CBS region code" in refused(store, default_region="GM14")


def test_ids_must_be_unique_and_safe(store: Store) -> None:
    declare(store, RENEWABLE, RENEWABLE)
    with pytest.raises(IndicatorError, match="indicator 'hernieuwbaar' is declared twice"):
        load_indicators(indicators_path(store.settings))
    with pytest.raises(IndicatorError, match="field 'id': 'Hernieuwbaar!' is not an indicator id"):
        parse_indicator({**RENEWABLE, "id": "Hernieuwbaar!"}, "request body")
    with pytest.raises(IndicatorError, match="field 'id': 'embed' is reserved"):
        parse_indicator({**RENEWABLE, "id": "embed"}, "request body")


def test_broken_yaml_names_the_line(store: Store) -> None:
    path = indicators_path(store.settings)
    path.write_text("- id: x\n  name: [unclosed\n", encoding="utf-8")
    with pytest.raises(IndicatorError, match=rf"{path}:\d+: not valid YAML"):
        load_indicators(path)


def test_a_column_the_source_lacks_is_named_when_computing(figures: Store) -> None:
    spec = parse_indicator({**RENEWABLE, "measure": "sum(stroom_tj)"}, "indicators.yaml")
    with pytest.raises(IndicatorError) as caught:
        compute(figures, spec)
    assert caught.value.detail.startswith("indicator 'hernieuwbaar': field 'measure.numerator': column 'stroom_tj' "
                                          "is not in dataset 'cijfers'; its columns are gemeente_code, jaar")


def test_a_declaration_survives_the_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "indicators.yaml"
    specs = [parse_indicator(RENEWABLE, "x"), parse_indicator(POPULATION, "x")]
    save_indicators(path, specs)
    again = load_indicators(path)
    assert [s.id for s in again] == ["hernieuwbaar", "bevolking-oost"]
    assert again[0].denominator is not None and again[0].denominator.value == "SUM(verbruik_tj)"
    assert again[1].groups[0].members == ("GM1895", "GM0765") and again[1].default_region == "oost"
    assert again[0].targets[0].values == {2024: 30.0, 2030: 50.0}
    assert again[0].inputs == ("cijfers",)
