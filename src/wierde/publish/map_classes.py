"""Legend classes of a choropleth: class limits at quantiles of the regions' values, and the class of a value."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

CLASSES = 5


def quantile_breaks(values: Sequence[float], classes: int = CLASSES) -> list[float]:
    """Class limits that put about as many regions in each class (quantiles, interpolated between neighbours):
    the lowest value, the limits between classes, the highest value. Fewer classes when few values differ."""
    ordered = sorted(values)
    if not ordered:
        return []
    count = min(classes, len(set(ordered)))
    if count <= 1:
        return [_tidy(ordered[0]), _tidy(ordered[-1])]
    limits: list[float] = []
    for i in range(count + 1):
        position = (len(ordered) - 1) * i / count
        low = math.floor(position)
        high = min(low + 1, len(ordered) - 1)
        limit = _tidy(ordered[low] + (ordered[high] - ordered[low]) * (position - low))
        if not limits or limit > limits[-1]:
            limits.append(limit)
    return limits


def _tidy(value: float) -> float:
    """Six significant digits: enough for a legend, without the float noise of interpolation."""
    tidy = float(f"{value:.6g}")
    return int(tidy) if tidy.is_integer() and abs(tidy) < 2**53 else tidy


def class_of(value: float | None, breaks: Sequence[float]) -> int | None:
    """The class a value falls in: class i holds values above breaks[i] up to and including breaks[i + 1]
    (the first class also holds the lowest value itself)."""
    if value is None or len(breaks) < 2:
        return None
    return min(max(bisect.bisect_left(breaks, value, 1) - 1, 0), len(breaks) - 2)
