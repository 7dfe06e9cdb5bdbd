"""Secondary suppression, so no total (a parent region's row, or a column declared as the sum of others) gives a
suppressed cell away; the rule is in disclosure.py's docstring."""

# ruff: noqa: S608  -- SQL is built from quoted identifiers of the version's own schema and numeric thresholds.
from __future__ import annotations

import duckdb

from wierde.errors import InvalidInput
from wierde.protect.disclosure_cells import Names, earlier_sql, primary_sql
from wierde.protect.disclosure_config import MAX_COLUMNS, DisclosureConfig
from wierde.sqltext import quote_ident

MAX_ROUNDS = 100  # secondary suppression converges in a few rounds; this only guards against a bad hierarchy


def suppress_secondary(con: duckdb.DuckDBPyConnection, config: DisclosureConfig, names: Names
                       ) -> dict[str, int]:
    """Suppress more count cells until no total (parent region, declared column total) gives a suppressed cell
    away; the suppressed cells go to a small table the output joins. Returns how many per column."""
    src, index = names.get("src"), {c: i for i, c in enumerate(config.measures)}
    present = con.sql(f"SELECT * FROM {src}").columns
    pairs = names("pairs")
    con.execute(f"CREATE TEMP TABLE {pairs} AS SELECT c.__sdc_rid AS child, p.__sdc_rid AS parent FROM {src} c "
                f"JOIN {src} p ON p.__sdc_region = c.__sdc_parent AND p.__sdc_grp = c.__sdc_grp")
    in_totals = {c for total, parts in config.totals for c in (total, *parts)}
    linked = f"__sdc_rid IN (SELECT child FROM {pairs} UNION SELECT parent FROM {pairs})"
    cells = names("cells")
    con.execute(f"CREATE TEMP TABLE {cells} AS " + " UNION ALL ".join(
        f"SELECT __sdc_rid * {MAX_COLUMNS} + {index[c]} AS id, __sdc_rid AS rid, {index[c]} AS col, "
        f"CAST({quote_ident(c)} AS DOUBLE) AS value, "
        f"({earlier_sql(c, present)} OR {primary_sql(config, c)}) AS sup, false AS secondary FROM {src}"
        + ("" if c in in_totals else f" WHERE {linked}")
        for c in config.count_columns))
    counted = ", ".join(f"({index[c]})" for c in config.count_columns)
    sums = [f"SELECT t.id AS total, t.rid * {MAX_COLUMNS} + {index[part]} AS member FROM {cells} t "
            f"WHERE t.col = {index[total]}" for total, parts in config.totals for part in parts]
    links = names("links")
    con.execute(f"CREATE TEMP TABLE {links} AS " + " UNION ALL ".join([
        f"SELECT p.parent * {MAX_COLUMNS} + i AS total, p.child * {MAX_COLUMNS} + i AS member "
        f"FROM {pairs} p, (VALUES {counted}) AS cols(i)", *sums]))
    _settle(con, cells, links)
    con.execute(f"CREATE TEMP TABLE {names('hidden')} AS SELECT rid, list(col) AS cols FROM {cells} "
                f"WHERE secondary GROUP BY rid")
    rows = con.execute(f"SELECT col, count(*) FROM {cells} WHERE secondary GROUP BY col").fetchall()
    return {config.measures[col]: int(n) for col, n in rows}


def _settle(con: duckdb.DuckDBPyConnection, cells: str, links: str) -> None:
    """Apply the rule (see disclosure.py's docstring) round after round until no total needs another cell hidden."""
    smallest = "arg_min(m.id, {'v': m.value, 'id': m.id}) FILTER (WHERE NOT m.sup AND m.value IS NOT NULL)"
    pick = (f"SELECT CASE WHEN NOT t_sup THEN coalesce(smallest, total) ELSE smallest END AS id FROM ("
            f"SELECT l.total, any_value(t.sup) AS t_sup, count(*) FILTER (WHERE m.sup) AS hidden, "
            f"count(*) FILTER (WHERE NOT m.sup AND m.value IS NULL) AS empty, {smallest} AS smallest "
            f"FROM {links} l JOIN {cells} m ON m.id = l.member JOIN {cells} t ON t.id = l.total "
            f"WHERE t.value IS NOT NULL GROUP BY l.total) "
            f"WHERE (NOT t_sup AND hidden = 1) OR (t_sup AND hidden = 0 AND empty = 0)")
    for _ in range(MAX_ROUNDS):
        picked = con.execute(f"UPDATE {cells} SET sup = true, secondary = true "
                             f"WHERE NOT sup AND id IN (SELECT id FROM ({pick}) WHERE id IS NOT NULL)").fetchone()
        if not picked or not picked[0]:
            return
    raise InvalidInput("secondary suppression did not settle: check the region column and the totals")
