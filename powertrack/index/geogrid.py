"""A coarse grid over the globe, so geo rules are candidates only near their area.

A ``point_radius:`` or ``bounding_box:`` rule is posted under the grid cells
its area overlaps. A tweet offers one cell: the cell of its exact point when
it has one, else the cell of its place box's south-west corner. That is a
necessary condition for a match: the point must lie in the area, or (with no
point) the whole place box, and so its south-west corner, must.
"""

from __future__ import annotations

import math

from powertrack.geo import EARTH_RADIUS_KM

__all__ = ["CELL_DEGREES", "MAX_CELLS", "box_cells", "cell_of", "circle_cells"]

CELL_DEGREES = 0.5
# An area spanning more cells than this (near the poles) is posted under the
# plain "has geo" key instead.
MAX_CELLS = 36
_COLUMNS = round(360 / CELL_DEGREES)
# Widens every area a little, so that float rounding in the cell arithmetic
# can never drop a cell the exact geometry touches.
_MARGIN_DEGREES = 1e-6


def _column(lon: float) -> int:
    return math.floor(((lon + 180.0) % 360.0) / CELL_DEGREES) % _COLUMNS


def _row(lat: float) -> int:
    return math.floor((lat + 90.0) / CELL_DEGREES)


def cell_of(lon: float, lat: float) -> str:
    """The cell holding a (longitude, latitude) point."""
    return f"{_column(lon)}:{_row(lat)}"


def _columns(west: float, east: float) -> list[int] | None:
    """Columns from ``west`` eastwards to ``east`` (wrapping across the antimeridian)."""
    first, last = _column(west), _column(east)
    count = (last - first) % _COLUMNS + 1
    if west > east and first == last:
        count = _COLUMNS
    if count > MAX_CELLS:
        return None
    return [(first + step) % _COLUMNS for step in range(count)]


def _cells(west: float, south: float, east: float, north: float) -> list[str] | None:
    columns = _columns(west - _MARGIN_DEGREES, east + _MARGIN_DEGREES)
    if columns is None:
        return None
    first_row = _row(max(-90.0, south - _MARGIN_DEGREES))
    rows = range(first_row, _row(min(90.0, north + _MARGIN_DEGREES)) + 1)
    if len(columns) * len(rows) > MAX_CELLS:
        return None
    return [f"{column}:{row}" for column in columns for row in rows]


def box_cells(west: float, south: float, east: float, north: float) -> list[str] | None:
    """Cells a box overlaps (west > east wraps the antimeridian); None when too many."""
    return _cells(west, south, east, north)


def circle_cells(lon: float, lat: float, radius_km: float) -> list[str] | None:
    """Cells the circle's enclosing lon/lat box overlaps; None when too many or polar."""
    angular = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angular)
    if abs(lat) + dlat >= 90.0:
        return None
    # The widest longitude span of a spherical cap that excludes the poles.
    ratio = math.sin(angular) / math.cos(math.radians(lat))
    if ratio >= 1.0:
        return None
    dlon = math.degrees(math.asin(ratio)) * 1.0001
    return _cells(lon - dlon, lat - dlat * 1.0001, lon + dlon, lat + dlat * 1.0001)
