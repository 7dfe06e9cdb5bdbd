"""What the CBS StatLine connectors (OData v3 and v4) share: params, paging, periods and the tidy Parquet table."""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import duckdb

from wierde.collect.http import Fetcher, HarvestError
from wierde.collect.paging import PageGuard
from wierde.collect.params import MAX_PAGES, refuse_unknown, whole_number
from wierde.errors import InvalidInput
from wierde.sqltext import quote_ident, quote_literal
from wierde.store.duck import connect

COMMON_PARAMS = ("filter", "measures", "regions", "max_pages")
_PERIOD = re.compile(r"^(\d{4})([A-Z][A-Z0-9])(\d{2})$")
_NUMBER = r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?"
_MONTHS = {"JJ": 12, "HJ": 6, "KW": 3, "MM": 1}  # months in one period of each kind with a calendar meaning


@dataclass(frozen=True)
class Options:
    """The params a steward may set on a CBS source (documented in `cbs_odata`)."""

    filter: str | None = None
    measures: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    max_pages: int = MAX_PAGES
    typed: bool = False  # v3 only: TypedDataSet instead of UntypedDataSet


def _items(text: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item.strip() for item in (text or "").split(",") if item.strip()))


def parse_options(params: Mapping[str, str], connector: str, extra: Sequence[str] = ()) -> Options:
    """Params as Options; an unknown or malformed param is refused, so a typo never widens a harvest silently."""
    refuse_unknown(params, (*COMMON_PARAMS, *extra), connector)
    pages = whole_number(params, "max_pages", MAX_PAGES, connector)
    dataset = str(params.get("dataset") or "untyped").lower()
    if dataset not in ("typed", "untyped"):
        raise InvalidInput(f"{connector}: dataset must be 'typed' or 'untyped', not {dataset!r}")
    return Options(filter=(params.get("filter") or "").strip() or None, measures=_items(params.get("measures")),
                   regions=tuple(r.upper() for r in _items(params.get("regions"))), max_pages=pages,
                   typed=dataset == "typed")


# --- HTTP: one table root, its entity sets, paging ----------------------------------------------------------

def table_root(url: str, entity_sets: Sequence[str]) -> tuple[str, str]:
    """The table root URL and the table id, also when a steward pasted a data-set URL or one with a query."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"{url!r} is not an http(s) URL of a CBS table")
    segments = [s for s in parts.path.split("/") if s]
    while segments and segments[-1].lower() in {name.lower() for name in entity_sets}:
        segments.pop()
    if not segments:
        raise InvalidInput(f"{url}: no table id in the URL (expected …/{{table id}}, e.g. …/83599NED)")
    return f"{parts.scheme}://{parts.netloc}/{'/'.join(segments)}", segments[-1]


def with_query(url: str, query: Mapping[str, str]) -> str:
    """OData's own spelling ($filter=… with %20), which every OData server reads, unlike '+' for spaces."""
    if not query:
        return url
    pairs = "&".join(f"{key}={quote(value, safe=chr(39) + '(),/:$*')}" for key, value in query.items())
    return f"{url}{'&' if '?' in url else '?'}{pairs}"


def _values(document: Any, url: str) -> list[dict[str, Any]]:
    if not isinstance(document, dict) or not isinstance(document.get("value"), list):
        error = document.get("odata.error") or document.get("error") if isinstance(document, dict) else None
        found = f"an error: {json.dumps(error, ensure_ascii=False)[:300]}" if error else (
            f"keys {sorted(document)[:8]}" if isinstance(document, dict) else type(document).__name__)
        raise HarvestError(f"{url}: the answer has no 'value' list of rows (found {found}); stopped")
    rows = document["value"]
    if not all(isinstance(row, dict) for row in rows):
        raise HarvestError(f"{url}: the 'value' list holds something other than rows; stopped")
    return rows


def _next(document: dict[str, Any], url: str, key: str) -> str | None:
    link = document.get(key)
    if link in (None, ""):
        return None
    if not isinstance(link, str):
        raise HarvestError(f"{url}: {key} is not a URL ({link!r}); stopped")
    target = urljoin(url, link)
    if urlsplit(target).netloc != urlsplit(url).netloc:  # a next page elsewhere would leave the configured source
        raise HarvestError(f"{url}: {key} leads to another host ({target}); stopped")
    return target


def pages(fetcher: Fetcher, url: str, *, next_key: str, max_pages: int) -> Iterator[list[dict[str, Any]]]:
    """Every page's rows, following the next-page links; a loop or too many pages fail rather than truncate."""
    guard = PageGuard(url, max_pages, whole="table", link_name="next-page link")
    link: str | None = url
    while link is not None:
        guard.visit(link)
        document = fetcher.get_json(link)
        yield _values(document, link)
        link = _next(document, link, next_key)


