"""District boundaries for the choropleth maps: an optional GeoJSON file (`EDUSANDBOX_BOUNDARIES`).

Features are keyed "TH" + DOPA district code in `properties.adm2_pcode` (UN OCHA COD-AB, as in
../shared/data/geo/districts_4provinces.geojson). When the file is not configured, missing or unusable, the
maps are switched off and the page says why; nothing else depends on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

FEATURE_KEY = "adm2_pcode"
KEY_PREFIX = "TH"
SETTING = "EDUSANDBOX_BOUNDARIES"


@dataclass(frozen=True)
class Boundaries:
    """District features by "TH" + code, or the reason there are none (the maps are then off)."""

    features: dict[str, dict] = field(default_factory=dict)
    off_reason_th: str = ""
    off_reason_en: str = ""
    source_name: str = ""

    @property
    def available(self) -> bool:
        return bool(self.features)

    def for_province(self, province_code: str) -> dict:
        """A FeatureCollection with the province's districts only (keys sorted: deterministic output)."""
        prefix = f"{KEY_PREFIX}{province_code}"
        chosen = [self.features[k] for k in sorted(self.features) if k.startswith(prefix) and len(k) == 6]
        return {"type": "FeatureCollection", "features": chosen}


def district_key(district_code: str) -> str:
    """'9501' → 'TH9501', the GeoJSON key of a DOPA district code."""
    return f"{KEY_PREFIX}{district_code}"


def _off(reason_th: str, reason_en: str, source_name: str = "") -> Boundaries:
    return Boundaries(off_reason_th=reason_th, off_reason_en=reason_en, source_name=source_name)


def _nesting(value: object) -> int:
    """How deep the first element of nested coordinate lists goes (a point is 1)."""
    depth = 0
    while isinstance(value, list) and value:
        value, depth = value[0], depth + 1
    return depth


def _signed_area(ring: list[list[float]]) -> float:
    """Shoelace area in degrees²: positive when the ring runs counter-clockwise (lon east, lat north)."""
    pairs = zip(ring, ring[1:] + ring[:1], strict=True)
    return sum(x1 * y2 - x2 * y1 for (x1, y1, *_), (x2, y2, *_) in pairs) / 2


def _wound_for_d3(polygon: list[list[list[float]]]) -> list[list[list[float]]]:
    """d3-geo (plotly.js) reads ring direction on the sphere: the outer ring must run clockwise and holes
    counter-clockwise, the opposite of RFC 7946. A wrongly wound district would fill the whole globe."""
    wound = []
    for n, ring in enumerate(polygon):
        clockwise = _signed_area(ring) < 0
        wound.append(ring if clockwise == (n == 0) else ring[::-1])
    return wound


def _polygons(geometry: dict) -> list[list[list[list[float]]]] | None:
    """The geometry's polygons, whatever its type claims. Real files mislabel: the mapthai district file types
    30 of its 31 districts MultiPolygon but nests their coordinates as a single Polygon."""
    coordinates = geometry.get("coordinates")
    if geometry.get("type") not in {"Polygon", "MultiPolygon"} or not isinstance(coordinates, list):
        return None
    depth = _nesting(coordinates)
    if depth == 3:
        return [coordinates]
    if depth == 4:
        return coordinates
    return None


def _normalised(feature: dict) -> dict | None:
    """A copy of the feature as a correctly nested, d3-wound MultiPolygon; None if it has no polygon."""
    polygons = _polygons(feature.get("geometry") or {})
    if not polygons:
        return None
    geometry = {"type": "MultiPolygon", "coordinates": [_wound_for_d3(p) for p in polygons]}
    return {"type": "Feature", "properties": dict(feature.get("properties") or {}), "geometry": geometry}


def _features_by_key(document: object) -> dict[str, dict]:
    """Usable district features of a GeoJSON FeatureCollection, normalised, by their key."""
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        return {}
    found: dict[str, dict] = {}
    for feature in document.get("features") or []:
        if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
            continue
        key = (feature.get("properties") or {}).get(FEATURE_KEY)
        normalised = _normalised(feature)
        if isinstance(key, str) and key.startswith(KEY_PREFIX) and normalised is not None:
            found[key] = normalised
    return found


def load_boundaries(path: Path | None) -> Boundaries:
    """The configured boundaries, or a Boundaries whose off_reason says (in Thai and English) why not."""
    if path is None:
        return _off(f"ยังไม่ได้ตั้งค่าไฟล์ขอบเขตอำเภอ ({SETTING})",
                    f"no district boundaries file is configured ({SETTING} is not set)")
    name = Path(path).name
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _off(f"ไม่พบไฟล์ขอบเขตอำเภอ {name}", f"the boundaries file {name} was not found", name)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return _off(f"อ่านไฟล์ขอบเขตอำเภอ {name} ไม่ได้", f"the boundaries file {name} could not be read "
                    f"({type(error).__name__})", name)
    features = _features_by_key(document)
    if not features:
        return _off(f"ไฟล์ {name} ไม่มีขอบเขตอำเภอที่มีรหัส {FEATURE_KEY}",
                    f"{name} holds no district features keyed by properties.{FEATURE_KEY}", name)
    return Boundaries(features=features, source_name=name)
