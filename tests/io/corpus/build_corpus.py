"""Write the bad-input corpus of ``tests/io/corpus`` (run once; the files are committed).

Each file is a small valid file with one defect; ``expected.yaml`` gives, per file, the reader
to use and the exact French message it must raise. Run: ``python tests/io/corpus/build_corpus.py``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

HERE = Path(__file__).parent


def _fields(text: str) -> list[str]:
    return text.split(";")


#: Exact header of the open RPLS 2025 file (copied from the real file, see the shared data).
RPLS_HEADER = _fields(
    "REG_CODE;REG_LIBELLE;LIBREG;DEP_CODE;DEP_LIBELLE;LIBDEP;EPCI_CODE;EPCI_LIBELLE;LIBEPCI;"
    "DROIT_CODE;DROIT_LIBELLE;DEPCOM;CODEPOSTAL;LIBCOM;NUMVOIE;INDREP;TYPVOIE;NOMVOIE;ETAGE;"
    "COMPLGEO;LIEUDIT;QPV_CODE;QPV_LIBELLE;TYPECONST_CODE;TYPECONST_LIBELLE;NBPIECE;SURFHAB;"
    "CONSTRUCT;LOCAT;PATRIMOINE;ORIGINE;FINAN_CODE;FINAN_LIBELLE;FINANAUTRE;CONV;NUMCONV;"
    "DATCONV;NEWLOGT_CODE;NEWLOGT_LIBELLE;CUS;DPEDATE;DPEENERGIE;DPESERRE;SRU_EXPIR;SRU_ALINEA;"
    "CODSEGPATRIM;LIBSEGPATRIM;PMR_CODE;PMR_LIBELLE;PLG_VOIE;EPSG;X;Y;PLG_QP24;PLG_QP15;"
    "PLG_IRIS2024_CODE;PLG_IRIS2024_LIBELLE;PLG_ZUS;PLG_QVA;QUALITE_VOIE;QUALITE_NUMERO;"
    "QUALITE_XY;DISTANCE_PRECISION;QUALITE_QP24;QUALITE_QP15;QUALITE_IRIS;QUALITE_ZUS;"
    "QUALITE_QVA;COMAQP;COMAZUS;UU2020;AAV2020;ZE2020"
)
RESTRICTED = ["IDENT_INT", "PROGRAMME", "IDENT_REP", "RAISON_SOCIALE", "LOYERPRINC", "MODE", "BAIL"]


def rpls_rows(restricted: bool = True, **changes: dict[str, str]) -> list[list[str]]:
    """Two valid Val-d'Oise dwellings (real COG codes); ``changes[col] = {row: value}``."""
    base = [
        {
            "REG_CODE": "11",
            "DEP_CODE": "95",
            "EPCI_CODE": "200035947",
            "DEPCOM": "95127",
            "LIBCOM": "Cergy",
            "NUMVOIE": "3",
            "TYPVOIE": "RUE",
            "NOMVOIE": "DES CHARMILLES",
            "TYPECONST_CODE": "C",
            "TYPECONST_LIBELLE": "Collectif",
            "NBPIECE": "3",
            "SURFHAB": "65,5",
            "CONSTRUCT": "1975",
            "LOCAT": "1976",
            "FINAN_CODE": "52",
            "CONV": "1",
            "NEWLOGT_CODE": "2",
            "DPEENERGIE": "D",
            "EPSG": "2154",
            "X": "631200",
            "Y": "6883900",
            "PLG_QP24": "",
            "PLG_IRIS2024_CODE": "951270101",
            "IDENT_INT": "D0001",
            "PROGRAMME": "P01",
            "IDENT_REP": "272000025",
            "RAISON_SOCIALE": "OPH du Val-d'Oise",
            "LOYERPRINC": "412,30",
            "MODE": "1",
            "BAIL": "15/03/2019",
        },
        {
            "REG_CODE": "11",
            "DEP_CODE": "95",
            "EPCI_CODE": "200035947",
            "DEPCOM": "95500",
            "LIBCOM": "Pontoise",
            "NUMVOIE": "12",
            "TYPVOIE": "AV",
            "NOMVOIE": "DU GENERAL LECLERC",
            "TYPECONST_CODE": "I",
            "TYPECONST_LIBELLE": "Individuel",
            "NBPIECE": "4",
            "SURFHAB": "82",
            "CONSTRUCT": "2012",
            "LOCAT": "2013",
            "FINAN_CODE": "13",
            "CONV": "1",
            "NEWLOGT_CODE": "2",
            "DPEENERGIE": "C",
            "EPSG": "2154",
            "X": "628900",
            "Y": "6886100",
            "PLG_QP24": "",
            "PLG_IRIS2024_CODE": "955000203",
            "IDENT_INT": "D0002",
            "PROGRAMME": "P02",
            "IDENT_REP": "272000025",
            "RAISON_SOCIALE": "OPH du Val-d'Oise",
            "LOYERPRINC": "9999",
            "MODE": "2",
            "BAIL": "",
        },
    ]
    for column, per_row in changes.items():
        for index, value in per_row.items():
            base[int(index)][column] = value
    header = RPLS_HEADER + (RESTRICTED if restricted else [])
    return [header] + [[row.get(h, "") for h in header] for row in base]


