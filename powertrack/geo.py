"""Great-circle geometry for the geo operators."""

from __future__ import annotations

import math

__all__ = ["EARTH_RADIUS_KM", "KM_PER_MILE", "box_side_lengths_km", "haversine_km"]

EARTH_RADIUS_KM = 6371.0088
KM_PER_MILE = 1.609344


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in kilometres between two (longitude, latitude) points."""
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def box_side_lengths_km(
    west: float, south: float, east: float, north: float
) -> tuple[float, float]:
    """(width, height) of a lon/lat box in kilometres; width measured along its widest latitude."""
    widest_lat = 0.0 if south <= 0.0 <= north else min(abs(south), abs(north))
    width = haversine_km(west, widest_lat, east, widest_lat)
    height = haversine_km(west, south, west, north)
    return width, height
