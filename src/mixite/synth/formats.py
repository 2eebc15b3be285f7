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
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from mixite.schema import Table
from mixite.synth._util import masked
from mixite.synth.geographie import Geography
from mixite.synth.parc import FINAN_LABELS

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


#: Characters that a CSV value cannot hold unquoted (RFC 4180): the separator, the quote, ends
#: of line.
_STRUCTURAL = r'[;"\r\n]'


def _needs_quotes(table: pa.Table) -> bool:
    """Whether a text value of ``table`` holds a structural character (a real EPCI name does:
    « CA "Saintes - Grandes Rives - L'Agglo" »)."""
    return any(
        pc.any(pc.match_substring_regex(column, _STRUCTURAL)).as_py()
        for column in table.columns
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
    )


def _write(table: pa.Table, out: BinaryIO, header: bool, eol: str) -> None:
    """Write ``table`` unquoted, as the official files are, unless a value needs quotes: then
    every text value of this part is quoted (RFC 4180, which every reader of mixite reads)."""
    opts = pacsv.WriteOptions(
        include_header=header,
        delimiter=";",
        eol=eol,
        quoting_style="needed" if _needs_quotes(table) else "none",
        quoting_header="none",
    )
    pacsv.write_csv(table, out, opts)


def _const(value: Any, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(str(value), pa.string()), n)


def _mapped(values: Any, table: dict[Any, str]) -> pa.Array:
    return _str(pd.Series(values).map(table).to_numpy())