def all_rows(fetcher: Fetcher, url: str, *, next_key: str, max_pages: int) -> list[dict[str, Any]]:
    return [row for page in pages(fetcher, url, next_key=next_key, max_pages=max_pages) for row in page]


def save_pages(rows: Iterator[list[dict[str, Any]]], folder: Path) -> tuple[int, int]:
    """Each page as a JSON array on disk, so a large table never has to fit in Python's memory at once."""
    folder.mkdir(parents=True, exist_ok=True)
    count = total = 0
    for count, page in enumerate(rows, start=1):
        (folder / f"page-{count:05d}.json").write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
        total += len(page)
    return count, total


# --- periods ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """A CBS period code (2024JJ00, 2024KW03, 2024MM11) with what it means on the calendar."""

    code: str
    year: int | None
    kind: str | None  # JJ year, HJ half year, KW quarter, MM month, or another CBS kind (then no dates)
    start: date | None
    end: date | None


def parse_period(code: str) -> Period:
    match = _PERIOD.match(code.strip())
    if not match:
        return Period(code, None, None, None, None)
    year, kind, number = int(match[1]), match[2], int(match[3])
    span = _MONTHS.get(kind)
    if span is None or (kind != "JJ" and not 1 <= number <= 12 // span):
        return Period(code, year, kind, None, None)
    first = 1 if kind == "JJ" else (number - 1) * span + 1
    last = first + span - 1
    return Period(code, year, kind, date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1]))


# --- the tidy table -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dimension:
    key: str  # the source's column name
    kind: str  # "geo", "time" or "plain"
    title: str


@dataclass(frozen=True)
class Measure:
    key: str
    title: str
    unit: str | None = None
    group: str | None = None  # the titles of the groups it sits in, outermost first
    text: bool = False  # a measure of words (a name, a code), kept in waarde_tekst instead of waarde


@dataclass(frozen=True)
class Code:
    code: str
    title: str | None
    status: str | None = None  # for periods: Definitief, Voorlopig, Nader voorlopig


@dataclass(frozen=True)
class Table:
    """A table's structure as the source describes it; `codes` maps a dimension key to its codes by code."""

    dimensions: tuple[Dimension, ...]
    measures: tuple[Measure, ...]
    codes: Mapping[str, Mapping[str, Code]]

    @property
    def geo(self) -> Dimension | None:
        return next((d for d in self.dimensions if d.kind == "geo"), None)

    @property
    def time(self) -> Dimension | None:
        return next((d for d in self.dimensions if d.kind == "time"), None)

    @property
    def has_text(self) -> bool:
        return any(m.text for m in self.measures)

    def keep_measures(self, wanted: Sequence[str], url: str) -> tuple[Measure, ...]:
        known = {m.key: m for m in self.measures}
        missing = [key for key in wanted if key not in known]
        if missing:
            raise InvalidInput(f"{url}: no measures {missing} in this table; it has {', '.join(known)}")
        return tuple(known[key] for key in wanted) if wanted else self.measures


def read_pages(folder: Path, columns: Mapping[str, str]) -> str:
    """SQL reading the saved pages with the given column types; keys a page lacks read as NULL."""
    spec = ", ".join(f"{quote_literal(name)}: {quote_literal(kind)}" for name, kind in columns.items())
    return f"read_json({quote_literal(str(folder / 'page-*.json'))}, format='array', columns={{{spec}}})"


def is_number(expr: str) -> str:
    """SQL: `expr` is a plain decimal number; TRY_CAST alone would also take 'nan' and 'inf'."""
    return f"coalesce(regexp_full_match({expr}, {quote_literal(_NUMBER)}), FALSE)"


def check_regions(table: Table, options: Options, url: str) -> None:
    if options.regions and table.geo is None:
        raise InvalidInput(f"{url}: the regions param needs a table with a region dimension; this one has none")


def code_columns(table: Table) -> list[tuple[Dimension, str]]:
    """Each non-time dimension with its output column: the region dimension is `regio_code`, others keep keys."""
    geo = table.geo
    return [(d, "regio_code" if d is geo else d.key) for d in table.dimensions if d.kind != "time"]


def region_filter(column: str, regions: Sequence[str]) -> str:
    """SQL keeping rows whose region code starts with one of the prefixes (GM, PV20, WK0014 …)."""
    if not regions:
        return "TRUE"
    return "(" + " OR ".join(f"starts_with({column}, {quote_literal(r)})" for r in regions) + ")"


def _lookup(con: duckdb.DuckDBPyConnection, name: str, columns: Mapping[str, str], rows: list[dict[str, Any]],
            folder: Path) -> None:
    """A small typed table from Python rows, through a JSON file (quicker than row-by-row inserts)."""
    path = folder / f"{name}.json"
    path.write_text(json.dumps(rows, ensure_ascii=False, default=str), encoding="utf-8")
    spec = ", ".join(f"{quote_literal(key)}: {quote_literal(kind)}" for key, kind in columns.items())
    con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM "  # noqa: S608
                f"read_json({quote_literal(str(path))}, format='array', columns={{{spec}}})")


