"""Grid boundaries as GeoJSON (a Polygon or MultiPolygon in WGS84 longitude/latitude)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

GEOMETRY_TYPES = {"Polygon", "MultiPolygon"}


def _geometry(value: dict) -> dict:
    if value.get("type") == "Feature":
        return value.get("geometry") or {}
    return value


def _check_ring(ring: Any) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise ValidationError(_("Each boundary ring needs at least 4 points."))
    for point in ring:
        if (
            not isinstance(point, list | tuple)
            or len(point) < 2
            or not all(isinstance(c, int | float) for c in point[:2])
        ):
            raise ValidationError(_("Boundary points must be [longitude, latitude] numbers."))
        lon, lat = point[0], point[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValidationError(
                _("Boundary point %(point)s is not a longitude/latitude.") % {"point": point[:2]}
            )
    if list(ring[0][:2]) != list(ring[-1][:2]):
        raise ValidationError(_("A boundary ring must end where it starts."))


def validate_boundary(value: Any) -> None:
    if value in (None, ""):
        return
    if not isinstance(value, dict):
        raise ValidationError(_("The boundary must be a GeoJSON object."))
    geometry = _geometry(value)
    kind = geometry.get("type")
    if kind not in GEOMETRY_TYPES:
        raise ValidationError(_("The boundary must be a GeoJSON Polygon or MultiPolygon."))
    polygons = [geometry.get("coordinates")] if kind == "Polygon" else geometry.get("coordinates")
    if not isinstance(polygons, list) or not polygons:
        raise ValidationError(_("The boundary has no coordinates."))
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise ValidationError(_("The boundary has no coordinates."))
        for ring in polygon:
            _check_ring(ring)


def feature_collection(regions) -> dict:
    """A GeoJSON FeatureCollection of the regions that have a boundary (for the map chart)."""
    features = [
        {
            "type": "Feature",
            "properties": {"name": region.name, "id": region.pk},
            "geometry": _geometry(region.boundary),
        }
        for region in regions
        if region.boundary
    ]
    return {"type": "FeatureCollection", "features": features}