def write_csv(name: str, rows: list[list[str]], sep: str = ";", eol: str = "\r\n") -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator=eol)
    writer.writerows(rows)
    (HERE / name).write_bytes(buffer.getvalue().encode("utf-8"))


DEMANDES_HEADER = _fields(
    "numero_unique;date_depot;date_renouvellement;commune_residence;logement_actuel;mutation;"
    "motif_principal;age_demandeur;situation_pro;nb_personnes;nb_adultes;nb_14_ans_et_plus;"
    "nb_personnes_a_charge;famille_monoparentale;handicap;ressources_mensuelles;"
    "revenu_fiscal_reference;loyer_actuel;pieces_actuelles;communes_souhaitees;typologie_min;"
    "typologie_max;priorites;priorite_justifiee;dalo;relogement_npnru;nb_refus"
)
DEMANDE = {
    "numero_unique": "095122300001",
    "date_depot": "2023-04-12",
    "date_renouvellement": "2024-04-10",
    "commune_residence": "95127",
    "logement_actuel": "heberge_famille",
    "mutation": "0",
    "motif_principal": "heberge",
    "age_demandeur": "31",
    "situation_pro": "cdd_interim",
    "nb_personnes": "3",
    "nb_adultes": "1",
    "nb_14_ans_et_plus": "1",
    "nb_personnes_a_charge": "2",
    "famille_monoparentale": "1",
    "handicap": "0",
    "ressources_mensuelles": "1450,50",
    "revenu_fiscal_reference": "15200",
    "loyer_actuel": "",
    "pieces_actuelles": "",
    "communes_souhaitees": "95127|95500",
    "typologie_min": "2",
    "typologie_max": "3",
    "priorites": "g",
    "priorite_justifiee": "1",
    "dalo": "0",
    "relogement_npnru": "0",
    "nb_refus": "0",
}


def demandes(header: list[str] | None = None, **changes: str) -> list[list[str]]:
    head = header or DEMANDES_HEADER
    second = dict(DEMANDE, numero_unique="095122300002", commune_residence="95500")
    first = dict(DEMANDE)
    for key, value in changes.items():
        first[key] = value
    return [head] + [
        [row.get(h, row.get(DEMANDES_HEADER[i], "")) for i, h in enumerate(head)]
        for row in (second, first)
    ]


