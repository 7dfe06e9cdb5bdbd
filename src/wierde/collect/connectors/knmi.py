"""The `knmi` connector: KNMI's catalogue of earthquakes in the Netherlands as a tidy table with a UTC timestamp.

It reads the forms KNMI publishes the catalogue in, told apart by their first bytes (or the `format` param):

- `csv`: the induced-earthquakes CSV of KNMI's seismology pages (`all_induced.csv`) with the columns YYMMDD
  (in fact YYYYMMDD), TIME, LOCATION, LAT, LON, X_RD, Y_RD, MAG, DEPTH, EVALUATION_MODE. Older copies lack the RD
  columns, call the last one EVALMODE and write TIME as HHMMSS.ss instead of HH:MM:SS(.ss); both are read.
- `text`: the FDSN event web service (`https://rdsa.knmi.nl/fdsnws/event/1/query?format=text`): `|`-separated with
  a `#EventID|Time|Latitude|Longitude|Depth/km|…|MagType|Magnitude|…|EventLocationName|EventType` header.
- `quakeml`: the same service's default QuakeML 1.2 (parsed with defusedxml; a DTD is refused).

Params: `format`, `since` (keep events from this date, YYYY-MM-DD), `min_magnitude`, and `bbox`
(`minlon,minlat,maxlon,maxlat` in WGS84) to keep a region. Every row must parse: a catalogue with a broken line
fails the harvest rather than quietly losing an earthquake. Times are UTC, as KNMI gives them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import duckdb
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from wierde import hookspecs
from wierde.collect.http import Fetcher, HarvestError
from wierde.errors import InvalidInput
from wierde.sqltext import quote_literal
from wierde.store.duck import connect

PARAMS = ("format", "since", "min_magnitude", "bbox")
FORMATS = ("csv", "text", "quakeml")
SHOWN_PROBLEMS = 3
KNMI = {"uri": "https://www.knmi.nl/", "name": "Koninklijk Nederlands Meteorologisch Instituut (KNMI)"}
# CSV headers as KNMI has written them over the years, to the field each one fills.
CSV_FIELDS = {
    "yymmdd": "day", "date": "day", "time": "clock", "location": "place", "lat": "lat", "lon": "lon",
    "x_rd": "x_rd", "y_rd": "y_rd", "mag": "magnitude", "depth": "depth_km", "evaluation_mode": "evaluation_mode",
    "evalmode": "evaluation_mode",
}
TEXT_FIELDS = {
    "eventid": "event_id", "time": "time", "latitude": "lat", "longitude": "lon", "depth/km": "depth_km",
    "magtype": "magnitude_type", "magnitude": "magnitude", "eventlocationname": "place", "eventtype": "event_type",
}


@dataclass
class Event:
    """One earthquake as read, before typing in SQL; coordinates in WGS84 degrees, depth in km."""

    time_utc: datetime
    lat: float
    lon: float
    magnitude: float | None
    depth_km: float | None
    place: str | None = None
    x_rd: float | None = None
    y_rd: float | None = None
    event_id: str | None = None
    magnitude_type: str | None = None
    evaluation_mode: str | None = None
    event_type: str | None = None


class _Bad(ValueError):
    """One value that does not read; the caller adds where it was."""


def _number(text: str | None, what: str, required: bool = False) -> float | None:
    value = (text or "").strip()
    if not value:
        if required:
            raise _Bad(f"no {what}")
        return None
    try:
        return float(value)
    except ValueError:
        raise _Bad(f"{what} {value!r} is not a number") from None


def _required(text: str | None, what: str) -> float:
    value = _number(text, what, required=True)
    assert value is not None
    return value


def _day(text: str) -> date:
    """KNMI's YYMMDD column holds YYYYMMDD; accept a true YYMMDD (the catalogue starts in 1986) and ISO dates too."""
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value)
    if re.fullmatch(r"\d{6}(\d{2})?", value):
        if len(value) == 6:
            value = ("19" if int(value[:2]) >= 80 else "20") + value
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    raise _Bad(f"date {text!r} is not YYYYMMDD")


def _clock(text: str) -> tuple[int, int, float]:
    """HH:MM:SS(.ss), or the older HHMMSS.ss whose leading zeros a spreadsheet may have dropped."""
    value = text.strip()
    match = re.fullmatch(r"(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)", value)
    if not match:
        whole, _, fraction = value.partition(".")
        if not whole.isdigit() or len(whole) > 6 or (fraction and not fraction.isdigit()):
            raise _Bad(f"time {text!r} is neither HH:MM:SS nor HHMMSS.ss")
        whole = whole.zfill(6)
        match = re.fullmatch(r"(\d{2})(\d{2})(\d{2}(?:\.\d+)?)", whole + (f".{fraction}" if fraction else ""))
        assert match is not None
    hours, minutes, seconds = int(match[1]), int(match[2]), float(match[3])
    if hours > 23 or minutes > 59 or seconds >= 60:
        raise _Bad(f"time {text!r} is not a time of day")
    return hours, minutes, seconds