def _lookups(con: duckdb.DuckDBPyConnection, table: Table, measures: Sequence[Measure], folder: Path) -> list[Period]:
    """Load the code, measure and period lookups; return the periods that occur in the observations."""
    text = "VARCHAR"
    _lookup(con, "_codes", {"dim": text, "code": text, "titel": text},
            [{"dim": dim, "code": c.code, "titel": c.title} for dim, items in table.codes.items()
             for c in items.values()], folder)
    _lookup(con, "_maten", {"maat": text, "positie": "INTEGER", "titel": text, "groep": text, "eenheid": text},
            [{"maat": m.key, "positie": i, "titel": m.title, "groep": m.group, "eenheid": m.unit}
             for i, m in enumerate(measures)], folder)
    used = [r[0] for r in con.execute("SELECT DISTINCT periode FROM obs WHERE periode IS NOT NULL").fetchall()]
    periods = [parse_period(code) for code in sorted(used)]
    known = table.codes.get(table.time.key, {}) if table.time else {}
    _lookup(con, "_perioden", {"code": text, "titel": text, "status": text, "jaar": "INTEGER", "soort": text,
                               "begin": "DATE"},
            [{"code": p.code, "titel": getattr(known.get(p.code), "title", None),
              "status": getattr(known.get(p.code), "status", None), "jaar": p.year, "soort": p.kind,
              "begin": p.start} for p in periods], folder)
    return periods


def _select(table: Table) -> str:
    """The tidy SELECT over `obs` (one row per observation, codes already trimmed) and the lookups."""
    columns, joins, order = [], [], ["o._id"]
    for i, (dim, name) in enumerate(code_columns(table)):
        column = quote_ident(name)
        title = quote_ident("regio_titel" if name == "regio_code" else f"{name}_titel")
        columns += [f"o.{column}", f"c{i}.titel AS {title}"]
        joins.append(f"LEFT JOIN _codes c{i} ON c{i}.dim = {quote_literal(dim.key)} AND c{i}.code = o.{column}")
        order.append(f"o.{column}")
    columns += ["o.periode", "p.titel AS periode_titel", "p.jaar", "p.soort AS periode_soort",
                "p.begin AS periode_start", "p.status", "o.maat", "m.titel AS maat_titel", "m.groep AS maat_groep",
                "m.eenheid", "o.waarde", "o.waarde_kenmerk"]
    if table.has_text:
        columns.append("o.waarde_tekst")
    order += ["o.periode", "m.positie", "o.maat"]
    return (f"SELECT {', '.join(columns)} FROM obs o {' '.join(joins)} "  # noqa: S608
            "LEFT JOIN _perioden p ON p.code = o.periode LEFT JOIN _maten m ON m.maat = o.maat "
            f"ORDER BY {', '.join(order)}")


@dataclass(frozen=True)
class Written:
    rows: int
    periods: list[Period]
    regions: list[str]


def write_tidy(obs_sql: str, table: Table, measures: Sequence[Measure], options: Options, out: Path,
               url: str) -> Written:
    """Keep the wanted rows of `obs_sql`, join the lookups and write sorted zstd Parquet to `out`.

    `obs_sql` gives one row per observation: `_id`, the trimmed code columns of `code_columns`, `periode`, `maat`,
    `waarde`, `waarde_kenmerk` (and `waarde_tekst` for tables with text measures). Sorted by the source's row id,
    codes and measure, so an unchanged table gives the same file (and so no new version) on every harvest.
    """
    wanted = ", ".join(quote_literal(m.key) for m in measures)
    keep = f"maat IN ({wanted}) AND {region_filter('regio_code', options.regions)}"
    con = connect(extensions=(), temp_directory=out.parent / "duckdb-tmp")
    try:
        con.execute(f"CREATE TEMP TABLE obs AS SELECT * FROM ({obs_sql}) WHERE {keep}")  # noqa: S608
        periods = _lookups(con, table, measures, out.parent)
        regions = ([r[0] for r in con.execute("SELECT DISTINCT regio_code FROM obs ORDER BY 1").fetchall()]
                   if table.geo else [])
        copied = con.execute(f"COPY ({_select(table)}) TO {quote_literal(str(out))} "
                             "(FORMAT parquet, COMPRESSION zstd)").fetchone()
    except duckdb.Error as error:
        raise HarvestError(f"{url}: the observations could not be made into a table ({error})") from None
    finally:
        con.close()
    rows = int(copied[0]) if copied else 0
    if rows == 0:
        raise HarvestError(f"{url}: no observations (check the filter, measures and regions params)")
    return Written(rows, periods, regions)
