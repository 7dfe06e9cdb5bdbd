"""The `cbs-odata-v4` connector: a CBS table from the OData v4 API (datasets.cbs.nl/odata/v1) as one tidy table."""

from __future__ import annotations

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

NEXT = "@odata.nextLink"
ENTITY_SETS = ("Observations", "MeasureCodes", "MeasureGroups", "Dimensions", "Properties")
KINDS = {"Dimension": "plain", "TimeDimension": "time", "GeoDimension": "geo", "GeoDetailDimension": "geo"}


def _group_path(group_id: Any, groups: Mapping[Any, dict[str, Any]]) -> str | None:
    titles: list[str] = []
    group = groups.get(group_id)
    while group is not None and len(titles) < 20:  # the bound stops a cycle in bad data
        titles.insert(0, str(group.get("Title") or "").strip())
        group = groups.get(group.get("ParentId"))
    return " / ".join(t for t in titles if t) or None


def structure(dimensions: list[dict[str, Any]], measure_codes: list[dict[str, Any]], groups: list[dict[str, Any]],
              codes: Mapping[str, list[dict[str, Any]]]) -> Table:
    """Dimensions (by Kind), measures (with unit and group) and each dimension's codes (with period Status)."""
    by_id = {g.get("Id"): g for g in groups}
    dims = tuple(Dimension(str(d["Identifier"]), KINDS.get(str(d.get("Kind")), "plain"),
                           str(d.get("Title") or d["Identifier"]))
                 for d in dimensions if d.get("Identifier"))
    measures = tuple(
        Measure(str(m["Identifier"]), str(m.get("Title") or m["Identifier"]).strip(),
                str(m.get("Unit") or "").strip() or None, _group_path(m.get("MeasureGroupId"), by_id),
                str(m.get("DataType") or "").lower() == "string")
        for m in measure_codes if m.get("Identifier"))
    lookups = {
        key: {str(row["Identifier"]).strip(): Code(str(row["Identifier"]).strip(), row.get("Title"),
                                                   row.get("Status"))
              for row in rows if row.get("Identifier") is not None}
        for key, rows in codes.items()
    }
    return Table(dims, measures, lookups)


def observations_sql(folder: Path, table: Table, measures: tuple[Measure, ...]) -> str:
    """Observations are long already; ValueAttribute "None" means an ordinary figure, anything else is kept."""
    columns = {"Id": "BIGINT", "Measure": "VARCHAR", "Value": "VARCHAR", "ValueAttribute": "VARCHAR",
               "StringValue": "VARCHAR", **{d.key: "VARCHAR" for d in table.dimensions}}
    codes = "".join(f"trim({quote_ident(d.key)}) AS {quote_ident(name)}, " for d, name in code_columns(table))
    time = f"trim({quote_ident(table.time.key)})" if table.time else "CAST(NULL AS VARCHAR)"
    text = [quote_literal(m.key) for m in measures if m.text]
    is_text = f'"Measure" IN ({", ".join(text)})' if text else "FALSE"
    value = 'trim("Value")'
    return (f'SELECT "Id" AS _id, {codes}{time} AS periode, "Measure" AS maat, '  # noqa: S608
            f"CASE WHEN NOT ({is_text}) AND {is_number(value)} THEN CAST({value} AS DOUBLE) END AS waarde, "
            "NULLIF(trim(\"ValueAttribute\"), 'None') AS waarde_kenmerk, "
            f'CASE WHEN {is_text} THEN coalesce("StringValue", "Value") END AS waarde_tekst '
            f"FROM {read_pages(folder, columns)}")


def _measure_filter(user: str | None, measures: tuple[str, ...]) -> str | None:
    """The steward's $filter, narrowed on the server to the wanted measures."""
    wanted = " or ".join(f"Measure eq {quote_literal(m)}" for m in measures)
    parts = [f"({part})" for part in (user, wanted) if part]
    return " and ".join(parts) if len(parts) > 1 else (user or wanted or None)


class CbsODataV4:
    """Reads `https://datasets.cbs.nl/odata/v1/CBS/{table}`: Properties, code lists, then all Observations."""

    name = "cbs-odata-v4"

    def harvest(self, fetcher: Fetcher, url: str, params: Mapping[str, str], workdir: Path) -> hookspecs.Harvested:
        options = parse_options(params, self.name)
        root, table_id = table_root(url, ENTITY_SETS)
        get = partial(all_rows, fetcher, next_key=NEXT, max_pages=options.max_pages)
        sets = {str(row.get("name")) for row in get(root)}
        for needed in ("Observations", "MeasureCodes", "Dimensions"):
            if needed not in sets:
                raise HarvestError(f"{root}: not a CBS OData v4 table (its service document lists no {needed})")
        info = fetcher.get_json(f"{root}/Properties") if "Properties" in sets else {}
        if not isinstance(info, dict):
            raise HarvestError(f"{root}/Properties: expected an object describing the table")
        dimensions = get(f"{root}/Dimensions")
        groups = get(f"{root}/MeasureGroups") if "MeasureGroups" in sets else []
        codes = {str(d["Identifier"]): get(f"{root}/{d['Identifier']}Codes") for d in dimensions
                 if d.get("Identifier") and f"{d['Identifier']}Codes" in sets}
        table = structure(dimensions, get(f"{root}/MeasureCodes"), groups, codes)
        if not table.measures:
            raise HarvestError(f"{root}/MeasureCodes: the table has no measures")
        check_regions(table, options, url)
        measures = table.keep_measures(options.measures, url)
        narrowed = _measure_filter(options.filter, options.measures)
        folder = workdir / "cbs-pages"
        first = with_query(f"{root}/Observations", {"$filter": narrowed} if narrowed else {})
        count, _ = save_pages(pages(fetcher, first, next_key=NEXT, max_pages=options.max_pages), folder)
        out = workdir / f"cbs-{table_id}.parquet"
        written = write_tidy(observations_sql(folder, table, measures), table, measures, options, out, url)
        identifier = str(info.get("Identifier") or table_id)
        meta = table_metadata(identifier, info, description_key="Description", periods=written.periods,
                              regions=written.regions, filtered=bool(options.regions))
        return hookspecs.Harvested(out, "parquet", meta, remote_id=f"cbs:{identifier}",
                                   stats={"pages": count, "rows": written.rows, "bytes": fetcher.bytes})
