"""Realistic, reproducible records about residents (a municipality's complaints register) for the privacy tests."""

from __future__ import annotations

import csv
import random
import shutil
from pathlib import Path

from faker import Faker
from stdnum import iban
from stdnum.nl import bsn

from wierde.collect.ingest import ingest
from wierde.config import Settings
from wierde.store.repository import Store

CONSONANTS = "BDFGHJKLNPRSTVXZ"
PHONE_FORMS = (
    "06-{m}", "06 {m4} {m4b}", "+31 6 {m}", "0031 6 {m}", "050-{l}", "(050) {l3} {l2} {l2b}", "+31 (0)6 {m}",
)
REMARKS = (
    "Lantaarnpaal bij de brug is kapot",
    "Veel zwerfafval rond station Groningen Europapark",
    "Overlast van hangjongeren in de Jan van Galenstraat",
    "Graag terugbellen",
    "Melding doorgezet naar gemeente (GM0014) in 2023",
)


def valid_bsn(rng: random.Random) -> str:
    while True:
        head = f"{rng.randrange(10_000_000, 99_999_999):08d}"
        check = sum(int(d) * (9 - i) for i, d in enumerate(head)) % 11
        if check < 10 and bsn.is_valid(head + str(check)):
            return head + str(check)


def failing_number(rng: random.Random) -> str:
    """A 9-digit order number that fails the 11-proef."""
    while True:
        number = str(rng.randrange(100_000_000, 999_999_999))
        if not bsn.is_valid(number):
            return number


def nl_iban(rng: random.Random, spaced: bool) -> str:
    bank = rng.choice(("ABNA", "RABO", "INGB", "SNSB", "TRIO"))
    account = f"{rng.randrange(10**9, 10**10):010d}"
    number = f"NL{iban.calc_check_digits('NL00' + bank + account)}{bank}{account}"
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4)) if spaced else number


def phone(rng: random.Random) -> str:
    m = f"{rng.randrange(10**7, 10**8)}"
    l_ = f"{rng.randrange(10**6, 10**7)}"
    return rng.choice(PHONE_FORMS).format(m=m, m4=m[:4], m4b=m[4:], l=l_, l3=l_[:3], l2=l_[3:5], l2b=l_[5:])


def plate(rng: random.Random) -> str:
    code = rng.choice(("LL-DDD-L", "DD-LLL-D", "D-LLL-DD", "L-DDD-LL", "LLL-DD-L", "DD-LL-LL", "XX"))
    if code == "XX":
        code = "LL-DD-LL"
    return "".join(rng.choice(CONSONANTS) if c == "L" else str(rng.randrange(10)) if c == "D" else c for c in code)


def postcode(rng: random.Random) -> str:
    return f"97{rng.randrange(10, 99)} {rng.choice(CONSONANTS)}{rng.choice(CONSONANTS)}"


def remark(rng: random.Random, fake: Faker, i: int) -> str:
    """Mostly harmless text; every tenth remark leaks something personal, as real free-text fields do."""
    leaks = (
        lambda: f"Bel mij terug op {phone(rng)} na 17 uur",
        lambda: f"Mijn BSN is {valid_bsn(rng)}, graag vertrouwelijk",
        lambda: f"Buurman {fake.first_name()} {rng.choice(('de Vries', 'Bakker', 'van Dijk', 'Jansen'))} "
                "parkeert steeds op de stoep",
        lambda: f"Auto met kenteken {plate(rng)} staat al weken stil",
        lambda: f"Mail de afhandeling naar {fake.user_name()}@example.nl",
        lambda: f"Melder is geboren op {rng.randrange(1, 28)}-{rng.randrange(1, 12)}-{rng.randrange(1940, 2000)}",
        lambda: f"Woont op {postcode(rng).replace(' ', '')} {rng.randrange(1, 200)}",
        lambda: f"Terugstorten op {nl_iban(rng, True)}",
    )
    if i % 10 == 0:
        return leaks[(i // 10) % len(leaks)]()
    return REMARKS[i % len(REMARKS)]


def rows(n: int = 200, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    fake = Faker("nl_NL")
    fake.seed_instance(seed)
    out = []
    for i in range(n):
        out.append({
            "melding_id": str(i + 1),
            "ordernummer": failing_number(rng),
            "gemeentecode": rng.choice(("GM0014", "GM0037", "GM0047", "GM1966")),
            "jaar": str(rng.choice((2022, 2023, 2024))),
            "datum_melding": f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            "naam_melder": f"{fake.first_name()} {rng.choice(('', 'de ', 'van der ', 'van den ', 'ter '))}"
                           f"{rng.choice(('Vries', 'Bakker', 'Berg', 'Meer', 'Dijkstra', 'Jong', 'Horst'))}",
            "bsn": valid_bsn(rng),
            "rekeningnummer": nl_iban(rng, spaced=i % 2 == 0),
            "email": fake.user_name() + "@" + rng.choice(("example.nl", "voorbeeld.org")),
            "telefoon": phone(rng),
            "postcode": postcode(rng),
            "huisnummer": str(rng.randrange(1, 250)),
            "kenteken": plate(rng),
            "geboortedatum": f"{rng.randrange(1, 29):02d}-{rng.randrange(1, 13):02d}-{rng.randrange(1940, 2006)}",
            "straat": rng.choice(("Jan van Galenstraat", "Willem de Zwijgerlaan", "Herestraat", "Van Speykstraat")),
            "station": rng.choice(("Groningen Europapark", "Groningen Noord", "Haren", "Zuidbroek")),
            "opmerking": remark(rng, fake, i),
            "x": f"{rng.uniform(230_000, 240_000):.2f}",
            "y": f"{rng.uniform(578_000, 586_000):.2f}",
        })
    return out


def write_csv(path: Path, records: list[dict[str, str]] | None = None) -> Path:
    records = records if records is not None else rows()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(records)
    return path


def make_instance(folder: Path, dataset_id: str = "meldingen") -> Path:
    """An instance holding the complaints register as version 1 of `dataset_id`; returns its home."""
    store = Store.open(Settings(home=folder / "instance"))
    try:
        ingest(store, write_csv(folder / f"{dataset_id}.csv"), dataset_id)
    finally:
        store.close()
    return folder / "instance"


def copy_instance(template: Path, target: Path, **settings: str) -> Store:
    """A private copy of a prepared instance (copying is much faster than ingesting again)."""
    shutil.copytree(template, target)
    return Store.open(Settings(home=target, **settings))


def write_homes_geojson(path: Path, n: int = 60) -> Path:
    """Points at address precision (lon/lat), one per resident: where people live."""
    import json

    features = [{"type": "Feature", "properties": {"bewoner_leeftijd": 30 + i % 50},
                 "geometry": {"type": "Point", "coordinates": [6.55 + i * 0.000731, 53.20 + (i * 37 % 100) * 0.0001]}}
                for i in range(n)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def clone_dataset(store: Store, source_id: str, target_id: str) -> str:
    """Version 1 of `source_id` as the only version of a new dataset, so tests share one store (and its DuckDB)."""
    version = store.version(source_id, 1)
    staged = store.new_tmp_path()
    shutil.copyfile(store.path_of(version), staged)
    store.commit_version(target_id, staged, row_count=version.row_count, table_schema=version.table_schema,
                         source=version.source, report=version.report)
    return target_id