def _last4(codes: np.ndarray) -> np.ndarray:
    """Last four characters of 9-character codes (vectorised)."""
    chars = codes.astype("<U9").view("<U1").reshape(-1, 9)[:, 5:].copy()
    return np.asarray(chars.view("<U4").ravel())


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
    recent = d["construction_year"].to_numpy() >= 2000
    cols: dict[str, pa.Array] = {
        "REG_CODE": _const(terr["region_code"], n),
        "REG_LIBELLE": _const(terr["region_nom"], n),
        "LIBREG": _const(terr["region_nom"], n),
        "DEP_CODE": _const(terr["departement"], n),
        "DEP_LIBELLE": _const(terr["departement_nom"], n),
        "LIBDEP": _const(terr["departement_nom"], n),
        "EPCI_CODE": _const(terr["siren_epci"], n),
        "EPCI_LIBELLE": _const(terr["nom"], n),
        "LIBEPCI": _const(terr["nom"], n),
        "DROIT_CODE": _const("1", n),
        "DROIT_LIBELLE": _const("Pleine propriété", n),
        "DEPCOM": _str(code),
        "CODEPOSTAL": _str(post),
        "LIBCOM": _str(name),
        "NUMVOIE": pa.array(d["street_number"].to_numpy()),
        "INDREP": pa.nulls(n, pa.string()),
        "TYPVOIE": _str(d["street_type"].to_numpy()),
        "NOMVOIE": _str(d["street_name"].to_numpy()),
        "ETAGE": pa.array(d["floor"].to_numpy()),
        "COMPLGEO": _str(complgeo),
        "LIEUDIT": pa.nulls(n, pa.string()),
        "QPV_CODE": _str(qpv_code),
        "QPV_LIBELLE": _str(pd.Series(qpv_code).map(qpv_names).fillna("Hors QPV").to_numpy()),
        "TYPECONST_CODE": _mapped(kind, {k: v[0] for k, v in _TYPECONST.items()}),
        "TYPECONST_LIBELLE": _mapped(kind, {k: v[1] for k, v in _TYPECONST.items()}),
        "NBPIECE": pa.array(d["rooms"].to_numpy()),
        "SURFHAB": pa.array(d["surface"].to_numpy(dtype=float)),
        "CONSTRUCT": pa.array(d["construction_year"].to_numpy()),
        "LOCAT": pa.array(d["first_letting_year"].to_numpy()),
        "PATRIMOINE": pa.array(d["first_letting_year"].to_numpy()),
        "ORIGINE": _str(
            np.where(recent & (d["street_number"].to_numpy() % 3 == 0), "4", "1").astype(object)
        ),
        "FINAN_CODE": _str(d["finan_code"].to_numpy()),
        "FINAN_LIBELLE": _mapped(d["finan_code"].to_numpy(), FINAN_LABELS),
        "FINANAUTRE": pa.nulls(n, pa.string()),
        "CONV": _str(np.where(conv, "1", "2").astype(object)),
        "NUMCONV": _str(num_conv),
        "DATCONV": _str(dat_conv),
        "NEWLOGT_CODE": _str(np.where(new, "1", "2").astype(object)),
        "NEWLOGT_LIBELLE": _str(np.where(new, "Logement neuf", "Logement existant").astype(object)),
        "CUS": _mapped(d["finan_family"].to_numpy(), _CUS),
        "DPEDATE": _str(d["dpe_date"].to_numpy()),
        "DPEENERGIE": _str(d["dpe_energy"].to_numpy()),
        "DPESERRE": _str(d["dpe_ges"].to_numpy()),
        "SRU_EXPIR": pa.nulls(n, pa.string()),
        "SRU_ALINEA": pa.nulls(n, pa.string()),
        "CODSEGPATRIM": pa.nulls(n, pa.string()),
        "LIBSEGPATRIM": pa.nulls(n, pa.string()),
        "PMR_CODE": pa.nulls(n, pa.string()),
        "PMR_LIBELLE": pa.nulls(n, pa.string()),
        "PLG_VOIE": _str(
            (d["street_type"].astype(str) + " " + d["street_name"].astype(str)).to_numpy()
        ),
        "EPSG": _const("2154", n),
        "X": pa.array(d["x"].to_numpy(dtype=float)),
        "Y": pa.array(d["y"].to_numpy(dtype=float)),
        "PLG_QP24": _str(qpv_code),
        "PLG_QP15": pa.nulls(n, pa.string()),
        "PLG_IRIS2024_CODE": _str(iris),
        "PLG_IRIS2024_LIBELLE": _str(np.char.add(np.char.add(name.astype(str), " "), _last4(iris))),
        "PLG_ZUS": pa.nulls(n, pa.string()),
        "PLG_QVA": pa.nulls(n, pa.string()),
        "QUALITE_VOIE": _const("1", n),
        "QUALITE_NUMERO": _const("1", n),
        "QUALITE_XY": _const("11", n),
        "DISTANCE_PRECISION": _const("0", n),
        "QUALITE_QP24": _const("1", n),
        "QUALITE_QP15": pa.nulls(n, pa.string()),
        "QUALITE_IRIS": _const("1", n),
        "QUALITE_ZUS": pa.nulls(n, pa.string()),
        "QUALITE_QVA": pa.nulls(n, pa.string()),
        "COMAQP": _str(np.where(np.isin(code, list(has_qpv_com)), "1", "0").astype(object)),
        "COMAZUS": _const("0", n),
        "UU2020": _const(f"{terr['departement']}701", n),
        "AAV2020": _const(f"{terr['departement']}0", n),
        "ZE2020": _const(f"{terr['departement']}01", n),
        "IDENT_INT": _str(d["dwelling_id"].to_numpy()),
        "PROGRAMME": _str(d["residence_id"].to_numpy()),
        "IDENT_REP": _str(d["landlord_id"].to_numpy()),
        "RAISON_SOCIALE": _str(d["landlord_name"].to_numpy()),
        "LOYERPRINC": pa.array(np.where(np.isnan(rent), float(RENT_NOT_APPLICABLE), rent)),
        "MODE": _str(d["occupancy_mode"].to_numpy()),
        "BAIL": _dmy(lease),
        "REMLOCDATE": _dmy(d["vacancy_start"]),
    }
    assert list(cols) == [*RPLS_OPEN_COLUMNS, *RPLS_RESTRICTED_COLUMNS]
    return pa.table(cols)


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
