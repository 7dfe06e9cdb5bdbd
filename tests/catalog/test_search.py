"""Prove that catalogue search stems Dutch words, filters by facets and counts only what may be seen."""

from __future__ import annotations

from wierde.catalog.search import SearchDoc, SearchIndex


def doc(id_: str, text: str, **facets: tuple[str, ...]) -> SearchDoc:
    return SearchDoc(id=id_, text=text, title=text.split(".")[0], modified="2025-01-01", facets=dict(facets))


DOCS = [
    doc("bevolking", "Bevolking per gemeente. Inwoners van alle gemeenten.", theme=("SOCI",), licence=("CC-BY-4.0",)),
    doc("begroting", "Gemeentelijke begroting. Financiën.", theme=("GOVE",), licence=("CC0-1.0",)),
    doc("verkeer", "Verkeerstellingen. Voertuigen per uur op provinciale wegen.", theme=("TRAN",),
        licence=("CC0-1.0",)),
    doc("geheim", "Gemeente geheime lijst.", theme=("GOVE",), licence=("CC0-1.0",)),
]


def test_dutch_stemming_finds_inflected_words() -> None:
    index = SearchIndex(DOCS)
    result = index.search("gemeenten")
    assert {"bevolking", "begroting"} <= set(result.ids)
    assert "verkeer" not in result.ids


def test_facets_filter_and_count() -> None:
    index = SearchIndex(DOCS)
    result = index.search("", filters={"licence": ["CC0-1.0"]})
    assert set(result.ids) == {"begroting", "verkeer", "geheim"}
    assert dict(result.facets["theme"]) == {"GOVE": 2, "TRAN": 1}


def test_what_may_not_be_seen_is_neither_found_nor_counted() -> None:
    index = SearchIndex(DOCS)
    result = index.search("gemeente", allowed={"bevolking", "begroting", "verkeer"})
    assert "geheim" not in result.ids
    assert dict(result.facets["theme"]).get("GOVE") == 1
