"""The names keying writes, and what a column's name or values say it holds: shared by every step of keying."""

import re

from wierde.regions.codes import LEVELS, Level

CODE_COLUMNS: dict[Level, str] = {lv: f"{lv.lower()}_code" for lv in LEVELS}  # the names keying.py writes
SHARE_COLUMNS: dict[Level, str] = {lv: f"{lv.lower()}_share" for lv in LEVELS}
PERIOD_COLUMN = "period"
OUTPUT_COLUMNS = (*CODE_COLUMNS.values(), *SHARE_COLUMNS.values(), PERIOD_COLUMN)
DEPTH = {lv: i + 1 for i, lv in enumerate(LEVELS)}  # PV 1 … BU 4
# Names a region's own code goes by (see hierarchy.CODE_COLUMNS), lower case.
IDENTITY_NAMES = frozenset({"code", "statcode", "regiocode", "regio_code", "gwb_code", "gwbcode"})

REGION_CODE_RE = "PV[0-9]{2}|GM[0-9]{4}|WK[0-9]{6}|BU[0-9]{8}"
CBS_PERIOD_RE = "[0-9]{4}(JJ00|HJ0[12]|KW0[1-4]|MM(0[1-9]|1[0-2]))"
ISO_PERIOD_RE = "[0-9]{4}(-(H[12]|Q[1-4]|(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?))?"
# Column names (lower case, runs of other characters as "_") that say what a column holds.
FLOW_NAMES = re.compile(r"(van|naar|from|to|herkomst|bestemming|origin|destination)_.+")  # one end of a flow
REGION_HINT_NAMES = re.compile(r".*(regio|code|gemeente|wijk|buurt|provincie|gwb|statcode).*")
GM_NUMBER_NAMES = re.compile(r"(gemeente_?code|gem_?code|gemeente_?nr|gemeentenummer|gemnr|gm_code|cbs_gemeentecode)")
POSTCODE_NAMES = re.compile(r"(postcode|post_code|pc6|pc4|postcode_?[46]|postal_?code|zip_?code|zip)")
MUNICIPALITY_NAMES = re.compile(r"(gemeente|gemeente_?naam|naam_gemeente|gem_?naam|municipality(_name)?)")
LAT_NAMES = re.compile(r"(lat|latitude|breedtegraad|lat_wgs84|wgs84_lat|y_wgs84)")
LON_NAMES = re.compile(r"(lon|lng|long|longitude|lengtegraad|lon_wgs84|wgs84_lon|x_wgs84)")
RD_X_NAMES = re.compile(r"(x|x_?rd|rd_?x|x_?coord(inaat)?|x_?coordinate|coord_?x|x_?28992)")
RD_Y_NAMES = re.compile(r"(y|y_?rd|rd_?y|y_?coord(inaat)?|y_?coordinate|coord_?y|y_?28992)")
PERIOD_NAMES = re.compile(r"(periode|perioden|period|tijdvak|periode_?code)")
YEAR_NAMES = re.compile(r"(jaar|year|jaartal|peiljaar|verslagjaar|boekjaar)")
DATE_HINT_NAMES = re.compile(r".*(datum|date|dag|day|start|begin|tijd|time|moment|stamp).*")
# Value ranges that make a pair of numbers coordinates in the Netherlands.
RANGES = {"lat": (50.7, 53.7), "lon": (3.2, 7.3), "x": (0.0, 300_000.0), "y": (289_000.0, 629_000.0)}
NUMERIC = ("tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint", "uinteger", "ubigint",
           "float", "double", "decimal")


def plain_name(name: str) -> str:
    """A column name as the name patterns read it: lower case, runs of other characters as "_"."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def code_sql(expr: str) -> str:
    """SQL for a value as a region code is compared: text, trimmed, upper case."""
    return f"upper(trim(CAST({expr} AS VARCHAR)))"
