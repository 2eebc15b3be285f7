"""docs/formats.md documents exactly the columns of schema.py.

The column tables of the document are generated from ``schema.py``:
``python tests/io/test_io_formats_doc.py`` rewrites the block between the two markers; the test
fails when the document and the schema disagree.
"""

from __future__ import annotations

from pathlib import Path

from mixite.schema import RELOCATION_TABLES, TABLES, Column, Table

DOC = Path(__file__).resolve().parents[2] / "docs" / "formats.md"
BEGIN = "<!-- début des tables générées depuis schema.py -->"
END = "<!-- fin des tables générées -->"
#: The files of ``mixite reloger`` (``schema.RELOCATION_TABLES``), in their own block.
RELOCATION_BEGIN = "<!-- début des tables du relogement générées depuis schema.py -->"
RELOCATION_END = "<!-- fin des tables du relogement -->"
RELOCATION_FILES = {
    "renewal_programme": "programme.csv",
    "social_survey": "enquete.csv",
    "relocation_followup": "suivi-relogement.csv",
}
FILES = {
    "applications": "demandes.csv",
    "attributions": "attributions.csv",
    "households": "occupation.csv",
    "reservations": "reservations.csv",
    "communes": "communes.csv",
    "landlords": "bailleurs.csv",
    "qpv": "qpv.csv (liste de QPV, sans périmètre)",
    "sru": "sru.csv (inventaire SRU au format mixite)",
}
TYPES = {
    "str": "texte",
    "int": "entier",
    "float": "nombre",
    "bool": "0/1",
    "date": "date",
    "list": "liste « | »",
}


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


def _rule(col: Column) -> str:
    parts = []
    if col.codes is not None:
        parts.append("codes : " + ", ".join(f"`{c}`" for c in col.codes))
    if col.min is not None and col.max is not None:
        parts.append(f"de {_fmt(col.min)} à {_fmt(col.max)}")
    elif col.min is not None:
        parts.append(f"au moins {_fmt(col.min)}")
    elif col.max is not None:
        parts.append(f"au plus {_fmt(col.max)}")
    if col.pattern is not None:
        parts.append(f"format `{col.pattern}`")
    return " ; ".join(parts)


def render(
    tables: dict[str, Table] = TABLES,
    files: dict[str, str] = FILES,
    begin: str = BEGIN,
    end: str = END,
) -> str:
    """Markdown tables of every mixite CSV format, in schema order."""
    out = [begin, ""]
    for name, file in files.items():
        table = tables[name]
        key = " + ".join(f"`{table.column(k).header}`" for k in table.key)
        out.append(f"### `{file}` — {table.label}")
        out.append("")
        out.append(f"Clé (unique dans le fichier) : {key}.")
        out.append("")
        out.append("| en-tête | nom canonique | type | obligatoire | description | valeurs |")
        out.append("|---|---|---|---|---|---|")
        for col in table.columns:
            required = "non (peut être vide ou absente)" if col.nullable else "oui"
            cells = [f"`{col.header}`", f"`{col.name}`", TYPES[col.dtype], required,
                     col.description, _rule(col)]  # fmt: skip
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        out.append("")
    out.append(end)
    return "\n".join(out)


def render_relocation() -> str:
    """The tables of the files of ``mixite reloger``."""
    return render(RELOCATION_TABLES, RELOCATION_FILES, RELOCATION_BEGIN, RELOCATION_END)


def rewrite() -> None:
    text = DOC.read_text(encoding="utf-8")
    for begin, end, block in (
        (BEGIN, END, render()),
        (RELOCATION_BEGIN, RELOCATION_END, render_relocation()),
    ):
        start, stop = text.index(begin), text.index(end) + len(end)
        text = text[:start] + block + text[stop:]
    DOC.write_text(text, encoding="utf-8")


def test_generated_tables_match_the_schema() -> None:
    text = DOC.read_text(encoding="utf-8")
    block = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert block == render(), "run: python tests/io/test_io_formats_doc.py"


def test_relocation_tables_match_the_schema() -> None:
    text = DOC.read_text(encoding="utf-8")
    block = text[text.index(RELOCATION_BEGIN) : text.index(RELOCATION_END) + len(RELOCATION_END)]
    assert block == render_relocation(), "run: python tests/io/test_io_formats_doc.py"


if __name__ == "__main__":
    rewrite()
