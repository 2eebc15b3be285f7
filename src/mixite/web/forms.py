"""The forms of the web application (French labels; the codes come from ``mixite.schema``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django import forms
from django.core.validators import MaxValueValidator

from mixite.schema import (
    EMPLOYMENT,
    FOLLOWUP_STATUSES,
    HOUSING_SITUATIONS,
    PRIORITY_CODES,
    REASONS,
)
from mixite.web.models import RelocationCase, Run


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


#: Statuses after which a household has received at least that many proposals.
_OFFERS = {"proposition1": 1, "proposition2": 2, "proposition3": 3}


class FollowupForm(forms.ModelForm):  # type: ignore[type-arg]
    """Where one household's relocation stands (validated against the store's dwellings)."""

    lease_date = forms.DateField(
        label="Date du bail signé",
        help_text="Format : jj/mm/aaaa ; seulement pour un ménage relogé.",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        required=False,
    )
    refusals = forms.IntegerField(label="Propositions refusées", min_value=0, max_value=50)

    class Meta:
        model = RelocationCase
        fields = ("status", "refusals", "dwelling_id", "lease_date", "comment")
        labels: ClassVar[dict[str, str]] = {
            "status": "Étape du relogement",
            "dwelling_id": "Logement du bail signé (identifiant IDENT_INT du RPLS)",
            "comment": "Commentaire de la MOUS (sans donnée nominative)",
        }
        widgets: ClassVar[dict[str, Any]] = {"comment": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, dwellings: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._dwellings = dwellings
        self.fields["status"].choices = list(FOLLOWUP_STATUSES.items())  # type: ignore[attr-defined]

    def clean_dwelling_id(self) -> str:
        value = str(self.cleaned_data.get("dwelling_id") or "").strip()
        if value and value not in self._dwellings:
            raise forms.ValidationError(
                f"Logement « {value} » inconnu de la base : donnez l'identifiant IDENT_INT "
                "du RPLS d'un logement du territoire."
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        status = data.get("status")
        lease, dwelling = data.get("lease_date"), data.get("dwelling_id")
        if status == "reloge":
            if not dwelling and "dwelling_id" not in self.errors:
                self.add_error(
                    "dwelling_id", "Un ménage relogé a un logement : donnez celui du bail signé."
                )
            if lease is None and "lease_date" not in self.errors:
                self.add_error(
                    "lease_date", "Un ménage relogé a un bail : donnez la date de sa signature."
                )
        elif status is not None:
            if lease is not None:
                self.add_error(
                    "lease_date",
                    "La date du bail ne se donne que pour un ménage relogé : choisissez l'étape "
                    "« relogé (bail signé) » ou videz la date.",
                )
            if dwelling:
                self.add_error(
                    "dwelling_id",
                    "Le logement du bail ne se donne que pour un ménage relogé : choisissez "
                    "l'étape « relogé (bail signé) » ou videz le champ.",
                )
        if isinstance(lease, dt.date):
            if lease > dt.date.today():
                self.add_error("lease_date", "La date du bail ne peut pas être dans le futur.")
            elif lease.year < 2000:
                self.add_error("lease_date", "Date du bail invraisemblable : avant 2000.")
        refusals = data.get("refusals")
        if status == "refus" and refusals is not None and refusals < 1:
            self.add_error(
                "refusals",
                "Un ménage à l'étape « propositions refusées » a refusé au moins une "
                "proposition : donnez leur nombre.",
            )
        offers = _OFFERS.get(str(status))
        if offers is not None and refusals is not None and refusals >= offers:
            self.add_error(
                "refusals",
                f"Avec {offers} proposition(s) faite(s), il ne peut y avoir {refusals} refus : "
                "passez à la proposition suivante ou corrigez le nombre de refus.",
            )
        return data


class RunForm(forms.Form):
    """The background run to launch: its kind, the example scenarios or strategies, or one
    uploaded YAML file (read by the strict loader), and the sizes (bounded by
    ``settings.MIXITE_RUN_LIMITS``)."""

    travail = forms.ChoiceField(label="Travail à lancer", choices=Run.Kind.choices)
    exemples = forms.MultipleChoiceField(
        label="Scénarios (simulation, optimisation) ou stratégies (projection) d'exemple",
        help_text="La première est la référence ; sans choix : celles de la démonstration.",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    fichier = forms.FileField(
        label="Ou votre scénario ou stratégie (YAML, docs/formats.md)",
        help_text="Comparé à la référence de la démonstration.",
        required=False,
    )
    horizon = forms.IntegerField(
        label="Horizon de la projection (années)", min_value=1, required=False
    )
    replications = forms.IntegerField(
        label="Réplications de la projection", min_value=1, required=False
    )

    def __init__(self, *args: Any, examples: list[tuple[str, str]], limits: dict[str, int],
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.fields["exemples"].choices = examples  # type: ignore[attr-defined]
        for name, key in (("horizon", "horizon"), ("replications", "replicates")):
            field = self.fields[name]
            field.max_value = limits[key]  # type: ignore[attr-defined]
            field.validators.append(MaxValueValidator(limits[key]))
            field.help_text = f"Au plus {limits[key]}."
            field.initial = limits[f"{key}_initial"]
            field.widget.attrs["max"] = limits[key]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("travail")
        chosen = list(data.get("exemples") or [])
        wanted = "strategies" if kind == Run.Kind.PROJECTION else "scenarios"
        if kind in (Run.Kind.DIAGNOSTIC, Run.Kind.DOCUMENTS):
            if chosen or data.get("fichier"):
                self.add_error(
                    "exemples",
                    "Le diagnostic et les documents ne prennent ni scénario ni stratégie : "
                    "décochez-les et retirez le fichier.",
                )
        elif any(not c.startswith(f"{wanted}/") for c in chosen):
            what = "des stratégies" if wanted == "strategies" else "des scénarios"
            self.add_error(
                "exemples", f"Ce travail compare {what} : cochez seulement {what} d'exemple."
            )
        return data

    def options(self) -> dict[str, Any]:
        """What the run is asked (``Run.options``), without the uploaded file."""
        d = self.cleaned_data
        return {
            "examples": [c.split("/", 1)[1] for c in d.get("exemples") or []],
            "horizon": d.get("horizon"),
            "replicates": d.get("replications"),
        }
