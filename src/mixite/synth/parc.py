"""Landlords, residences (programmes) placed in space, dwellings and reservation conventions.

Every function is pure: ``(rng, model, previous tables) → table``. Dwellings are generated per
chunk of residences so that national-scale territories fit in bounded memory.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from mixite.schema import FINAN_FAMILY, LANDLORDS, RESERVATIONS
from mixite.synth._util import masked
from mixite.synth.geographie import Geography, points_in, qpv_of_points

#: FINAN_CODE → RPLS label (``docs/donnees-officielles.md`` §1.4 (Codes de financement)).
FINAN_LABELS: dict[str, str] = {
    "10": "PLA d’intégration/LLTS dans les DOM",
    "11": "PLA loyer minoré, PLA très social",
    "12": "PLA ordinaire",
    "13": "PLUS/LLS dans les DOM",
    "14": "PLS, PPLS, PCLS, PLA CFF",
    "15": "PAP locatif",
    "16": "PLI",
    "17": "PCL",
    "49": "Autre financement à partir de 1977",
    "50": "HBM",
    "51": "PLR, PSR",
    "52": "HLM/O",
    "53": "ILM",
    "54": "ILN",
    "55": "Prêts spéciaux du CFF",
    "99": "Autre financement avant 1977",
}
#: Initial financing by construction era: (codes, probabilities).
_FINAN_BY_ERA: tuple[tuple[tuple[str, ...], tuple[float, ...]], ...] = (
    (("52", "50", "51", "53", "54", "99"), (0.80, 0.03, 0.05, 0.05, 0.03, 0.04)),
    (("12", "11", "14", "16", "17", "49"), (0.70, 0.10, 0.08, 0.03, 0.04, 0.05)),
    (("13", "10", "14"), (0.58, 0.27, 0.15)),
)
_NON_CONVENTIONED = {"16", "17", "49"}
_STREET_TYPES = ("RUE", "AV", "ALL", "BD", "PL", "IMP", "CHE", "SQ")
_STREET_NAMES = (
    "DES LILAS",
    "JEAN JAURES",
    "VICTOR HUGO",
    "DU 8 MAI 1945",
    "DES ROSIERS",
    "PABLO PICASSO",
    "DE LA REPUBLIQUE",
    "LOUISE MICHEL",
    "DES ERABLES",
    "GEORGE SAND",
    "DU MOULIN",
    "PIERRE BROSSOLETTE",
    "DES CHARMILLES",
    "JEAN MOULIN",
    "DE LA GARE",
    "SIMONE VEIL",
    "DES TANNEURS",
    "GUSTAVE EIFFEL",
    "DU STADE",
    "MARIE CURIE",
)


def build_landlords(model: dict[str, Any]) -> pd.DataFrame:
    """The landlords of the territory (canonical ``landlords`` frame)."""
    rows = [(b["siren"], b["nom"], b["categorie"]) for b in model["bailleurs"]]
    return pd.DataFrame(rows, columns=LANDLORDS.names)


def landlord_profiles(model: dict[str, Any]) -> np.ndarray:
    """Per landlord of the model (in order): the index of its profile outside QPV
    (``profil_hors_qpv``), -1 when it follows the territory-wide rules."""
    out = np.full(len(model["bailleurs"]), -1, dtype=np.int64)
    for b, spec in enumerate(model["bailleurs"]):
        if spec.get("profil_hors_qpv") is not None:
            out[b] = b
    return out


def _split(rng: np.random.Generator, total: int, mean: float, sigma: float) -> np.ndarray:
    """Residence sizes (lognormal around ``mean``) summing exactly to ``total``."""
    if total <= 0:
        return np.zeros(0, dtype=np.int64)
    n_guess = int(total / mean * 1.5) + 4
    mu = np.log(mean) - sigma**2 / 2
    sizes = np.maximum(1, np.round(rng.lognormal(mu, sigma, n_guess))).astype(np.int64)
    while sizes.sum() < total:
        sizes = np.concatenate([sizes, sizes])
    cum = np.cumsum(sizes)
    k = int(np.searchsorted(cum, total))
    out = sizes[: k + 1].copy()
    out[-1] -= int(cum[k] - total)
    return out[out > 0]


def _eras(rng: np.random.Generator, spec: list[list[float]], n: int, last_year: int) -> np.ndarray:
    """Construction years drawn from eras ``[start, end, weight]`` (the last era ends at
    ``last_year``)."""
    w = np.array([e[2] for e in spec], dtype=float)
    idx = rng.choice(len(spec), size=n, p=w / w.sum())
    starts = np.array([e[0] for e in spec], dtype=np.int64)
    ends = np.array([e[1] for e in spec], dtype=np.int64)
    ends[-1] = last_year
    return np.asarray(rng.integers(starts[idx], ends[idx] + 1), dtype=np.int64)


def build_residences(
    rng: np.random.Generator,
    model: dict[str, Any],
    geo: Geography,
    landlords: pd.DataFrame,
    dwellings: int,
    millesime: int,
) -> pd.DataFrame:
    """Residences with their size, place (Lambert-93, commune, QPV by point in polygon),
    landlord, construction year, construction type and fragility flag.

    Columns: residence_id, n_dwellings, commune_idx, group, x, y, qpv_code, landlord_id,
    landlord_name, construction_year, first_letting_year, construction_type, fragile,
    street_number, street_type, street_name, profile (index of the landlord's profile outside
    QPV in the model's ``bailleurs``, -1 when none applies), rent_effect, income_effect."""
    res_m = model["residences"]
    geo_m = model["geographie"]
    target_qpv = round(float(model["cibles"]["part_qpv"]["valeur"]) * dwellings)
    groups = geo.communes["group"].to_numpy()

    # QPV dwellings per QPV, by commune group
    gq = {k: float(v) for k, v in geo_m["part_qpv_groupe"].items()}
    qgroups = [str(groups[h]) for h in geo.qpv_commune]
    present = {g: qgroups.count(g) for g in set(qgroups)}
    wsum = sum(gq[g] for g in present)
    qpv_w = np.array([gq[g] / wsum / present[g] for g in qgroups]) * rng.uniform(
        0.7, 1.3, len(qgroups)
    )
    qpv_counts = np.floor(qpv_w / qpv_w.sum() * target_qpv).astype(np.int64)
    qpv_counts[0] += target_qpv - int(qpv_counts.sum())

    # Non-QPV dwellings per commune (real communes: their own share of the stock)
    share = {k: float(v) for k, v in geo_m["part_stock"].items()}
    com_w = np.array([share[g] for g in groups]) / np.array(
        [int((groups == g).sum()) for g in groups]
    )
    com_w = com_w * rng.dirichlet(np.full(len(groups), 4.0)) * len(groups)
    if "weight" in geo.communes:
        com_w = geo.communes["weight"].to_numpy(dtype=float) + 1e-9
    rest = dwellings - target_qpv
    com_counts = np.floor(com_w / com_w.sum() * rest).astype(np.int64)
    com_counts[0] += rest - int(com_counts.sum())

    parts: list[dict[str, Any]] = []
    all_qpv = shapely.union_all(geo.qpv_shapes)
    tq, th, ti = res_m["taille_qpv"], res_m["taille_hors_qpv"], res_m["taille_individuel"]
    for k, total in enumerate(qpv_counts):
        n_ind = round(int(total) * float(res_m["part_individuel_qpv"]))
        for kind, n_sub, spec in (("individuel", n_ind, ti), ("collectif", int(total) - n_ind, tq)):
            sizes = _split(rng, n_sub, float(spec["moyenne"]), float(spec["sigma"]))
            x, y = points_in(rng, geo.qpv_shapes[k], len(sizes))
            parts.append(
                {"sizes": sizes, "commune": geo.qpv_commune[k], "x": x, "y": y, "kind": kind}
            )
    for c, total in enumerate(com_counts):
        n_ind = round(
            int(total)
            * float(res_m["part_individuel_hors_qpv"])
            * (1.8 if groups[c] == "couronne" else 0.8)
        )
        n_etu = round(
            int(total)
            * float(res_m["part_etudiant_hors_qpv"])
            * (2.0 if groups[c] == "centre" else 0.5)
        )
        n_col = int(total) - n_ind - n_etu
        for kind, n_sub, spec in (
            ("individuel", n_ind, ti),
            ("etudiant", n_etu, th),
            ("collectif", n_col, th),
        ):
            sizes = _split(rng, n_sub, float(spec["moyenne"]), float(spec["sigma"]))
            x, y = points_in(rng, geo.commune_shapes[c], len(sizes), exclude=all_qpv)
            parts.append({"sizes": sizes, "commune": c, "x": x, "y": y, "kind": kind})

    sizes = np.concatenate([p["sizes"] for p in parts])
    n = len(sizes)
    x = np.concatenate([p["x"] for p in parts])
    y = np.concatenate([p["y"] for p in parts])
    commune_idx = np.concatenate([np.full(len(p["sizes"]), p["commune"]) for p in parts])
    kind = np.concatenate([np.full(len(p["sizes"]), p["kind"], dtype=object) for p in parts])
    # shuffle so that ids do not reveal QPV membership
    order = rng.permutation(n)
    sizes, x, y, commune_idx, kind = (
        sizes[order],
        x[order],
        y[order],
        commune_idx[order],
        kind[order],
    )
    qpv_code = qpv_of_points(geo, x, y)
    in_qpv = np.asarray(pd.notna(qpv_code), dtype=bool)

    years = np.where(
        in_qpv,
        _eras(rng, res_m["epoques_qpv"], n, millesime - 2),
        _eras(rng, res_m["epoques_hors_qpv"], n, millesime - 2),
    )
    # new dwellings: put into service during millesime-1 (first letting), outside QPV
    new_target = float(model["cibles"]["mises_en_service"]["valeur"]) * dwellings
    modern = (~in_qpv) & (years >= 2000)
    # take modern residences in random order until the target number of new dwellings is met
    candidates = rng.permutation(np.flatnonzero(modern))
    taken = candidates[: int(np.searchsorted(np.cumsum(sizes[candidates]), new_target)) + 1]
    is_new = np.zeros(n, dtype=bool)
    is_new[taken] = True
    years = np.where(is_new, millesime - 1, years)
    first_letting = np.where(
        is_new, millesime - 1, np.minimum(millesime - 2, years + (rng.random(n) < 0.15))
    )

    weights = np.array(
        [
            [float(b["qpv"]) for b in model["bailleurs"]],
            [float(b["hors_qpv"]) for b in model["bailleurs"]],
        ]
    )
    u = rng.random(n)
    cum_q = np.cumsum(weights[0] / weights[0].sum())
    cum_h = np.cumsum(weights[1] / weights[1].sum())
    lidx = np.where(
        in_qpv,
        np.minimum(np.searchsorted(cum_q, u, side="right"), len(cum_q) - 1),
        np.minimum(np.searchsorted(cum_h, u, side="right"), len(cum_h) - 1),
    )
    fragile = (
        (~in_qpv) & (kind == "collectif") & (rng.random(n) < float(res_m["part_fragiles_hors_qpv"]))
    )
    rent_effect = np.exp(rng.normal(0.0, 0.06, n))
    income_effect = np.exp(rng.normal(0.0, float(model["menages"]["sigma_residence"]), n))
    # landlords with their own profile outside QPV (e.g. a SEM's recent intermediate stock):
    # their collective residences outside QPV take the profile's construction eras
    profile = np.where((~in_qpv) & (kind != "etudiant"), landlord_profiles(model)[lidx], -1).astype(
        np.int64
    )
    for b, spec in enumerate(model["bailleurs"]):
        prof = spec.get("profil_hors_qpv")
        m = (profile == b) & (~is_new)
        if prof is None or not m.any():
            continue
        years[m] = _eras(rng, prof["epoques"], int(m.sum()), millesime - 2)
        first_letting[m] = np.minimum(millesime - 2, years[m] + (rng.random(int(m.sum())) < 0.15))
    return pd.DataFrame(
        {
            "residence_id": [f"P{i + 1:07d}" for i in range(n)],
            "n_dwellings": sizes,
            "commune_idx": commune_idx.astype(np.int64),
            "group": groups[commune_idx],
            "x": x,
            "y": y,
            "qpv_code": qpv_code,
            "landlord_id": landlords["landlord_id"].to_numpy()[lidx],
            "landlord_name": landlords["landlord_name"].to_numpy()[lidx],
            "construction_year": years.astype(np.int64),
            "first_letting_year": first_letting.astype(np.int64),
            "construction_type": kind,
            "fragile": fragile,
            "street_number": rng.integers(1, 120, n),
            "street_type": rng.choice(np.array(_STREET_TYPES, dtype=object), n),
            "street_name": rng.choice(np.array(_STREET_NAMES, dtype=object), n),
            "profile": profile,
            "rent_effect": rent_effect,
            "income_effect": income_effect,
        }
    )


def build_reservations(
    rng: np.random.Generator,
    model: dict[str, Any],
    landlords: pd.DataFrame,
    residences: pd.DataFrame,
    communes: pd.DataFrame,
) -> pd.DataFrame:
    """Reservation conventions in flux, one per landlord × reservataire as a legal person
    (docs/droit.md §6): the préfet's two contingents, Action Logement Services and the EPCI take
    a share of the landlord's flow in the département; each commune where the landlord has
    dwellings takes a share of the landlord's flow in that commune (conventions per commune,
    CCH R441-5); the landlord keeps the rest (row ``bailleur``, its own SIREN)."""
    spec = model["reservations"]
    epci = str(communes["epci"].iloc[0])
    stock = residences.groupby(["landlord_id", "commune_idx"])["n_dwellings"].sum()
    rows: list[tuple[str, str, str | None, float, str | None]] = []
    for lid in landlords["landlord_id"]:
        al = round(float(spec["action_logement"]) * float(rng.uniform(0.8, 1.2)), 3)
        com_share = round(float(spec["commune"]) * float(rng.uniform(0.7, 1.3)), 3)
        shares: list[tuple[str, str | None, float]] = [
            ("etat_prioritaire", None, float(spec["etat_prioritaire"])),
            ("etat_agents", None, float(spec["etat_agents"])),
            ("action_logement", None, al),
            ("epci", epci, float(spec["epci"])),
        ]
        own = stock.loc[lid] if lid in stock.index.get_level_values(0) else pd.Series(dtype=float)
        kept = round(1.0 - sum(s for _, _, s in shares) - com_share, 4)
        for cidx, n in own.items():
            if float(n) > 0:
                commune = str(communes["commune"].iloc[int(str(cidx))])
                shares.append(("commune", commune, com_share))
        shares.append(("bailleur", str(lid), kept))
        rows.extend((str(lid), r, rid, s, None) for r, rid, s in shares if s > 0)
    return pd.DataFrame(rows, columns=RESERVATIONS.names)


def _dpe(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    """DPE class index 0..6 (A..G): older buildings score worse."""
    base = np.where(
        years < 1977, 3.6, np.where(years < 2000, 2.8, np.where(years < 2013, 2.0, 1.0))
    )
    return np.clip(np.round(base + rng.normal(0, 0.9, len(years))), 0, 6).astype(np.int64)


def build_dwellings(
    rng: np.random.Generator,
    model: dict[str, Any],
    residences: pd.DataFrame,
    millesime: int,
    first_id: int,
    turnover: float,
) -> pd.DataFrame:
    """One row per dwelling of ``residences`` with the RPLS content: rooms, surface, years,
    financing, DPE, rent, occupancy mode, lease start (``BAIL``) and vacancy date.

    Rents (€/month) follow financing family, era, commune group, QPV and surface. The yearly
    turnover applies to dwellings let before ``millesime - 1``: their lease starts in
    ``millesime - 1`` with probability ``turnover`` scaled to the let share."""
    lg = model["logements"]
    rep = residences["n_dwellings"].to_numpy()
    n = int(rep.sum())
    r = {c: np.repeat(residences[c].to_numpy(), rep) for c in residences.columns}
    in_qpv = np.asarray(pd.notna(r["qpv_code"]), dtype=bool)
    kind = r["construction_type"]
    years = r["construction_year"]

    p_q, p_h, p_i = (
        np.array(lg[k], dtype=float) for k in ("pieces_qpv", "pieces_hors_qpv", "pieces_individuel")
    )
    u = rng.random(n)
    rooms = np.where(
        kind == "individuel",
        np.searchsorted(np.cumsum(p_i / p_i.sum()), u, side="right"),
        np.where(
            in_qpv,
            np.searchsorted(np.cumsum(p_q / p_q.sum()), u, side="right"),
            np.searchsorted(np.cumsum(p_h / p_h.sum()), u, side="right"),
        ),
    )
    profile = np.asarray(r["profile"], dtype=np.int64)
    profiles = {
        b: spec["profil_hors_qpv"]
        for b, spec in enumerate(model["bailleurs"])
        if spec.get("profil_hors_qpv") is not None
    }
    for b, prof in profiles.items():
        m = profile == b
        p_b = np.array(prof["pieces"], dtype=float)
        rooms[m] = np.searchsorted(np.cumsum(p_b / p_b.sum()), u[m], side="right")
    rooms = np.minimum(rooms, 4) + 1
    rooms = np.where((rooms == 5) & (rng.random(n) < 0.2), 6, rooms)
    rooms = np.where(kind == "etudiant", 1, rooms)
    surf_base = np.array(lg["surface_par_pieces"], dtype=float)[rooms - 1]
    surface = np.round(
        surf_base
        * np.exp(rng.normal(0, 0.09, n))
        * np.where(kind == "individuel", 1.1, 1.0)
        * np.where(kind == "etudiant", 0.65, 1.0),
        1,
    )
    surface_factor = np.ones(n)
    for b, prof in profiles.items():
        surface_factor[profile == b] = float(prof.get("surface", 1.0))
    surface = np.round(surface * surface_factor, 1)
    surface = np.clip(surface, 9.0, 250.0)

    era = np.where(years < 1977, 0, np.where(years < 2000, 1, 2))
    finan = np.empty(n, dtype=object)
    for e, (codes, probs) in enumerate(_FINAN_BY_ERA):
        m = era == e
        finan[m] = rng.choice(np.array(codes, dtype=object), int(m.sum()), p=np.array(probs))
    rent_factor = np.ones(n)
    for b, prof in profiles.items():
        m = profile == b
        codes_b = np.array([str(c) for c in prof["financements"]], dtype=object)
        probs_b = np.array([float(v) for v in prof["financements"].values()])
        finan[m] = rng.choice(codes_b, int(m.sum()), p=probs_b / probs_b.sum())
        rent_factor[m] = float(prof.get("loyer_facteur", 1.0))
    family = pd.Series(finan).map(FINAN_FAMILY).to_numpy()
    base = (
        pd.Series(family)
        .map({k: float(v) for k, v in lg["loyer_base"].items()})
        .to_numpy(dtype=float)
    )
    # financings with their own rent level (intermediate rents: PLI)
    for code, value in lg.get("loyer_financement", {}).items():
        base = np.where(finan == str(code), float(value), base)
    era_factor = np.clip(1.0 + float(lg["loyer_par_an"]) * (years - 1990), 0.85, 1.25)
    com_factor = (
        pd.Series(r["group"])
        .map({k: float(v) for k, v in lg["loyer_commune"].items()})
        .to_numpy(dtype=float)
    )
    qpv_factor = np.where(in_qpv, float(lg["loyer_qpv"]), 1.0)
    rent_m2 = (
        base
        * rent_factor
        * era_factor
        * com_factor
        * qpv_factor
        * r["rent_effect"]
        * np.exp(rng.normal(0, 0.03, n))
        * (surface / 65.0) ** -0.15
    )
    rent = np.round(rent_m2 * surface, 2)

    modes_q = np.array(lg["modes_qpv"], dtype=float)
    modes_h = np.array(lg["modes_hors_qpv"], dtype=float)
    u = rng.random(n)
    mode = 1 + np.where(
        in_qpv,
        np.searchsorted(np.cumsum(modes_q / modes_q.sum()), u, side="right"),
        np.searchsorted(np.cumsum(modes_h / modes_h.sum()), u, side="right"),
    )
    mode = np.minimum(mode, 5)

    prev = millesime - 1
    is_new = r["first_letting_year"] == prev
    let_share = np.where(
        in_qpv, modes_q[0] / (modes_q[0] + modes_q[1]), modes_h[0] / (modes_h[0] + modes_h[1])
    )
    # QPV stock turns over faster; the weights keep the territory average at ``turnover``
    f_q = float(lg["rotation_qpv_facteur"])
    s_q = float(model["cibles"]["part_qpv"]["valeur"])
    f_h = (1.0 - s_q * f_q) / (1.0 - s_q)
    p_lease = turnover * np.where(in_qpv, f_q, f_h) / let_share
    leased = (mode != 2) & (mode != 3)
    k = rng.geometric(np.clip(p_lease, 1e-6, 1.0))  # years since the lease started (1 = prev)
    max_back = np.maximum(1, prev - r["first_letting_year"] + 1)
    k = np.minimum(k, max_back)
    k = np.where(mode == 1, k, np.maximum(k, 2))
    k = np.where(is_new, 1, k)
    lease_year = prev - k + 1
    day = rng.integers(0, 365, n)
    lease = pd.to_datetime(
        pd.Series(lease_year.astype(np.int64)).astype(str) + "-01-01"
    ) + pd.to_timedelta(day, unit="D")
    lease = lease.where(pd.Series(leased))
    vac_long = rng.random(n) < float(lg["part_vacance_longue"])
    vday = np.where(vac_long, rng.integers(0, 365 + 273, n) - 365, rng.integers(273, 365, n))
    vacancy = pd.Series(pd.Timestamp(f"{prev}-01-01") + pd.to_timedelta(vday, unit="D"))
    vacancy = vacancy.where(pd.Series(mode == 2))

    dpe = _dpe(rng, years)
    no_dpe = rng.random(n) < float(lg["part_dpe_absent"])
    dpe_energy = masked(np.array(list("ABCDEFG"), dtype=object)[dpe], ~no_dpe)
    ges = np.clip(dpe + rng.integers(-1, 2, n), 0, 6)
    dpe_ges = masked(np.array(list("ABCDEFG"), dtype=object)[ges], ~no_dpe)
    dpe_year = np.minimum(prev, np.maximum(years, 2013 + rng.integers(0, 12, n)))
    dpe_date = masked(
        np.char.add(
            np.char.add(np.char.zfill(rng.integers(1, 13, n).astype(str), 2), "/"),
            dpe_year.astype(str),
        ),
        ~no_dpe,
    )
    within = np.concatenate([np.arange(s) for s in rep]) if n else np.zeros(0, dtype=np.int64)
    # floor: dwellings stacked on 9 levels in QPV towers, 5 elsewhere, ground floor for houses
    floors = np.where(kind == "individuel", 0, within % np.where(in_qpv, 9, 5))
    building = np.where((kind == "collectif") & (rep.repeat(rep) > 20), within // 20, -1)
    return pd.DataFrame(
        {
            "dwelling_id": [f"L{first_id + i:09d}" for i in range(n)],
            "residence_id": r["residence_id"],
            "landlord_id": r["landlord_id"],
            "landlord_name": r["landlord_name"],
            "commune_idx": r["commune_idx"],
            "group": r["group"],
            "qpv_code": r["qpv_code"],
            "in_qpv": in_qpv,
            "x": r["x"],
            "y": r["y"],
            "construction_type": kind,
            "rooms": rooms.astype(np.int64),
            "surface": surface,
            "construction_year": years.astype(np.int64),
            "first_letting_year": r["first_letting_year"].astype(np.int64),
            "finan_code": finan,
            "finan_family": family,
            "conventionne": ~np.isin(finan, list(_NON_CONVENTIONED)),
            "new_dwelling": is_new,
            "dpe_energy": dpe_energy,
            "dpe_ges": dpe_ges,
            "dpe_date": dpe_date,
            "rent": np.where(mode == 3, np.nan, rent),
            "occupancy_mode": mode.astype(str).astype(object),
            "lease_start": lease.to_numpy(),
            "vacancy_start": vacancy.to_numpy(),
            "floor": floors.astype(np.int64),
            "building": building.astype(np.int64),
            "street_number": r["street_number"],
            "street_type": r["street_type"],
            "street_name": r["street_name"],
            "fragile": r["fragile"],
            "income_effect": r["income_effect"],
        }
    )