def _moment(day: date, clock: tuple[int, int, float]) -> datetime:
    hours, minutes, seconds = clock
    micro = round((seconds - int(seconds)) * 1_000_000)
    return datetime(day.year, day.month, day.day, hours, minutes, int(seconds), min(micro, 999_999), tzinfo=UTC)


def _iso(text: str) -> datetime:
    """An FDSN time (ISO 8601, UTC, with or without Z)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _Bad(f"time {text!r} is not ISO 8601") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _text(value: str | None) -> str | None:
    cleaned = (value or "").strip()
    return cleaned or None


# --- the three forms ------------------------------------------------------------------------------------------

def read_csv(text: str) -> Iterator[tuple[int, Event | str]]:
    """(line, event) per row of KNMI's CSV, or (line, problem) for a row that does not read."""
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None) or []
    names = [CSV_FIELDS.get(h.strip().lower(), "") for h in header]
    missing = {"day", "clock", "lat", "lon"} - set(names)
    if missing:
        raise HarvestError(f"not KNMI's earthquake CSV: no column for {sorted(missing)} in header {header[:10]}")
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            yield line, f"{len(row)} fields where the header has {len(names)}"
            continue
        cells = {name: cell for name, cell in zip(names, row, strict=True) if name}
        try:
            yield line, Event(
                time_utc=_moment(_day(cells["day"]), _clock(cells["clock"])),
                lat=_required(cells["lat"], "latitude"), lon=_required(cells["lon"], "longitude"),
                magnitude=_number(cells.get("magnitude"), "magnitude"),
                depth_km=_number(cells.get("depth_km"), "depth"), place=_text(cells.get("place")),
                x_rd=_number(cells.get("x_rd"), "X_RD"), y_rd=_number(cells.get("y_rd"), "Y_RD"),
                evaluation_mode=_text(cells.get("evaluation_mode")))
        except _Bad as problem:
            yield line, str(problem)


def read_text(text: str) -> Iterator[tuple[int, Event | str]]:
    """(line, event) per line of the FDSN text format; the `#` header names the columns."""
    names: list[str] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if raw.startswith("#"):
            names = [TEXT_FIELDS.get(h.strip().lower(), "") for h in raw[1:].split("|")]
            continue
        if not raw.strip():
            continue
        if "time" not in names or "lat" not in names:
            raise HarvestError("not FDSN event text: no #EventID|Time|Latitude|… header before the first event")
        parts = raw.split("|")
        if len(parts) != len(names):
            yield line, f"{len(parts)} fields where the header has {len(names)}"
            continue
        cells = {name: cell for name, cell in zip(names, parts, strict=True) if name}
        try:
            yield line, Event(
                time_utc=_iso(cells["time"]), lat=_required(cells["lat"], "latitude"),
                lon=_required(cells["lon"], "longitude"), magnitude=_number(cells.get("magnitude"), "magnitude"),
                depth_km=_number(cells.get("depth_km"), "depth"), place=_text(cells.get("place")),
                event_id=_text(cells.get("event_id")), magnitude_type=_text(cells.get("magnitude_type")),
                event_type=_text(cells.get("event_type")))
        except _Bad as problem:
            yield line, str(problem)


def _local(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _child(element: Element | None, *path: str) -> Element | None:
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if _local(c) == name), None)
    return element


def _value(element: Element | None, *path: str) -> str | None:
    found = _child(element, *path)
    return found.text.strip() if found is not None and found.text else None


def _preferred(event: Element, kind: str) -> Element | None:
    """The preferred origin or magnitude (by its id), else the first one."""
    wanted = _value(event, f"preferred{kind.capitalize()}ID")
    candidates = [c for c in event if _local(c) == kind]
    return next((c for c in candidates if c.get("publicID") == wanted), candidates[0] if candidates else None)


