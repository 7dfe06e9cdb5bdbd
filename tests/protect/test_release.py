"""Publishing opens a dataset, not every file it ever had: versions that would fail the gate stay with stewards."""

from __future__ import annotations

from pathlib import Path

import pytest

from wierde.collect.ingest import ingest
from wierde.errors import NotFound
from wierde.protect.access import ANONYMOUS, Principal
from wierde.protect.privacy.resolve import drop
from wierde.publish import datasets
from wierde.store.repository import Store

STEWARD = Principal(kind="steward", name="sanne")
CLEAN = "melding,wijk\nlantaarnpaal kapot,WK001401\ngat in de weg,WK001402\n"
LEAKY = ("melding,wijk,email\nlantaarnpaal kapot,WK001401,jan.jansen@example.nl\n"
         "gat in de weg,WK001402,p.de.vries@example.nl\nzwerfvuil,WK001403,anna.bakker@example.nl\n")


def load(store: Store, tmp_path: Path, text: str, name: str) -> int:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    outcome = ingest(store, path, "meldingen")
    return outcome.version.number


def test_a_new_version_with_personal_data_is_not_served_until_resolved(store: Store, tmp_path: Path) -> None:
    load(store, tmp_path, CLEAN, "v1.csv")
    store.set_status("meldingen", "published")
    assert datasets.get_version(store, ANONYMOUS, "meldingen").number == 1

    leaky = load(store, tmp_path, LEAKY, "v2.csv")  # a harvest or upload into a published dataset
    with pytest.raises(NotFound, match="being reviewed"):
        datasets.get_dataset(store, ANONYMOUS, "meldingen")
    assert datasets.get_version(store, STEWARD, "meldingen").number == leaky, "stewards review it"

    resolved = drop(store, "meldingen", ["email"], reason="not needed")
    assert datasets.get_version(store, ANONYMOUS, "meldingen").number == resolved.version
    with pytest.raises(NotFound):
        datasets.get_version(store, ANONYMOUS, "meldingen", leaky)
    assert datasets.get_version(store, ANONYMOUS, "meldingen", 1).number == 1, "the clean old version stays"
