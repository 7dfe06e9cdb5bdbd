"""Built-in connectors to public sources, each registered under its name like a third party's would be."""

from wierde.collect.connectors import (  # noqa: F401  (each module registers its connector)
    cbs_odata,
    ckan,
    dcat,
    http_file,
    knmi,
    ndw_datex2,
    ogcapi_features,
    regions,
    wfs,
)