def read_quakeml(body: bytes) -> Iterator[tuple[int, Event | str]]:
    """(n, event) per QuakeML event, numbered from 1; depths there are in metres."""
    try:
        root = defused_fromstring(body, forbid_dtd=True)
    except DefusedXmlException as error:
        raise HarvestError(f"refused: the XML declares a DTD or entities ({type(error).__name__})") from None
    except ParseError as error:
        raise HarvestError(f"not well-formed XML ({error})") from None
    if _local(root) != "quakeml":
        raise HarvestError(f"not a QuakeML document (its root is <{_local(root)}>)")
    parameters = _child(root, "eventParameters")
    events = [e for e in parameters if _local(e) == "event"] if parameters is not None else []
    for number, event in enumerate(events, start=1):
        origin, magnitude = _preferred(event, "origin"), _preferred(event, "magnitude")
        try:
            if origin is None or not _value(origin, "time", "value"):
                raise _Bad("no origin time")
            depth = _number(_value(origin, "depth", "value"), "depth")
            yield number, Event(
                time_utc=_iso(_value(origin, "time", "value") or ""),
                lat=_required(_value(origin, "latitude", "value"), "latitude"),
                lon=_required(_value(origin, "longitude", "value"), "longitude"),
                magnitude=_number(_value(magnitude, "mag", "value"), "magnitude"),
                depth_km=None if depth is None else depth / 1000, place=_value(event, "description", "text"),
                event_id=(event.get("publicID") or "").rsplit("/", 1)[-1] or None,
                magnitude_type=_value(magnitude, "type"), evaluation_mode=_value(origin, "evaluationMode"),
                event_type=_value(event, "type"))
        except _Bad as problem:
            yield number, str(problem)


def sniff(body: bytes) -> str:
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:200]
    if head.startswith(b"<"):
        return "quakeml"
    if head.startswith(b"#") or b"|" in head.split(b"\n", 1)[0]:
        return "text"
    return "csv"


def parse(body: bytes, kind: str, url: str) -> list[Event]:
    """Every event of the catalogue, or a HarvestError naming the first lines that do not read."""
    try:
        if kind == "quakeml":
            rows = list(read_quakeml(body))
        else:
            text = body.decode("utf-8-sig")
            rows = list(read_csv(text) if kind == "csv" else read_text(text))
    except UnicodeDecodeError as error:
        raise HarvestError(f"{url}: the catalogue is not UTF-8 text ({error})") from None
    except HarvestError as error:
        raise HarvestError(f"{url}: {error.detail}") from None
    problems = [f"{'event' if kind == 'quakeml' else 'line'} {n}: {p}" for n, p in rows if isinstance(p, str)]
    if problems:
        shown = "; ".join(problems[:SHOWN_PROBLEMS]) + (f" (and {len(problems) - SHOWN_PROBLEMS} more)"
                                                        if len(problems) > SHOWN_PROBLEMS else "")
        raise HarvestError(f"{url}: {len(problems)} events do not read, so none are kept: {shown}")
    return [event for _, event in rows if isinstance(event, Event)]


# --- params and the table -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Options:
    format: str | None = None
    since: date | None = None
    min_magnitude: float | None = None
    bbox: tuple[float, float, float, float] | None = None


def parse_options(params: Mapping[str, str]) -> Options:
    unknown = sorted(set(params) - set(PARAMS))
    if unknown:
        raise InvalidInput(f"knmi: unknown params {unknown}; known: {', '.join(PARAMS)}")
    kind = (params.get("format") or "").strip().lower() or None
    if kind is not None and kind not in FORMATS:
        raise InvalidInput(f"knmi: format must be one of {', '.join(FORMATS)}, not {kind!r}")
    try:
        since = date.fromisoformat(params["since"].strip()) if params.get("since") else None
        least = float(params["min_magnitude"]) if params.get("min_magnitude") else None
        box = [float(v) for v in params["bbox"].split(",")] if params.get("bbox") else None
    except ValueError as error:
        raise InvalidInput(f"knmi: since is YYYY-MM-DD, min_magnitude a number, bbox four numbers ({error})") from None
    if box is not None and (len(box) != 4 or box[0] > box[2] or box[1] > box[3]):
        raise InvalidInput("knmi: bbox is minlon,minlat,maxlon,maxlat")
    return Options(kind, since, least, (box[0], box[1], box[2], box[3]) if box else None)


def keep(event: Event, options: Options) -> bool:
    if options.since and event.time_utc.date() < options.since:
        return False
    if options.min_magnitude is not None and (event.magnitude is None or event.magnitude < options.min_magnitude):
        return False
    if options.bbox:
        west, south, east, north = options.bbox
        return west <= event.lon <= east and south <= event.lat <= north
    return True


