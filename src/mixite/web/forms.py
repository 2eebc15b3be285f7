"""The forms of the web application (French labels; the codes come from ``mixite.schema``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from mixite.schema import EMPLOYMENT, HOUSING_SITUATIONS, PRIORITY_CODES, REASONS
from mixite.web.models import Run


class SimulatorForm(forms.Form):
    """The applicant's situation, as the CERFA asks it (nothing is stored)."""

    date_depot = forms.DateField(
        label="Date de dépôt de votre demande",
        help_text="Format : jj/mm/aaaa",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
    )
    mutation = forms.BooleanField(
        label="Vous êtes déjà locataire d'un logement social", required=False
    )
    age = forms.IntegerField(label="Âge du demandeur", min_value=16, max_value=110)
    situation_pro = forms.ChoiceField(
        label="Situation professionnelle", choices=list(EMPLOYMENT.items())
    )
    logement_actuel = forms.ChoiceField(
        label="Logement actuel", choices=list(HOUSING_SITUATIONS.items())
    )
    motif = forms.ChoiceField(label="Motif principal de la demande", choices=list(REASONS.items()))
    personnes = forms.IntegerField(label="Nombre de personnes du ménage", min_value=1, max_value=20)
    adultes = forms.IntegerField(label="Nombre d'adultes", min_value=1, max_value=2)
    plus_14 = forms.IntegerField(
        label="Nombre de personnes de 14 ans et plus (adultes compris)", min_value=1, max_value=20
    )
    monoparentale = forms.BooleanField(label="Famille monoparentale", required=False)
    handicap = forms.BooleanField(
        label="Une personne du ménage est en situation de handicap", required=False
    )
    ressources = forms.FloatField(
        label="Ressources mensuelles du ménage (€)", min_value=0, max_value=100000
    )
    loyer = forms.FloatField(
        label="Loyer actuel mensuel (€, facultatif)", min_value=0, required=False
    )
    pieces_actuelles = forms.IntegerField(
        label="Nombre de pièces du logement actuel (facultatif)",
        min_value=0,
        max_value=20,
        required=False,
    )
    commune = forms.ChoiceField(label="Commune souhaitée en premier")
    pieces = forms.IntegerField(
        label="Nombre de pièces souhaité (T1 = 1)", min_value=1, max_value=10
    )
    priorites = forms.MultipleChoiceField(
        label="Situations de priorité (article L441-1 du code de la construction)",
        choices=list(PRIORITY_CODES.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    priorite_justifiee = forms.BooleanField(
        label="Ces situations sont justifiées par des pièces", required=False
    )
    dalo = forms.BooleanField(label="Vous êtes reconnu prioritaire DALO", required=False)
    relogement = forms.BooleanField(
        label="Vous devez être relogé (renouvellement urbain)", required=False
    )
    refus = forms.IntegerField(
        label="Propositions adaptées refusées", min_value=0, max_value=50, initial=0
    )

    def __init__(self, *args: Any, communes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commune"].choices = communes  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        size, adults, older = data.get("personnes"), data.get("adultes"), data.get("plus_14")
        if size is not None and adults is not None and adults > size:
            self.add_error("adultes", "Il ne peut y avoir plus d'adultes que de personnes.")
        if size is not None and older is not None and older > size:
            self.add_error(
                "plus_14",
                "Il ne peut y avoir plus de personnes de 14 ans et plus "
                "que de personnes dans le ménage.",
            )
        when = data.get("date_depot")
        if isinstance(when, dt.date) and when > dt.date.today():
            self.add_error("date_depot", "La date de dépôt ne peut pas être dans le futur.")
        return data

    def situation(self) -> dict[str, Any]:
        """The canonical columns of an application (``schema.APPLICATIONS``)."""
        d = self.cleaned_data
        return {
            "filing_date": d["date_depot"],
            "is_mutation": d["mutation"],
            "applicant_age": d["age"],
            "employment": d["situation_pro"],
            "housing_situation": d["logement_actuel"],
            "reason": d["motif"],
            "household_size": d["personnes"],
            "adults": d["adultes"],
            "persons_14plus": d["plus_14"],
            "dependants": d["personnes"] - d["adultes"],
            "single_parent": d["monoparentale"],
            "disability": d["handicap"],
            "monthly_resources": d["ressources"],
            "current_rent": d["loyer"],
            "current_rooms": d["pieces_actuelles"],
            "wished_communes": [d["commune"]],
            "rooms_min": d["pieces"],
            "rooms_max": d["pieces"],
            "priority_codes": list(d["priorites"]),
            "priority_justified": d["priorite_justifiee"],
            "dalo": d["dalo"],
            "npnru_relocation": d["relogement"],
            "refusals": d["refus"],
        }


class UploadForm(forms.Form):
    """A landlord's attributions file (mixite's CSV format, ``docs/formats.md``)."""

    fichier = forms.FileField(
        label="Fichier des attributions (CSV)",
        help_text="Format des attributions de mixite (docs/formats.md), séparateur « ; ».",
    )


class RunForm(forms.Form):
    """The background run to launch."""

    travail = forms.ChoiceField(label="Travail à lancer", choices=Run.Kind.choices)
