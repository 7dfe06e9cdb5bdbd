"""The `cbs-odata-v3` connector: a StatLine table from CBS's OData v3 feed (opendata.cbs.nl) as one tidy table."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from wierde import hookspecs
from wierde.collect.connectors.cbs_common import (
    Code,
    Dimension,
    Measure,
    Table,
    all_rows,
    check_regions,
    code_columns,
    is_number,
    pages,
    parse_options,
    read_pages,
    save_pages,
    table_root,
    with_query,
    write_tidy,
)
from wierde.collect.connectors.cbs_metadata import table_metadata
from wierde.collect.http import Fetcher, HarvestError
from wierde.sqltext import quote_ident, quote_literal

NEXT = "odata.nextLink"
JSON = {"$format": "json"}  # without it the feed answers in Atom XML
ENTITY_SETS = ("TableInfos", "DataProperties", "UntypedDataSet", "TypedDataSet", "CategoryGroups")
KINDS = {"Dimension": "plain", "TimeDimension": "time", "GeoDimension": "geo"}


def _group_path(prop: dict[str, Any], by_id: Mapping[Any, dict[str, Any]]) -> str | None:
    """The titles of the topic groups a topic sits in, outermost first (a guard stops a cycle in bad data)."""
    titles: list[str] = []
    parent = by_id.get(prop.get("ParentID"))
    while parent is not None and len(titles) < 20:
        titles.insert(0, str(parent.get("Title") or "").strip())
        parent = by_id.get(parent.get("ParentID"))
    return " / ".join(t for t in titles if t) or None


def structure(properties: list[dict[str, Any]], codes: Mapping[str, list[dict[str, Any]]]) -> Table:
    """The table's dimensions and topics from DataProperties, with each dimension's codes (keys trimmed)."""
    by_id = {p.get("ID"): p for p in properties if p.get("ID") is not None}
    dimensions = tuple(Dimension(str(p["Key"]), KINDS[str(p.get("Type"))], str(p.get("Title") or p["Key"]))
                       for p in properties if p.get("Type") in KINDS and p.get("Key"))
    measures = tuple(
        Measure(str(p["Key"]), str(p.get("Title") or p["Key"]).strip(), (str(p.get("Unit") or "").strip() or None),
                _group_path(p, by_id), str(p.get("Datatype") or "").lower() == "string")
        for p in properties if p.get("Type") == "Topic" and p.get("Key"))
    lookups = {
        key: {str(row["Key"]).strip(): Code(str(row["Key"]).strip(), row.get("Title"), row.get("Status"))
              for row in rows if row.get("Key") is not None}
        for key, rows in codes.items()
    }
    return Table(dimensions, measures, lookups)


def observations_sql(folder: Path, table: Table, measures: tuple[Measure, ...]) -> str:
    """The saved wide rows unpivoted to one row per topic. Untyped cells are padded text ("   135.5"); what is
    not a number is a CBS symbol (. unknown, x secret, - nil, empty: cannot occur) and is kept as such."""
    columns = {"ID": "BIGINT", **{d.key: "VARCHAR" for d in table.dimensions}, **{m.key: "VARCHAR" for m in measures}}
    codes = ", ".join(f"trim({quote_ident(d.key)}) AS {quote_ident(name)}" for d, name in code_columns(table))
    time = f"trim({quote_ident(table.time.key)})" if table.time else "CAST(NULL AS VARCHAR)"
    topics = ", ".join(quote_ident(m.key) for m in measures)
    text = [quote_literal(m.key) for m in measures if m.text]
    is_text = f"maat IN ({', '.join(text)})" if text else "FALSE"
    names = ", ".join(quote_ident(name) for _, name in code_columns(table))
    unpivoted = (f"SELECT ID AS _id, {codes}{', ' if codes else ''}{time} AS periode, maat, trim(cel) AS s "  # noqa: S608
                 f"FROM {read_pages(folder, columns)} UNPIVOT INCLUDE NULLS (cel FOR maat IN ({topics}))")
    return (f"SELECT _id, {names}{', ' if names else ''}periode, maat, "  # noqa: S608
            # CBS: "-" is nil, "the figure really is 0"; the symbol is kept beside it
            f"CASE WHEN {is_text} THEN NULL WHEN s = '-' THEN 0.0 WHEN {is_number('s')} THEN CAST(s AS DOUBLE) "
            "END AS waarde, "
            f"CASE WHEN NOT ({is_text}) AND s IS NOT NULL AND NOT {is_number('s')} THEN s END AS waarde_kenmerk, "
            f"CASE WHEN {is_text} THEN s END AS waarde_tekst FROM ({unpivoted})")


class CbsODataV3:
    """Reads `https://opendata.cbs.nl/ODataFeed/odata/{table}`: metadata, code lists, then every data page."""

    name = "cbs-odata-v3"

    def harvest(self, fetcher: Fetcher, url: str, params: Mapping[str, str], workdir: Path) -> hookspecs.Harvested:
        options = parse_options(params, self.name, extra=("dataset",))
        root, table_id = table_root(url, ENTITY_SETS)
        # The ODataApi path serves the same tables but stops at 10,000 rows without a next link: a silent cut.
        root = re.sub(r"/ODataApi/", "/ODataFeed/", root, count=1, flags=re.IGNORECASE)
        get = partial(all_rows, fetcher, next_key=NEXT, max_pages=options.max_pages)
        sets = {str(row.get("name")) for row in get(with_query(root, JSON))}
        for needed in ("TableInfos", "DataProperties"):
            if needed not in sets:
                raise HarvestError(f"{root}: not a CBS OData v3 table (its service document lists no {needed})")
        infos = get(with_query(f"{root}/TableInfos", JSON))
        info = infos[0] if infos else {}
        properties = get(with_query(f"{root}/DataProperties", JSON))
        dimension_keys = [str(p["Key"]) for p in properties if p.get("Type") in KINDS and p.get("Key")]
        codes = {key: get(with_query(f"{root}/{key}", JSON)) for key in dimension_keys if key in sets}
        table = structure(properties, codes)
        if not table.measures:
            raise HarvestError(f"{root}/DataProperties: the table has no topics")
        check_regions(table, options, url)
        measures = table.keep_measures(options.measures, url)
        dataset = "TypedDataSet" if options.typed else "UntypedDataSet"
        if dataset not in sets:
            raise HarvestError(f"{root}: the service document lists no {dataset}")
        query = dict(JSON)
        if options.filter:
            query["$filter"] = options.filter
        if options.measures:  # fetch only the wanted topics' columns
            query["$select"] = ",".join(["ID", *(d.key for d in table.dimensions), *(m.key for m in measures)])
        folder = workdir / "cbs-pages"
        count, _ = save_pages(pages(fetcher, with_query(f"{root}/{dataset}", query), next_key=NEXT,
                                    max_pages=options.max_pages), folder)
        out = workdir / f"cbs-{table_id}.parquet"
        written = write_tidy(observations_sql(folder, table, measures), table, measures, options, out, url)
        identifier = str(info.get("Identifier") or table_id)
        meta = table_metadata(identifier, info, description_key="ShortDescription", periods=written.periods,
                              regions=written.regions, filtered=bool(options.regions))
        return hookspecs.Harvested(out, "parquet", meta, remote_id=f"cbs:{identifier}",
                                   stats={"pages": count, "rows": written.rows, "bytes": fetcher.bytes})
