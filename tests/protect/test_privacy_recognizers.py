"""Prove that each Dutch recognizer finds its kind in every common notation and leaves look-alikes alone."""

from __future__ import annotations

import re

import pytest

from wierde.protect.privacy.recognizers import (
    ADDRESS,
    BIRTH_DATE,
    BSN,
    EMAIL,
    IBAN,
    PERSON_NAME,
    PHONE,
    PLATE,
    find_all,
    recognizer,
    recognizers,
)


def found(text: str, kind: str, column: str = "") -> list[str]:
    check = recognizer(kind)
    assert check is not None
    return [text[h.start:h.end] for h in check.find(text, column)]


# -- BSN --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["111222333", "1112.22.333", "111 222 333", "123456782", "12345672"])
def test_bsn_in_a_bsn_column_in_every_notation(value: str) -> None:
    hits = recognizer(BSN).find(value, "bsn")  # type: ignore[union-attr]
    assert len(hits) == 1 and hits[0].context, value


def test_bsn_in_text_needs_a_context_word_nearby() -> None:
    text = "Aanvrager met BSN 111222333 vroeg om inzage; ordernummer 123456782 volgt later."
    hits = recognizer(BSN).find(text)  # type: ignore[union-attr]
    by_value = {text[h.start:h.end]: h.context for h in hits}
    assert by_value == {"111222333": True, "123456782": False}  # both pass the 11-proef, only one is called BSN


@pytest.mark.parametrize("value", ["123456789", "111222334", "000000000", "1234567890", "12345672"])
def test_bsn_look_alikes_are_not_bsns(value: str) -> None:
    # an order number failing the 11-proef, a 10-digit number, and an 8-digit number outside a BSN column
    assert found(value, BSN, "ordernummer") == []


# -- IBAN -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "NL91ABNA0417164300", "NL91 ABNA 0417 1643 00", "DE89370400440532013000", "GB82 WEST 1234 5698 7654 32",
    "BE71 0961 2345 6769",
])
def test_iban_dutch_and_foreign_compact_and_grouped(value: str) -> None:
    assert found(f"Graag overmaken op {value} voor vrijdag", IBAN) == [value]


@pytest.mark.parametrize("value", ["NL91ABNA0417164301", "NL12 3456", "ISBN 9789012345678", "NL0014 GM"])
def test_iban_with_a_wrong_checksum_or_shape_is_not_one(value: str) -> None:
    assert found(value, IBAN) == []


# -- e-mail -----------------------------------------------------------------------------------------------------

def test_email_addresses_and_role_addresses() -> None:
    hits = recognizer(EMAIL).find("Mail j.de.vries@example.nl of info@provinciegroningen.nl")  # type: ignore[union-attr]
    assert [h.confidence for h in hits] == [0.95, 0.5]  # a role address is reported less surely


@pytest.mark.parametrize("value", ["@provinciegroningen", "www.example.nl", "jan at example dot nl", "a@b"])
def test_email_look_alikes(value: str) -> None:
    assert found(value, EMAIL) == []


# -- phone ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "06-12345678", "06 1234 5678", "06 12 34 56 78", "0612345678", "+31 6 12345678", "+31612345678",
    "+31 (0)6 12345678", "0031 6 12345678", "0031612345678", "050-1234567", "050 123 4567", "(050) 123 45 67",
    "020-1234567", "0592-123456",
])
def test_dutch_phone_numbers_in_all_common_notations(value: str) -> None:
    assert found(f"Bel {value} na 17 uur", PHONE) == [value]


@pytest.mark.parametrize("value", [
    "0800-1234", "0900-1234567", "05-12-2023", "06-12-2023", "9712 AB", "GM0014", "2023", "0,50", "06:30",
    "097-12345678",
])
def test_phone_look_alikes(value: str) -> None:
    # service numbers, dates, a postcode, a municipality code, a year, an amount, a time, an M2M number
    assert found(f"Op {value} gemeld", PHONE) == []


# -- postcode with house number ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "9712 AB 12", "9712AB 12a", "9712 AB, 12-1", "9712AB 12 A", "Hoofdstraat 12, 9712 HW",
])
def test_postcode_with_house_number(value: str) -> None:
    assert found(f"Adres: {value} Groningen", ADDRESS) == [value]


@pytest.mark.parametrize("text", [
    "Postbus 610, 9700 AP Groningen", "9712 AB Groningen", "9712 SA 3", "In 2019 en 12 gevallen", "1234 AB",
])
def test_postcode_look_alikes(text: str) -> None:
    # a PO box, a postcode without a number, a postcode letter pair never issued (SA), a year, no number
    assert found(text, ADDRESS) == []


def test_postcode_column_values_may_be_lower_case() -> None:
    assert found("9712ab 12", ADDRESS, "adres") == ["9712ab 12"]
    assert found("In 2019 en 12 keer", ADDRESS, "opmerking") == []