COLUMNS = {
    "event_id": "VARCHAR", "time_utc": "TIMESTAMP", "place": "VARCHAR", "lat": "DOUBLE", "lon": "DOUBLE",
    "x_rd": "DOUBLE", "y_rd": "DOUBLE", "magnitude": "DOUBLE", "magnitude_type": "VARCHAR", "depth_km": "DOUBLE",
    "evaluation_mode": "VARCHAR", "event_type": "VARCHAR",
}
RD = "ST_Transform(ST_Point(lon, lat), 'EPSG:4326', 'EPSG:28992', always_xy := true)"


def _metres(event: Event) -> Event:
    """RD in metres. KNMI does not state the unit of X_RD/Y_RD; values under 1,000 can only be kilometres there."""
    if event.x_rd is not None and event.y_rd is not None and abs(event.x_rd) < 1000 and abs(event.y_rd) < 1000:
        event.x_rd, event.y_rd = event.x_rd * 1000, event.y_rd * 1000
    return event


def write_table(events: list[Event], out: Path) -> int:
    """Sorted zstd Parquet: one row per event, RD coordinates filled in where the source has none, and a point."""
    source = out.parent / "knmi-events.json"
    naive_utc = [e.time_utc.astimezone(UTC).replace(tzinfo=None).isoformat() for e in events]
    rows = [{**asdict(_metres(e)), "time_utc": moment} for e, moment in zip(events, naive_utc, strict=True)]
    source.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    spec = ", ".join(f"{quote_literal(k)}: {quote_literal(v)}" for k, v in COLUMNS.items())
    # Every name below is ours and every value is quoted.
    select = (
        "SELECT event_id, time_utc, CAST(time_utc AS DATE) AS date, place, lat, lon, "  # noqa: S608
        f"round(coalesce(x_rd, ST_X({RD})), 1) AS x_rd, round(coalesce(y_rd, ST_Y({RD})), 1) AS y_rd, magnitude, "
        "magnitude_type, depth_km, evaluation_mode, event_type, ST_SetCRS(ST_Point(lon, lat), 'OGC:CRS84') AS geom "
        f"FROM read_json({quote_literal(str(source))}, format='array', columns={{{spec}}}) "
        "ORDER BY time_utc, event_id, lat, lon"
    )
    con = connect(extensions=("spatial",), temp_directory=out.parent / "duckdb-tmp")
    try:
        copied = con.execute(f"COPY ({select}) TO {quote_literal(str(out))} (FORMAT parquet, COMPRESSION zstd)")
        result = copied.fetchone()
    except duckdb.Error as error:
        raise HarvestError(f"the events could not be made into a table ({error})") from None
    finally:
        con.close()
    return int(result[0]) if result else 0


def metadata(events: list[Event], url: str) -> dict[str, Any]:
    first, last = min(e.time_utc for e in events), max(e.time_utc for e in events)
    return {
        "title": {"nl": "Aardbevingen in Nederland (KNMI)", "en": "Earthquakes in the Netherlands (KNMI)"},
        "description": {
            "nl": "De aardbevingscatalogus van het KNMI: per beving het tijdstip (UTC), de plaats, het epicentrum "
                  "(WGS84 en RD), de magnitude, de diepte (km) en of de bepaling handmatig of automatisch is.",
            "en": "KNMI's earthquake catalogue: per event the time (UTC), place, epicentre (WGS84 and RD), "
                  "magnitude, depth (km) and whether it was reviewed manually or located automatically."},
        "keywords": {"nl": ["aardbeving", "seismiciteit", "gaswinning", "KNMI"],
                     "en": ["earthquake", "seismicity", "gas extraction", "KNMI"]},
        "themes": ["ENVI", "ENER"],
        "publisher": dict(KNMI),
        "licence": "CC-BY-4.0",
        "attribution": "Bron: KNMI",
        "source": url,
        "temporal": {"start": first.date().isoformat(), "end": last.date().isoformat()},
        "language": ["nl"],
    }


class KnmiEarthquakes:
    name = "knmi"

    def harvest(self, fetcher: Fetcher, url: str, params: Mapping[str, str], workdir: Path) -> hookspecs.Harvested:
        options = parse_options(params)
        body = fetcher.get_bytes(url)
        events = [e for e in parse(body, options.format or sniff(body), url) if keep(e, options)]
        if not events:
            raise HarvestError(f"{url}: no earthquakes in the catalogue (after the since/min_magnitude/bbox params)")
        out = workdir / "knmi-aardbevingen.parquet"
        rows = write_table(events, out)
        return hookspecs.Harvested(out, "parquet", metadata(events, url), remote_id=f"knmi:{url.split('?')[0]}",
                                   stats={"pages": 1, "rows": rows})


hookspecs.register_connector("knmi", KnmiEarthquakes)
