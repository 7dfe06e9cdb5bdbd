"""Generalisation: keep a column's use while losing the person in it (birth date → year, postcode → PC4,
home location → neighbourhood code or 1 km cell, personal data in free text → the kind of data it was)."""

# ruff: noqa: S608  -- SQL is built from quoted identifiers and literals of the version being resolved.
from __future__ import annotations

import duckdb

from wierde.errors import InvalidInput
from wierde.protect.privacy import transforms
from wierde.protect.privacy.derive import Resolution, Settles, check_columns, derive, function_name
from wierde.protect.privacy.recognizers import ADDRESS, BIRTH_DATE
from wierde.protect.privacy.report import Finding, PrivacyReport
from wierde.protect.privacy.transforms import POINT, Plan
from wierde.regions.hierarchy import RegionSet
from wierde.sqltext import quote_ident, quote_literal
from wierde.store.records import VersionRecord
from wierde.store.repository import Store


def store_regions(store: Store, con: duckdb.DuckDBPyConnection) -> RegionSet | None:
    """The instance's region reference (its gemeenten/wijken/buurten datasets), if it has neighbourhoods."""
    try:
        from wierde.regions.ingest_keying import reference_from_store
    except ImportError:  # an instance without region keying: locations go to the 1 km grid
        return None
    regions = reference_from_store(store, con).regions
    return regions if regions is not None and "BU" in regions.levels() and regions.crs else None


def _types(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    relation = con.sql(f"SELECT * FROM {source}")
    return dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))


def _value_plan(finding: Finding, kind: str) -> Plan:
    column = finding.column
    if finding.kind == BIRTH_DATE:
        return Plan(replace={column: transforms.birth_year(column, kind)}, fields={column: {"type": "year"}})
    if finding.kind == ADDRESS:
        return Plan(replace={column: transforms.postcode_area(column)},
                    fields={column: {"type": "string", "description": "postcodegebied (PC4)"}})
    raise InvalidInput(f"{finding.kind} in {column!r} has no coarser form: drop or pseudonymise it")


def _text_plan(column: str) -> Plan:
    function = function_name()
    return Plan(replace={column: f"{function}(CAST({quote_ident(column)} AS VARCHAR))"},
                functions={function: transforms.redactor(column)}, fields={column: {"type": "string"}})


def _location_plan(con: duckdb.DuckDBPyConnection, source: str, finding: Finding, base: VersionRecord,
                   regions: RegionSet | None) -> Plan:
    """Points to their neighbourhood's code when the instance knows its neighbourhoods, else to a 1 km cell."""
    column, partner = finding.column, finding.with_columns
    declared = {f["name"]: f.get("crs") for f in base.fields}.get(column)
    if partner:  # x/y columns
        degrees = transforms.xy_degrees(con, source, column)
        if regions is not None:
            x, y = quote_ident(column), quote_ident(partner[0])
            points = (f"SELECT *, ST_Point(CAST({x} AS DOUBLE), CAST({y} AS DOUBLE)) AS {quote_ident(POINT)} "
                      f"FROM {source}")
            keyed = transforms.neighbourhoods(con, points, POINT, regions, "EPSG:4326" if degrees else transforms.RD)
            return Plan(source=keyed, drop=[column, partner[0], POINT])
        grid_x, grid_y = transforms.grid_xy(column, partner[0], degrees)
        return Plan(replace={column: grid_x, partner[0]: grid_y},
                    fields={c: {"type": "number", "description": "afgerond op 1 km"} for c in (column, partner[0])})
    crs, typed = transforms.geometry_crs(con, source, column, declared)
    if regions is not None:
        keyed = transforms.neighbourhoods(con, f"SELECT * FROM {source}", column, regions, None if typed else crs)
        return Plan(source=keyed, drop=[column])
    return Plan(replace={column: transforms.grid_geometry(column, crs, typed)})


def generalise(store: Store, dataset_id: str, column: str, *, reason: str | None = None,
               regions: RegionSet | None = None) -> Resolution:
    """A new version with `column` generalised according to its finding; regions default to the instance's."""
    def build(con: duckdb.DuckDBPyConnection, base: VersionRecord, report: PrivacyReport) -> tuple[Plan, Settles]:
        check_columns(base, [column])
        findings = [f for f in report.open_findings if f.column == column]
        if not findings:
            raise InvalidInput(f"column {column!r} has no open finding to generalise")
        finding = transforms.generalisable(findings)
        source = f"read_parquet({quote_literal(str(store.path_of(base)))})"
        plan = _plan(con, source, finding, base, regions if regions is not None else _maybe_regions(store, con,
                                                                                                  finding))
        return plan, _settles(finding)
    return derive(store, dataset_id, "generalise", build, reason)


def _maybe_regions(store: Store, con: duckdb.DuckDBPyConnection, finding: Finding) -> RegionSet | None:
    return store_regions(store, con) if finding.kind == transforms.DWELLING else None


def _plan(con: duckdb.DuckDBPyConnection, source: str, finding: Finding, base: VersionRecord,
          regions: RegionSet | None) -> Plan:
    if finding.in_text:
        return _text_plan(finding.column)
    if finding.kind == transforms.DWELLING:
        return _location_plan(con, source, finding, base, regions)
    return _value_plan(finding, _types(con, source)[finding.column])


def _settles(finding: Finding) -> Settles:
    """Redacting a text settles every finding in it; a coarser value settles that value's finding."""
    if finding.in_text:
        return lambda f: f.column == finding.column and f.in_text
    return lambda f: f.key == finding.key