# -- kenteken ---------------------------------------------------------------------------------------------------

SIDECODES = ["AB-12-34", "12-34-AB", "12-AB-34", "BD-12-FG", "BD-FG-12", "12-BD-FG", "12-BDF-3", "1-BDF-23",
             "BD-123-F", "B-123-DF", "BDF-12-G", "B-12-DFG", "1-BD-234", "123-BD-4"]


@pytest.mark.parametrize("plate", SIDECODES)
def test_every_rdw_sidecode(plate: str) -> None:
    assert found(f"Auto {plate} stond fout", PLATE) == [plate]


@pytest.mark.parametrize("text", ["artikel AB-123-C", "12-34-56", "ISO-9001", "NEN-EN-1090", "GM-0014"])
def test_kenteken_look_alikes(text: str) -> None:
    # vowels never appear in modern sidecodes, so an article code is no plate
    assert found(text, PLATE) == []


def test_compact_plates_only_in_a_kenteken_column() -> None:
    assert found("12bdf3", PLATE, "kenteken") == ["12bdf3"]
    assert found("12-bdf-3", PLATE, "kenteken") == ["12-bdf-3"]
    assert found("12BDF3", PLATE, "artikelcode") == []


# -- birth dates ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["12-03-1985", "1985-03-12", "12/03/1985", "1985-03-12 00:00:00", "3 mei 1950"])
def test_dates_in_a_birth_date_column(value: str) -> None:
    assert found(value, BIRTH_DATE, "geboortedatum") == [value]


@pytest.mark.parametrize("text", ["geboren op 3 mei 1950", "Geboortedatum: 12-03-1985", "geb. 03-04-1950"])
def test_dates_after_geboren_in_text(text: str) -> None:
    assert len(found(text, BIRTH_DATE)) == 1


@pytest.mark.parametrize(("text", "column"), [
    ("12-03-2020", "datum_melding"), ("vergadering op 12-03-2020", ""), ("1985", "geboortejaar"),
    ("geboren in Groningen, verhuisd op 12-03-2020", ""), ("31-02-1985", "geboortedatum"),
    ("12-03-2090", "geboortedatum"),
])
def test_other_dates_are_not_birth_dates(text: str, column: str) -> None:
    # an event date, a year (already generalised), a move, an impossible date, a date in the future
    assert found(text, BIRTH_DATE, column) == []


# -- person names -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "Jan de Vries", "Piet van der Berg", "Sanne van den Bosch", "Anna ter Horst", "J. de Vries", "J.P. Bakker",
    "dhr. Jansen", "mevrouw De Boer", "Anna Maas-Vierdag", "Sietse Dijkstra", "Jan Willem Bakker",
    "Levi Aarts-van Oudewater", "Harm Oosterhuis", "Geert van der Wal",
])
def test_person_names_with_prefixes_initials_and_titles(name: str) -> None:
    assert found(f"Melding van {name} over overlast", PERSON_NAME) == [name]


def test_names_in_name_columns() -> None:
    assert found("Vries, Jan de", PERSON_NAME, "naam") == ["Vries, Jan de"]
    assert found("Sanne", PERSON_NAME, "voornaam") == ["Sanne"]
    assert found("van der Meer", PERSON_NAME, "achternaam") == ["van der Meer"]


@pytest.mark.parametrize("text", [
    "Jan van Galenstraat 12", "Willem de Zwijgerlaan", "Station Groningen Noord", "Groningen Europapark",
    "Van Hall Instituut", "Gemeente Groningen", "Herestraat", "De Bakker van de Markt",
])
def test_streets_stations_and_places_are_not_people(text: str) -> None:
    assert found(text, PERSON_NAME) == []


def test_a_family_name_alone_is_no_person_outside_a_name_column() -> None:
    assert found("Bakker", PERSON_NAME, "beroep") == []


# -- together ---------------------------------------------------------------------------------------------------

def test_every_recognizer_has_a_prefilter_duckdb_accepts_and_masks_hide_the_value() -> None:
    import duckdb

    con = duckdb.connect()
    text = ("Jan de Vries (BSN 111222333, NL91ABNA0417164300, jan@example.nl, 06-12345678, 9712 AB 12, "
            "kenteken 12-BDF-3, geboren op 3 mei 1950)")
    hits = find_all(text)
    assert {h.kind for h in hits} == {r.kind for r in recognizers()}
    for check in recognizers():
        assert con.execute("SELECT regexp_matches(?, ?)", [text, check.prefilter("")]).fetchone() == (True,)
    for hit in hits:
        value = text[hit.start:hit.end]
        masked = recognizer(hit.kind).mask(value)  # type: ignore[union-attr]
        assert masked != value and "•" in masked
        assert not re.search(r"\d{5}", masked), masked  # never a run of digits long enough to identify
