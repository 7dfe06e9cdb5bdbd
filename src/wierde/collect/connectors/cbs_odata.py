"""The CBS StatLine connectors, `cbs-odata-v3` and `cbs-odata-v4`, registered like any third-party connector.

The URL is a table's root:

- v3: `https://opendata.cbs.nl/ODataFeed/odata/{table}` (e.g. …/83599NED). Use the ODataFeed, which pages through
  `odata.nextLink` (10,000 rows a page). An ODataApi URL is read through the ODataFeed, as the ODataApi answers
  at most 10,000 rows and does not page.
- v4: `https://datasets.cbs.nl/odata/v1/CBS/{table}` (e.g. …/80072ned), paged through `@odata.nextLink`.

Params (all optional):

- `filter`: an OData `$filter`, passed to CBS unchanged, e.g. `Perioden eq '2024JJ00'`. Region codes in v3 are
  padded (`RegioS eq 'PV20  '`), so `substringof('GM', RegioS)` is often easier.
- `measures`: a comma list of the measures (v3 topic keys such as `OpenstaandeVacatures_1`, v4 measure codes
  such as `M001924`) to keep; an unknown one is refused. Only those are downloaded.
- `regions`: a comma list of region code prefixes to keep, e.g. `GM` (all municipalities), `PV20`, or
  `GM0014,GM0037`. Applied after download; use `filter` to download less.
- `dataset` (v3 only): `untyped` (default), which keeps CBS's symbols for secret or missing figures, or `typed`.
- `max_pages`: stop with an error past this many pages of one request (default 1,000).

The result is one tidy table, one row per observation: the dimension codes (trimmed; the region dimension as
`regio_code`) each with a `*_titel`; `periode` (the CBS code, e.g. 2024KW03) with `periode_titel`, `jaar`,
`periode_soort` (JJ, HJ, KW, MM, or another CBS kind), `periode_start` and `status` (Definitief, Voorlopig …);
`maat`, `maat_titel`, `maat_groep`, `eenheid`; `waarde` (DOUBLE, NULL when there is no figure) and
`waarde_kenmerk`, which keeps why: the v3 symbol (`.` unknown, `x` secret, `-` nil with waarde 0, an empty
string for "cannot occur") or the v4 ValueAttribute (Secret, Impossible …; NULL for an ordinary figure).
Tables with text measures get `waarde_tekst` too. Any fault (HTTP error after retries, bad JSON, a page without
rows, a next-page loop) raises HarvestError naming the URL: a table is complete or not written at all.
"""

from __future__ import annotations

from wierde import hookspecs
from wierde.collect.connectors.cbs_v3 import CbsODataV3
from wierde.collect.connectors.cbs_v4 import CbsODataV4

__all__ = ["CbsODataV3", "CbsODataV4"]

hookspecs.register_connector(CbsODataV3.name, CbsODataV3)
hookspecs.register_connector(CbsODataV4.name, CbsODataV4)
