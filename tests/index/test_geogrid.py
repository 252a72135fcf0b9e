"""The geo grid never loses a point that the exact geometry accepts."""

from __future__ import annotations

import math

from hypothesis import assume, given
from hypothesis import strategies as st

from powertrack.geo import EARTH_RADIUS_KM, haversine_km
from powertrack.index.geogrid import MAX_CELLS, box_cells, cell_of, circle_cells
from powertrack.rules.semantics import point_in_box

_lons = st.floats(min_value=-180.0, max_value=180.0)
_lats = st.floats(min_value=-89.0, max_value=89.0)
_radii = st.floats(min_value=0.01, max_value=40.3)


def _destination(lon: float, lat: float, bearing: float, km: float) -> tuple[float, float]:
    phi, lam, theta, delta = (
        math.radians(lat),
        math.radians(lon),
        math.radians(bearing),
        km / EARTH_RADIUS_KM,
    )
    phi2 = math.asin(
        math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta)
    )
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi),
        math.cos(delta) - math.sin(phi) * math.sin(phi2),
    )
    return (math.degrees(lam2) + 540.0) % 360.0 - 180.0, math.degrees(phi2)


@given(_lons, _lats, _radii, st.floats(0.0, 360.0), st.floats(0.0, 1.0))
def test_points_inside_a_circle_fall_in_its_cells(
    lon: float, lat: float, radius: float, bearing: float, fraction: float
) -> None:
    cells = circle_cells(lon, lat, radius)
    assume(cells is not None)
    assert cells is not None
    point = _destination(lon, lat, bearing, radius * fraction)
    if haversine_km(point[0], point[1], lon, lat) <= radius:
        assert cell_of(*point) in cells


@given(_lons, _lats, st.floats(0.001, 0.4), st.floats(0.001, 0.4), st.floats(0, 1), st.floats(0, 1))
def test_points_inside_a_box_fall_in_its_cells(
    west: float, south: float, width: float, height: float, x: float, y: float
) -> None:
    east = (west + width + 180.0) % 360.0 - 180.0
    north = min(90.0, south + height)
    cells = box_cells(west, south, east, north)
    assume(cells is not None)
    assert cells is not None
    point = ((west + width * x + 180.0) % 360.0 - 180.0, south + (north - south) * y)
    if point_in_box(point, (west, south, east, north)):
        assert cell_of(*point) in cells


def test_antimeridian_circle_spans_both_sides() -> None:
    cells = circle_cells(179.99, 0.0, 10.0)
    assert cells is not None
    assert cell_of(-179.99, 0.0) in cells
    assert cell_of(179.99, 0.0) in cells


def test_polar_areas_fall_back() -> None:
    assert circle_cells(0.0, 89.9, 40.0) is None
    cells = circle_cells(2.35, 48.86, 40.0)
    assert cells is not None
    assert len(cells) <= MAX_CELLS