ATTRIBUTIONS_HEADER = _fields(
    "id_attribution;numero_unique;IDENT_INT;IDENT_REP;commune;en_qpv;qpv;date_bail;reservataire;"
    "nb_pieces;loyer;nb_personnes;nb_adultes;nb_14_ans_et_plus;ressources_mensuelles;mutation;"
    "relogement_npnru;dalo;prioritaire"
)
ATTRIBUTION = [
    "A1", "095122300001", "D0001", "272000025", "95127", "0", "", "2024-05-02", "commune", "3",
    "412.3", "3", "1", "1", "1450.5", "0", "0", "0", "1",
]  # fmt: skip

OCCUPATION_HEADER = _fields(
    "id_menage;IDENT_INT;date_entree;nb_personnes;nb_adultes;nb_14_ans_et_plus;"
    "nb_personnes_a_charge;age_reference;famille_monoparentale;situation_pro;ressources_annuelles;"
    "aide_logement"
)
MENAGE = ["M1", "D0001", "2019-03-15", "2", "2", "2", "0", "58", "0", "retraite", "21000", "0"]


def main() -> None:
    # Encoding, separator, structure ---------------------------------------------------------
    (HERE / "vide.csv").write_bytes(b"")
    write_csv("entete_seul.csv", rpls_rows()[:1])
    rows = rpls_rows()
    write_csv("separateur_tabulation.csv", rows, sep="\t")
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    (HERE / "encodage_utf16.csv").write_bytes(buffer.getvalue().encode("utf-16"))
    (HERE / "classeur_excel.csv").write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40)
    text = buffer.getvalue().split("\r\n")
    text[2] = ";".join(text[2].split(";")[:40])
    (HERE / "ligne_tronquee.csv").write_text("\r\n".join(text), encoding="utf-8", newline="")
    text = buffer.getvalue().split("\r\n")
    text[1] = text[1] + ";en trop"
    (HERE / "ligne_trop_longue.csv").write_text("\r\n".join(text), encoding="utf-8", newline="")
    renamed = rpls_rows()
    renamed[0] = ["DEPCOMM" if h == "DEPCOM" else h for h in renamed[0]]
    write_csv("colonne_renommee.csv", renamed)
    dropped = rpls_rows()
    keep = [i for i, h in enumerate(dropped[0]) if h != "FINAN_CODE"]
    write_csv("colonne_absente.csv", [[r[i] for i in keep] for r in dropped])
    doubled = rpls_rows()
    doubled[0] = ["NBPIECE" if h == "SURFHAB" else h for h in doubled[0]]
    write_csv("entete_colonne_double.csv", doubled)
    quoted = buffer.getvalue().split("\r\n")
    quoted[2] = quoted[2].replace("Individuel", '"Individuel', 1)
    (HERE / "guillemet_non_ferme.csv").write_text("\r\n".join(quoted), encoding="utf-8", newline="")

    # RPLS values -----------------------------------------------------------------------------
    cases = {
        "rpls_commune_mal_formee.csv": {"DEPCOM": {1: "5500"}},
        "rpls_qpv_mal_forme.csv": {"PLG_QP24": {0: "QN9501"}},
        "rpls_finan_inconnu.csv": {"FINAN_CODE": {1: "18"}},
        "rpls_loyer_negatif.csv": {"LOYERPRINC": {0: "-12,50"}},
        "rpls_zero_piece.csv": {"NBPIECE": {1: "0"}},
        "rpls_surface_nulle.csv": {"SURFHAB": {0: "0"}},
        "rpls_annee_future.csv": {"CONSTRUCT": {1: "2099"}},
        "rpls_bail_futur.csv": {"BAIL": {0: "01/01/2099"}},
        "rpls_identifiant_double.csv": {"IDENT_INT": {1: "D0001"}},
        "rpls_nombre_illisible.csv": {"SURFHAB": {1: "82 m2"}},
        "rpls_date_inexistante.csv": {"BAIL": {0: "31/02/2019"}},
        "rpls_conv_inconnu.csv": {"CONV": {0: "3"}},
        "rpls_typeconst_inconnu.csv": {"TYPECONST_LIBELLE": {1: "Péniche"}},
        "rpls_mode_inconnu.csv": {"MODE": {1: "7"}},
        "rpls_dpe_inconnu.csv": {"DPEENERGIE": {0: "H"}},
        "rpls_surface_manquante.csv": {"SURFHAB": {1: ""}},
        "rpls_iris_mal_forme.csv": {"PLG_IRIS2024_CODE": {0: "95127010"}},
        "rpls_siren_epci.csv": {"EPCI_CODE": {1: "20003594"}},
    }
    for name, changes in cases.items():
        write_csv(name, rpls_rows(**changes))

    # mixite tables ---------------------------------------------------------------------------
    write_csv("demandes_booleen.csv", demandes(dalo="peut-être"), eol="\n")
    write_csv("demandes_priorite_inconnue.csv", demandes(priorites="g|z"), eol="\n")
    write_csv("demandes_date_future.csv", demandes(date_depot="2099-01-01"), eol="\n")
    header = ["date_dépôt" if h == "date_depot" else h for h in DEMANDES_HEADER]
    write_csv("demandes_colonne_accentuee.csv", demandes(header=header), eol="\n")
    write_csv(
        "demandes_composition.csv",
        demandes(
            nb_adultes="2", nb_14_ans_et_plus="2", nb_personnes="1", nb_personnes_a_charge="0"
        ),
        eol="\n",
    )
    write_csv("demandes_commune_liste.csv", demandes(communes_souhaitees="95127|955"), eol="\n")
    write_csv("demandes_valeur_manquante.csv", demandes(situation_pro=""), eol="\n")
    write_csv("demandes_entier_illisible.csv", demandes(nb_personnes="2,5"), eol="\n")
    write_csv("demandes_renouvellement.csv", demandes(date_renouvellement="2022-01-05"), eol="\n")
    write_csv("demandes_typologie.csv", demandes(typologie_min="4", typologie_max="2"), eol="\n")
    bad = list(ATTRIBUTION)
    bad[8] = "prefecture"
    write_csv("attributions_reservataire_inconnu.csv", [ATTRIBUTIONS_HEADER, ATTRIBUTION, bad])
    bad = list(ATTRIBUTION)
    bad[0], bad[6] = "A2", "QN09501M"
    write_csv("attributions_qpv_incoherent.csv", [ATTRIBUTIONS_HEADER, ATTRIBUTION, bad])
    write_csv("occupation_doublon.csv", [OCCUPATION_HEADER, MENAGE, ["M2", *MENAGE[1:]], MENAGE])
    write_csv(
        "communes_zone_inconnue.csv",
        [
            ["code_commune", "nom_commune", "siren_epci", "nom_epci", "zone_apl", "zone_plafonds"],
            ["95127", "Cergy", "200035947", "CA de Cergy-Pontoise", "4", "I"],
        ],
    )
    write_csv(
        "reservations_part.csv",
        [
            ["IDENT_REP", "reservataire", "id_reservataire", "part_flux"],
            ["272000025", "etat_prioritaire", "", "0,25"],
            ["272000025", "action_logement", "", "1,5"],
        ],
    )
    write_csv(
        "reservations_doublon.csv",
        [
            ["IDENT_REP", "reservataire", "id_reservataire", "part_flux"],
            ["272000025", "commune", "95127", "0,1"],
            ["272000025", "commune", "95500", "0,1"],
            ["272000025", "commune", "95127", "0,05"],
        ],
    )
    write_csv(
        "bailleurs_siren.csv",
        [["IDENT_REP", "RAISON_SOCIALE", "categorie"], ["27200002", "OPH du Val-d'Oise", "OPH"]],
    )
    write_csv("type_non_reconnu.csv", [["nom", "prenom"], ["Dupont", "Jean"]])
    write_csv("separateur_barre.csv", [["numero_unique|date_depot"], ["1|2024-01-01"]])
    bad = list(ATTRIBUTION)
    bad[7] = "2024-13-01"
    write_csv("attributions_date_illisible.csv", [ATTRIBUTIONS_HEADER, bad])
    bad = list(MENAGE)
    bad[10] = "-300"
    write_csv("occupation_ressources_negatives.csv", [OCCUPATION_HEADER, bad])
    write_csv(
        "communes_code_mal_forme.csv",
        [
            ["code_commune", "nom_commune", "siren_epci", "nom_epci", "zone_apl", "zone_plafonds"],
            ["9512", "Cergy", "200035947", "CA de Cergy-Pontoise", "2", "I"],
        ],
    )
    # A local extract with its own headers, read with a mapping file (« correspondance »).
    local = ["N° demande" if h == "numero_unique" else h for h in DEMANDES_HEADER]
    write_csv("demandes_extrait_local.csv", demandes(header=local), eol="\n")
    (HERE / "correspondance_cible_inconnue.yaml").write_text(
        'table: demandes\ncolonnes:\n  "N° demande": numero_unik\n', encoding="utf-8"
    )

    # territoire.yaml, QPV --------------------------------------------------------------------
    (HERE / "territoire_cle_inconnue.yaml").write_text(
        'nom: CA de Cergy-Pontoise\nsiren_epci: "200035947"\nsiren_epic_seuils: "200035947"\n',
        encoding="utf-8",
    )
    (HERE / "territoire_siren.yaml").write_text(
        "nom: CA de Cergy-Pontoise\nsiren_epci: 20003594\n", encoding="utf-8"
    )
    (HERE / "territoire_taux.yaml").write_text(
        'nom: CA de Cergy-Pontoise\nsiren_epci: "200035947"\ntaux_effort_max: 35\n',
        encoding="utf-8",
    )
    # The strict YAML loader (issue 21): aliases and duplicate keys.
    (HERE / "territoire_alias.yaml").write_text(
        'nom: &n ["CA de Cergy-Pontoise", "CA de Cergy-Pontoise"]\n'
        'siren_epci: "200035947"\nsiren_epci_seuils: *n\n',
        encoding="utf-8",
    )
    (HERE / "territoire_cle_double.yaml").write_text(
        'nom: CA de Cergy-Pontoise\nsiren_epci: "200035947"\nnom: Autre nom\n',
        encoding="utf-8",
    )
    (HERE / "correspondance_cle_double.yaml").write_text(
        'table: demandes\ncolonnes:\n  "N° demande": numero_unique\n  "N° demande": date_depot\n',
        encoding="utf-8",
    )

    # Whole-file checks of the CSV engine (issue 21): mixed encodings, a line over 1 MiB.
    rows = rpls_rows(RAISON_SOCIALE={"0": "Office de Lignières", "1": "Office de Lignières"})
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    lines = buffer.getvalue().splitlines(keepends=True)
    data = "".join(lines[:2]).encode("utf-8") + lines[2].encode("latin-1")
    (HERE / "rpls_encodages_melanges.csv").write_bytes(data)
    write_csv("rpls_ligne_demesuree.csv", rpls_rows(NOMVOIE={"1": "RUE " + "X" * (1 << 20)}))

    square = {
        "type": "Polygon",
        "coordinates": [[[2.0, 49.0], [2.01, 49.0], [2.01, 49.01], [2.0, 49.0]]],
    }
    features = [
        {
            "type": "Feature",
            "properties": {"code_qp": "QN09501M", "lib_qp": "Axe Majeur", "insee_com": "95127"},
            "geometry": square,
        },
        {
            "type": "Feature",
            "properties": {"code_qp": "QN0951", "lib_qp": "Marcouville", "insee_com": "95500"},
            "geometry": square,
        },
    ]
    (HERE / "qpv_code_mal_forme.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    for f in features:
        f["properties"]["identifiant"] = f["properties"].pop("code_qp")
    (HERE / "qpv_sans_code.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
