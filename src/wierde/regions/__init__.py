"""CBS regions (province, municipality, district, neighbourhood) as one hierarchy, so datasets join on region codes."""

from wierde.regions.codes import LEVELS, Level, RegionCodeError, level_of, validate_code
from wierde.regions.hierarchy import Region, RegionSet
from wierde.regions.keying import Keyed, key_points, key_shapes
from wierde.regions.mergers import MERGERS, CodeChange, CodeMapping, MappedCodes, NonAdditiveError, map_codes
from wierde.regions.names import AmbiguousNameError, Resolved, UnknownNameError, explain, resolve

__all__ = [
    "LEVELS",
    "MERGERS",
    "AmbiguousNameError",
    "CodeChange",
    "CodeMapping",
    "Keyed",
    "Level",
    "MappedCodes",
    "NonAdditiveError",
    "Region",
    "RegionCodeError",
    "RegionSet",
    "Resolved",
    "UnknownNameError",
    "explain",
    "key_points",
    "key_shapes",
    "level_of",
    "map_codes",
    "resolve",
    "validate_code",
]
