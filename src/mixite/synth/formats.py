"""Writers of the official and mixite file formats (chunk by chunk, append mode).

* ``rpls.csv``: the 73 open columns of the RPLS 2025 per-dwelling file, in order, then the
  restricted columns IDENT_INT, PROGRAMME, IDENT_REP, RAISON_SOCIALE, LOYERPRINC, MODE, BAIL,
  REMLOCDATE; ``;``, UTF-8, CRLF like the real file; dates of the restricted columns JJ/MM/AAAA.
* mixite CSV (``demandes.csv``…): ``Column.header`` names in schema order, ``;``, UTF-8, LF,
  ISO dates, booleans 0/1, lists joined by ``|``, empty cell for a missing value.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from mixite.schema import Table
from mixite.synth._util import masked
from mixite.synth.geographie import Geography

RPLS_OPEN_COLUMNS: tuple[str, ...] = tuple(
    [
        "REG_CODE",
        "REG_LIBELLE",
        "LIBREG",
        "DEP_CODE",
        "DEP_LIBELLE",
        "LIBDEP",
        "EPCI_CODE",
        "EPCI_LIBELLE",
        "LIBEPCI",
        "DROIT_CODE",
        "DROIT_LIBELLE",
        "DEPCOM",
        "CODEPOSTAL",
        "LIBCOM",
        "NUMVOIE",
        "INDREP",
        "TYPVOIE",
        "NOMVOIE",
        "ETAGE",
        "COMPLGEO",
        "LIEUDIT",
        "QPV_CODE",
        "QPV_LIBELLE",
        "TYPECONST_CODE",
        "TYPECONST_LIBELLE",
        "NBPIECE",
        "SURFHAB",
        "CONSTRUCT",
        "LOCAT",
        "PATRIMOINE",
        "ORIGINE",
        "FINAN_CODE",
        "FINAN_LIBELLE",
        "FINANAUTRE",
        "CONV",
        "NUMCONV",
        "DATCONV",
        "NEWLOGT_CODE",
        "NEWLOGT_LIBELLE",
        "CUS",
        "DPEDATE",
        "DPEENERGIE",
        "DPESERRE",
        "SRU_EXPIR",
        "SRU_ALINEA",
        "CODSEGPATRIM",
        "LIBSEGPATRIM",
        "PMR_CODE",
        "PMR_LIBELLE",
        "PLG_VOIE",
        "EPSG",
        "X",
        "Y",
        "PLG_QP24",
        "PLG_QP15",
        "PLG_IRIS2024_CODE",
        "PLG_IRIS2024_LIBELLE",
        "PLG_ZUS",
        "PLG_QVA",
        "QUALITE_VOIE",
        "QUALITE_NUMERO",
        "QUALITE_XY",
        "DISTANCE_PRECISION",
        "QUALITE_QP24",
        "QUALITE_QP15",
        "QUALITE_IRIS",
        "QUALITE_ZUS",
        "QUALITE_QVA",
        "COMAQP",
        "COMAZUS",
        "UU2020",
        "AAV2020",
        "ZE2020",
    ]
)
RPLS_RESTRICTED_COLUMNS: tuple[str, ...] = (
    "IDENT_INT",
    "PROGRAMME",
    "IDENT_REP",
    "RAISON_SOCIALE",
    "LOYERPRINC",
    "MODE",
    "BAIL",
    "REMLOCDATE",
)
#: LOYERPRINC value meaning "not applicable" in the restricted RPLS file.
RENT_NOT_APPLICABLE = "9999"

_TYPECONST = {
    "collectif": ("C", "Collectif"),
    "individuel": ("I", "Individuel"),
    "etudiant": ("E", "Logement étudiant"),
}
_CUS = {"pre1977": "PLUS", "plai": "PLAI", "plus": "PLUS", "pls": "PLS", "autre": "PLI"}


def _write(table: pa.Table, out: BinaryIO, header: bool, eol: str) -> None:
    opts = pacsv.WriteOptions(
        include_header=header,
        delimiter=";",
        eol=eol,
        quoting_style="none",
        quoting_header="none",
    )
    pacsv.write_csv(table, out, opts)


def _str(values: Any) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object), type=pa.string(), from_pandas=True)


def _dmy(values: pd.Series) -> pa.Array:
    return _str(pd.to_datetime(values).dt.strftime("%d/%m/%Y").to_numpy())


def iris_codes(
    geo: Geography, model: dict[str, Any], commune_idx: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """IRIS-like code of each point: commune code + 4 digits of a square grid cell."""
    size = float(model["geographie"]["taille_iris_m"])
    cx, cy = float(model["territoire"]["centre_x"]), float(model["territoire"]["centre_y"])
    ix = np.floor((x - cx) / size).astype(np.int64) % 100
    iy = np.floor((y - cy) / size).astype(np.int64) % 100
    codes = geo.communes["commune"].to_numpy().astype(str)[commune_idx]
    num = np.char.zfill((ix * 100 + iy).astype(str), 4)
    return np.asarray(np.char.add(codes, num), dtype=object)


def rpls_table(d: pd.DataFrame, geo: Geography, model: dict[str, Any]) -> pa.Table:
    """The RPLS rows (all values as text) of a chunk of generated dwellings."""
    terr = model["territoire"]
    n = len(d)
    com = geo.communes
    cidx = d["commune_idx"].to_numpy()
    code = com["commune"].to_numpy()[cidx]
    name = com["commune_name"].to_numpy()[cidx]
    post = np.array(geo.postcodes, dtype=object)[cidx]
    qpv_names = dict(zip(geo.qpv["qpv_code"], geo.qpv["qpv_name"], strict=True))
    qpv_code = d["qpv_code"].to_numpy()
    has_qpv_com = set(geo.qpv["commune"])
    kind = d["construction_type"].to_numpy()
    conv = d["conventionne"].to_numpy()
    new = d["new_dwelling"].to_numpy()
    iris = iris_codes(geo, model, cidx, d["x"].to_numpy(), d["y"].to_numpy())
    lease = d["lease_start"]
    num_conv = masked(
        np.char.add(
            np.char.add(f"{terr['departement']}/", d["first_letting_year"].to_numpy().astype(str)),
            np.char.add("/", d["residence_id"].to_numpy().astype(str)),
        ),
        conv,
    )
    dat_conv = masked(np.char.add("01/07/", d["first_letting_year"].to_numpy().astype(str)), conv)
    building = d["building"].to_numpy()
    letters = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"), dtype=object)
    complgeo = masked("BAT " + letters[np.clip(building, 0, 23)], building >= 0)
    rent = d["rent"].to_numpy()
    rent_txt = np.where(
        np.isnan(rent), RENT_NOT_APPLICABLE, np.char.mod("%.2f", np.nan_to_num(rent))
    ).astype(object)
    recent = d["construction_year"].to_numpy() >= 2000
    cols: dict[str, pa.Array] = {
        "REG_CODE": _str(np.full(n, terr["region_code"], dtype=object)),
        "REG_LIBELLE": _str(np.full(n, terr["region_nom"], dtype=object)),
        "LIBREG": _str(np.full(n, terr["region_nom"], dtype=object)),
        "DEP_CODE": _str(np.full(n, terr["departement"], dtype=object)),
        "DEP_LIBELLE": _str(np.full(n, terr["departement_nom"], dtype=object)),
        "LIBDEP": _str(np.full(n, terr["departement_nom"], dtype=object)),
        "EPCI_CODE": _str(np.full(n, terr["siren_epci"], dtype=object)),
        "EPCI_LIBELLE": _str(np.full(n, terr["nom"], dtype=object)),
        "LIBEPCI": _str(np.full(n, terr["nom"], dtype=object)),
        "DROIT_CODE": _str(np.full(n, "1", dtype=object)),
        "DROIT_LIBELLE": _str(np.full(n, "Pleine propriété", dtype=object)),
        "DEPCOM": _str(code),
        "CODEPOSTAL": _str(post),
        "LIBCOM": _str(name),
        "NUMVOIE": _str(d["street_number"].to_numpy().astype(str)),
        "INDREP": _str(np.full(n, None)),
        "TYPVOIE": _str(d["street_type"].to_numpy()),
        "NOMVOIE": _str(d["street_name"].to_numpy()),
        "ETAGE": _str(d["floor"].to_numpy().astype(str)),
        "COMPLGEO": _str(complgeo),
        "LIEUDIT": _str(np.full(n, None)),
        "QPV_CODE": _str(qpv_code),
        "QPV_LIBELLE": _str(
            np.array(
                [
                    qpv_names.get(c, "Hors QPV") if isinstance(c, str) else "Hors QPV"
                    for c in qpv_code
                ],
                dtype=object,
            )
        ),
        "TYPECONST_CODE": _str(np.array([_TYPECONST[k][0] for k in kind], dtype=object)),
        "TYPECONST_LIBELLE": _str(np.array([_TYPECONST[k][1] for k in kind], dtype=object)),
        "NBPIECE": _str(d["rooms"].to_numpy().astype(str)),
        "SURFHAB": _str(np.char.mod("%.1f", d["surface"].to_numpy())),
        "CONSTRUCT": _str(d["construction_year"].to_numpy().astype(str)),
        "LOCAT": _str(d["first_letting_year"].to_numpy().astype(str)),
        "PATRIMOINE": _str(d["first_letting_year"].to_numpy().astype(str)),
        "ORIGINE": _str(
            np.where(recent & (d["street_number"].to_numpy() % 3 == 0), "4", "1").astype(object)
        ),
        "FINAN_CODE": _str(d["finan_code"].to_numpy()),
        "FINAN_LIBELLE": _str(
            np.array([_finan_label(c) for c in d["finan_code"].to_numpy()], dtype=object)
        ),
        "FINANAUTRE": _str(np.full(n, None)),
        "CONV": _str(np.where(conv, "1", "2").astype(object)),
        "NUMCONV": _str(num_conv),
        "DATCONV": _str(dat_conv),
        "NEWLOGT_CODE": _str(np.where(new, "1", "2").astype(object)),
        "NEWLOGT_LIBELLE": _str(np.where(new, "Logement neuf", "Logement existant").astype(object)),
        "CUS": _str(np.array([_CUS[f] for f in d["finan_family"].to_numpy()], dtype=object)),
        "DPEDATE": _str(d["dpe_date"].to_numpy()),
        "DPEENERGIE": _str(d["dpe_energy"].to_numpy()),
        "DPESERRE": _str(d["dpe_ges"].to_numpy()),
        "SRU_EXPIR": _str(np.full(n, None)),
        "SRU_ALINEA": _str(np.full(n, None)),
        "CODSEGPATRIM": _str(np.full(n, None)),
        "LIBSEGPATRIM": _str(np.full(n, None)),
        "PMR_CODE": _str(np.full(n, None)),
        "PMR_LIBELLE": _str(np.full(n, None)),
        "PLG_VOIE": _str(
            (d["street_type"].astype(str) + " " + d["street_name"].astype(str)).to_numpy()
        ),
        "EPSG": _str(np.full(n, "2154", dtype=object)),
        "X": _str(np.char.mod("%.1f", d["x"].to_numpy())),
        "Y": _str(np.char.mod("%.1f", d["y"].to_numpy())),
        "PLG_QP24": _str(qpv_code),
        "PLG_QP15": _str(np.full(n, None)),
        "PLG_IRIS2024_CODE": _str(iris),
        "PLG_IRIS2024_LIBELLE": _str(
            np.char.add(
                np.char.add(name.astype(str), " "), np.array([s[-4:] for s in iris]).astype(str)
            ).astype(object)
        ),
        "PLG_ZUS": _str(np.full(n, None)),
        "PLG_QVA": _str(np.full(n, None)),
        "QUALITE_VOIE": _str(np.full(n, "1", dtype=object)),
        "QUALITE_NUMERO": _str(np.full(n, "1", dtype=object)),
        "QUALITE_XY": _str(np.full(n, "11", dtype=object)),
        "DISTANCE_PRECISION": _str(np.full(n, "0", dtype=object)),
        "QUALITE_QP24": _str(np.full(n, "1", dtype=object)),
        "QUALITE_QP15": _str(np.full(n, None)),
        "QUALITE_IRIS": _str(np.full(n, "1", dtype=object)),
        "QUALITE_ZUS": _str(np.full(n, None)),
        "QUALITE_QVA": _str(np.full(n, None)),
        "COMAQP": _str(np.array(["1" if c in has_qpv_com else "0" for c in code], dtype=object)),
        "COMAZUS": _str(np.full(n, "0", dtype=object)),
        "UU2020": _str(np.full(n, f"{terr['departement']}701", dtype=object)),
        "AAV2020": _str(np.full(n, f"{terr['departement']}0", dtype=object)),
        "ZE2020": _str(np.full(n, f"{terr['departement']}01", dtype=object)),
        "IDENT_INT": _str(d["dwelling_id"].to_numpy()),
        "PROGRAMME": _str(d["residence_id"].to_numpy()),
        "IDENT_REP": _str(d["landlord_id"].to_numpy()),
        "RAISON_SOCIALE": _str(d["landlord_name"].to_numpy()),
        "LOYERPRINC": _str(rent_txt),
        "MODE": _str(d["occupancy_mode"].to_numpy()),
        "BAIL": _dmy(lease),
        "REMLOCDATE": _dmy(d["vacancy_start"]),
    }
    assert list(cols) == [*RPLS_OPEN_COLUMNS, *RPLS_RESTRICTED_COLUMNS]
    return pa.table(cols)


def _finan_label(code: str) -> str:
    from mixite.synth.parc import FINAN_LABELS

    return FINAN_LABELS[code]


def write_rpls(
    d: pd.DataFrame, geo: Geography, model: dict[str, Any], out: BinaryIO, header: bool
) -> None:
    """Append a chunk of dwellings to ``rpls.csv`` (CRLF line ends like the real file)."""
    _write(rpls_table(d, geo, model), out, header, "\r\n")


def mixite_table(frame: pd.DataFrame, table: Table) -> pa.Table:
    """A canonical frame as text-ready Arrow columns named by ``Column.header``."""
    cols: dict[str, pa.Array] = {}
    for col in table.columns:
        s = frame[col.name]
        if col.dtype == "bool":
            arr = pa.array(s.to_numpy().astype(np.int8))
        elif col.dtype == "date":
            arr = _str(pd.to_datetime(s).dt.strftime("%Y-%m-%d").to_numpy())
        elif col.dtype == "list":
            arr = _str(np.array(["|".join(v) for v in s], dtype=object))
        elif col.dtype == "int":
            arr = pa.array(s, type=pa.int64(), from_pandas=True)
        elif col.dtype == "float":
            arr = pa.array(s.to_numpy(dtype=float), type=pa.float64(), from_pandas=True)
        else:
            arr = _str(s.to_numpy())
        cols[col.header] = arr
    return pa.table(cols)


def write_mixite(frame: pd.DataFrame, table: Table, out: BinaryIO, header: bool) -> None:
    """Append a canonical frame to a mixite CSV file."""
    _write(mixite_table(frame, table), out, header, "\n")
