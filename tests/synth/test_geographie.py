"""The synthetic communes tessellate the territory and hold their residences and QPV; their
contours are written as IGN Admin Express would publish them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import shape

from mixite.synth import GenerationResult
from mixite.synth.france import france_territories
from mixite.synth.geographie import _sector_of, build_geography
from mixite.synth.modele import load_model


@pytest.mark.parametrize(("dwellings", "seed"), [(2_500, 1), (40_000, 2025), (150_000, 11)])
def test_communes_tessellate_without_gap_or_overlap(dwellings: int, seed: int) -> None:
    geo = build_geography(np.random.default_rng(seed), load_model(), dwellings, "200000000", "x")
    shapes = geo.commune_shapes
    assert len(shapes) == len(geo.communes)
    assert all(s.geom_type == "Polygon" and s.is_valid and not s.is_empty for s in shapes)
    union = shapely.union_all(shapes)
    # no overlap: the areas add up to the area of the union (to 1 m² per commune)
    assert abs(sum(s.area for s in shapes) - union.area) < len(shapes)
    # no gap: the union is one polygon without holes
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    # neighbours share an edge (a line, not a point): the centre touches every inner suburb
    centre = shapes[0]
    for k, group in enumerate(geo.communes["group"]):
        if group == "banlieue":
            assert centre.intersection(shapes[k]).length > 100.0
    # each QPV lies inside its host commune
    for qpv, host in zip(geo.qpv_shapes, geo.qpv_commune, strict=True):
        assert shapes[host].buffer(1.0).contains(qpv)


def test_communes_are_not_discs_or_straight_sectors() -> None:
    """Plausible contours: the centre's edge is not a circle (its radius varies by more than
    10 %), and suburbs have unequal areas."""
    geo = build_geography(np.random.default_rng(3), load_model(), 40_000, "200000000", "x")
    centre = geo.commune_shapes[0]
    c = centre.centroid
    xy = np.asarray(centre.exterior.coords)
    radii = np.hypot(xy[:, 0] - c.x, xy[:, 1] - c.y)
    assert radii.max() / radii.min() > 1.1
    suburbs = [s.area for s, g in zip(geo.commune_shapes, geo.communes["group"], strict=True)]
    suburbs = [a for a, g in zip(suburbs, geo.communes["group"], strict=True) if g == "banlieue"]
    assert max(suburbs) / min(suburbs) > 1.2


def test_contours_file_holds_every_residence_of_its_commune(petite: GenerationResult) -> None:
    contours = json.loads(petite.paths["commune_contours"].read_text(encoding="utf-8"))
    features = contours["features"]
    communes = pd.read_csv(petite.paths["communes"], sep=";", dtype=str)
    assert [f["properties"]["INSEE_COM"] for f in features] == list(communes["code_commune"])
    assert [f["properties"]["NOM"] for f in features] == list(communes["nom_commune"])
    polygons = {f["properties"]["INSEE_COM"]: shape(f["geometry"]) for f in features}
    rpls = pd.read_csv(petite.paths["rpls"], sep=";", dtype={"DEPCOM": str})
    to_wgs = Transformer.from_crs(2154, 4326, always_xy=True)
    lon, lat = to_wgs.transform(rpls["X"].to_numpy(), rpls["Y"].to_numpy())
    for code, polygon in polygons.items():
        mine = (rpls["DEPCOM"] == code).to_numpy()
        # 1e-5° (about 1 m): the contours are rounded to 1e-6° when written
        inside = shapely.contains_xy(polygon.buffer(1e-5), lon[mine], lat[mine])
        assert inside.all(), code


def test_a_sliver_no_middle_ray_crosses_goes_to_the_sector_of_its_direction() -> None:
    """Four sectors of a quarter turn each from angle 0 around (0, 0): middle rays at 45°, 135°,
    225° and 315°. A 1 m square at (100, 5) lies at about 2.9° (atan(5.5/100.5)), crossed by no
    middle ray: by hand, its direction is in [0°, 90°[, the first sector (0); the same square
    at (5, -100) lies at about 273° (in [270°, 360°[): the last sector (3)."""
    bounds = np.array([0.0, 0.5, 1.0, 1.5, 2.0]) * np.pi
    east = shapely.box(100.0, 5.0, 101.0, 6.0)
    south = shapely.box(5.0, -101.0, 6.0, -100.0)
    assert _sector_of(east, 0.0, 0.0, 1_000.0, bounds) == 0
    assert _sector_of(south, 0.0, 0.0, 1_000.0, bounds) == 3
    # bounds starting past a full turn (an offset of 350°): the east square (2.9°, that is
    # 362.9°) is in the first sector [350°, 440°[
    shifted = bounds + np.deg2rad(350.0)
    assert _sector_of(east, 0.0, 0.0, 1_000.0, shifted) == 0


def test_strasbourg_outer_ring_tessellates() -> None:
    """Eurométropole de Strasbourg (33 communes, 27 of the outer ring) in the synthetic France:
    its tessellation left a 3 m² sliver that no sector's middle ray crossed, and the
    generation of the whole of France stopped on it (found by ``mixite generer --france``)."""
    territory = next(t for t in france_territories(2025, 2025) if t.siren == "246700488")
    rng = np.random.default_rng(np.random.SeedSequence([2025, int(territory.siren)]))
    r_geo = rng.spawn(4)[0]  # the generator's first child, as ``synth.generate`` draws it
    geo = build_geography(
        r_geo, territory.model(), territory.profile().dwellings, territory.siren, territory.name
    )
    shapes = geo.commune_shapes
    assert len(shapes) == 33
    union = shapely.union_all(shapes)
    assert abs(sum(s.area for s in shapes) - union.area) < len(shapes)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
