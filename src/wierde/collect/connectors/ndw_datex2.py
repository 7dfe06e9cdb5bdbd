"""The `ndw-datex2` connector: NDW's open DATEX II feeds (bridge openings, traffic speed, site tables) as Parquet.

Reads https://opendata.ndw.nu/ feeds such as `brugopeningen.xml.gz` (SituationPublication), `trafficspeed.xml.gz`
(MeasuredDataPublication) and `measurement_current.xml.gz` (MeasurementSiteTablePublication), in DATEX II v2.3
or v3, gzipped or not; the table's columns are described in `datex2_situations`, `datex2_measurements` and
`datex2_sites`. Params:

- `prefix`: keep only records whose id starts with it: `PGR` keeps the province of Groningen's measurement
  sites, `NDW04_NLGRQ` the bridges in the city of Groningen.
- `sites`: for traffic speed, the URL of a measurement site table (several, separated by spaces; later ones win)
  whose name, road, location and per-index characteristics are joined on site id and value index.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from wierde import hookspecs
from wierde.collect.connectors import datex2_feed, datex2_situations
from wierde.collect.connectors.datex2_feed import MEASUREMENTS, SITES, Parsed
from wierde.collect.http import Fetcher, HarvestError
from wierde.errors import InvalidInput

PARAMS = ("prefix", "sites")
NDW = {"uri": "https://www.ndw.nu/", "name": "Nationaal Dataportaal Wegverkeer (NDW)"}  # no TOOI id found
ATTRIBUTION = "NDW (Nationaal Dataportaal Wegverkeer)"

TEXTS: dict[str, dict[str, dict[str, Any]]] = {
    "bridges": {
        "title": {"nl": "Brugopeningen (NDW)", "en": "Bridge openings (NDW)"},
        "description": {
            "nl": "Geplande en actuele openingen van beweegbare bruggen uit de NDW-datadienst Brugopeningen: per "
                  "opening de brug (ISRS-code of ALERT-C-locatie), de ligging (WGS84), begin- en eindtijd, de "
                  "status van de handeling en de waarschijnlijkheid.",
            "en": "Planned and current openings of movable bridges from NDW's bridge openings service: per opening "
                  "the bridge (ISRS code or ALERT-C location), its position (WGS84), start and end time, the status "
                  "of the operator action and its probability."},
        "keywords": {"nl": ["brug", "brugopening", "scheepvaart", "verkeer"],
                     "en": ["bridge", "bridge opening", "shipping", "traffic"]},
    },
    "situations": {
        "title": {"nl": "Situatieberichten (NDW)", "en": "Traffic situations (NDW)"},
        "description": {
            "nl": "Situatieberichten uit een NDW DATEX II-datadienst: per situatieonderdeel het soort bericht, de "
                  "ligging (WGS84), begin- en eindtijd, status en waarschijnlijkheid.",
            "en": "Situation records from an NDW DATEX II service: per record its type, position (WGS84), start "
                  "and end time, status and probability."},
        "keywords": {"nl": ["verkeer", "situatie"], "en": ["traffic", "situation"]},
    },
    "measurements": {
        "title": {"nl": "Snelheden en intensiteiten (NDW)", "en": "Traffic speeds and flows (NDW)"},
        "description": {
            "nl": "Minuutgegevens van meetlocaties langs de weg uit de NDW-datadienst Snelheden en intensiteiten: "
                  "per meetlocatie en meetwaarde-index de intensiteit (voertuigen per uur) of de gemiddelde "
                  "snelheid (km/u), het aantal waarnemingen en de standaardafwijking. Snelheid -1 (geen voertuigen) "
                  "en waarden met dataError zijn leeg.",
            "en": "Per-minute data of roadside measurement sites from NDW's speeds and flows service: per site and "
                  "measured value index the flow (vehicles per hour) or the average speed (km/h), the number of "
                  "input values and the standard deviation. Speed -1 (no vehicles) and values flagged with "
                  "dataError are empty."},
        "keywords": {"nl": ["verkeer", "snelheid", "intensiteit", "meetlus"],
                     "en": ["traffic", "speed", "flow", "loop detector"]},
    },
    "sites": {
        "title": {"nl": "Meetlocaties (NDW)", "en": "Measurement sites (NDW)"},
        "description": {
            "nl": "De meetlocatietabel van NDW: per meetlocatie en meetwaarde-index de naam, weg, ligging (WGS84), "
                  "rijstrook, soort meting en voertuigklasse.",
            "en": "NDW's measurement site table: per site and measured value index the name, road, position "
                  "(WGS84), lane, value type and vehicle class."},
        "keywords": {"nl": ["verkeer", "meetlocatie"], "en": ["traffic", "measurement site"]},
    },
}


def feed_name(url: str) -> str:
    """The feed's file name (`trafficspeed.xml.gz`), the part of the URL NDW keeps stable."""
    return PurePosixPath(unquote(urlparse(url).path)).name or url


def remote_id(url: str, prefix: str | None) -> str:
    # two sources reading different prefixes of one feed are two datasets, so the prefix is part of the id
    return f"ndw:{feed_name(url)}" + (f"?prefix={prefix}" if prefix else "")


def metadata(feed: Parsed, prefix: str | None) -> dict[str, Any]:
    """What NDW's publication tells us, as DCAT-AP-NL fields; a steward's YAML overrides any of it."""
    assert feed.kind is not None
    key = feed.kind.name
    if feed.kind is datex2_feed.SITUATIONS and datex2_situations.is_bridge_feed(dict(feed.subtypes)):
        key = "bridges"
    texts = TEXTS[key]
    description = dict(texts["description"])
    if prefix:
        description = {"nl": description["nl"] + f" Alleen records waarvan de id begint met {prefix}.",
                       "en": description["en"] + f" Only records whose id starts with {prefix}."}
    return {
        "title": texts["title"], "description": description, "keywords": texts["keywords"],
        "themes": ["TRAN"], "publisher": NDW, "licence": "CC0-1.0", "attribution": ATTRIBUTION,
        "accrual_periodicity": "irregular" if feed.kind is SITES else "continuously_updated",
        "source": "https://opendata.ndw.nu/", "documentation": "https://docs.ndw.nu/", "language": ["nl"],
    }


class NdwDatex2:
    """Harvests one NDW DATEX II feed into one Parquet table; see the module docstring for the params."""

    name = "ndw-datex2"

    def harvest(self, fetcher: Fetcher, url: str, params: Mapping[str, str], workdir: Path) -> hookspecs.Harvested:
        unknown = sorted(set(params) - set(PARAMS))
        if unknown:
            raise InvalidInput(f"ndw-datex2: unknown params {unknown}; known: {', '.join(PARAMS)}")
        prefix = (params.get("prefix") or "").strip() or None
        staged: list[Parsed] = []
        try:
            feed = datex2_feed.parse(fetcher, url, prefix, workdir / "datex2-feed.stage.parquet")
            staged.append(feed)
            sites = self._sites(fetcher, feed, params.get("sites") or "", prefix, workdir, staged)
            assert feed.kind is not None
            target = workdir / f"ndw-{feed.kind.name}.parquet"
            rows = datex2_feed.write_table(feed, sites, target, workdir)
        finally:
            for parsed in staged:
                parsed.stage.unlink(missing_ok=True)
        stats = {"rows": rows, "records": feed.records, "site_rows": sum(s.rows for s in sites)}
        return hookspecs.Harvested(target, "parquet", metadata=metadata(feed, prefix),
                                   remote_id=remote_id(url, prefix), stats=stats)

    @staticmethod
    def _sites(fetcher: Fetcher, feed: Parsed, urls: str, prefix: str | None, workdir: Path,
               staged: list[Parsed]) -> list[Parsed]:
        sites: list[Parsed] = []
        if urls.split() and feed.kind is not MEASUREMENTS:
            raise InvalidInput(f"ndw-datex2: `sites` joins a site table to traffic measurements; {feed.url} "
                               f"is a {feed.kind.publication if feed.kind else 'different publication'}")
        for number, site_url in enumerate(urls.split()):
            parsed = datex2_feed.parse(fetcher, site_url, prefix, workdir / f"datex2-sites-{number}.stage.parquet")
            staged.append(parsed)
            if parsed.kind is not SITES:
                raise HarvestError(f"{site_url}: `sites` must be a {SITES.publication}, this is a "
                                   f"{parsed.kind.publication if parsed.kind else 'different publication'}")
            sites.append(parsed)
        return sites


hookspecs.register_connector("ndw-datex2", NdwDatex2)
