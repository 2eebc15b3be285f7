"""What the web application keeps in Django's database: partners, the accounts' roles, uploads,
background runs and the audit log. The territory's data stay in the DuckDB store."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from mixite.schema import FOLLOWUP_STATUSES

__all__ = ["AuditEvent", "Partner", "Profile", "RelocationCase", "Role", "Run", "Upload"]


class Role(models.TextChoices):
    """What an account may do (``mixite.web.permissions`` says it, in one place)."""

    ADMIN = "admin", "administrateur de l'EPCI"
    LANDLORD = "bailleur", "bailleur"
    RESERVATAIRE = "reservataire", "réservataire"
    STATE = "etat", "services de l'État"


class Partner(models.Model):
    """A partner of the attribution policy: a landlord (its SIREN) or a reservataire (its key
    ``type:identifiant``, ``mixite.vocabulary.reservataire_key``)."""

    class Kind(models.TextChoices):
        LANDLORD = "bailleur", "bailleur"
        RESERVATAIRE = "reservataire", "réservataire"

    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    code = models.CharField("identifiant", max_length=80)
    name = models.CharField("nom", max_length=200)

    class Meta:
        verbose_name = "partenaire"
        constraints = (models.UniqueConstraint(fields=("kind", "code"), name="partner_kind_code"),)
        ordering = ("kind", "name")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Profile(models.Model):
    """The role of an account, and the partner it acts for (landlords and reservataires)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mixite_profile"
    )
    role = models.CharField("rôle", max_length=20, choices=Role.choices)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, verbose_name="partenaire"
    )

    class Meta:
        verbose_name = "profil"

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class AuditEvent(models.Model):
    """One audited action: a read of pseudonymised personal data, an upload, an import."""

    class Action(models.TextChoices):
        PERSONAL_READ = "lecture_donnees", "lecture de données personnelles pseudonymisées"
        UPLOAD = "depot", "dépôt d'un fichier"
        IMPORT = "import", "import confirmé"
        CANCEL = "annulation", "dépôt annulé"
        RUN = "travail", "travail lancé"
        RELOCATION = "suivi_relogement", "suivi de relogement modifié"
        EXPORT = "export_journal", "export du journal"

    at = models.DateTimeField("date", auto_now_add=True, db_index=True)
    username = models.CharField("compte", max_length=150)
    role = models.CharField("rôle", max_length=20, blank=True)
    action = models.CharField("action", max_length=30, choices=Action.choices)
    target = models.CharField("objet", max_length=300)
    detail = models.TextField("détail", blank=True)

    class Meta:
        verbose_name = "événement du journal"
        verbose_name_plural = "journal"
        ordering = ("-at", "-id")


class Upload(models.Model):
    """A partner's uploaded file: checked at once, imported only when confirmed."""

    class Status(models.TextChoices):
        REJECTED = "rejete", "refusé (erreurs)"
        PENDING = "a_confirmer", "à confirmer"
        IMPORTED = "importe", "importé"
        CANCELLED = "annule", "annulé"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, verbose_name="partenaire")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, verbose_name="compte"
    )
    created = models.DateTimeField("déposé le", auto_now_add=True)
    original_name = models.CharField("fichier", max_length=255)
    stored = models.CharField("chemin", max_length=500)
    status = models.CharField("état", max_length=20, choices=Status.choices)
    #: What the check found (JSON: errors or the summary of what will change).
    report = models.JSONField("compte rendu", default=dict)
    imported = models.DateTimeField("importé le", null=True, blank=True)

    class Meta:
        verbose_name = "dépôt"
        ordering = ("-created", "-id")


class Run(models.Model):
    """A background run (diagnostic, documents, simulation, optimisation, projection) and its
    progress; ``options`` holds what the run was asked (scenarios or strategies, sizes)."""

    class Kind(models.TextChoices):
        DIAGNOSTIC = "diagnostic", "diagnostic territorial et carte"
        DOCUMENTS = "documents", "documents (document-cadre, CIA, bilan, PPGDID)"
        SIMULATION = "simulation", "simulation des attributions (scénarios d'exemple)"
        OPTIMISATION = "optimisation", "optimisation des attributions sous les objectifs légaux"
        PROJECTION = "projection", "projection de l'occupation sur les années de la CIA"

    class Status(models.TextChoices):
        QUEUED = "en_attente", "en attente"
        RUNNING = "en_cours", "en cours"
        DONE = "termine", "terminé"
        FAILED = "echec", "échec"

    kind = models.CharField("travail", max_length=20, choices=Kind.choices)
    status = models.CharField("état", max_length=20, choices=Status.choices, default="en_attente")
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    step = models.CharField("étape", max_length=200, blank=True)
    created = models.DateTimeField("lancé le", auto_now_add=True)
    finished = models.DateTimeField("terminé le", null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, verbose_name="compte"
    )
    outputs = models.JSONField("fichiers produits", default=list)
    options = models.JSONField("paramètres", default=dict)
    error = models.TextField("erreur", blank=True)

    class Meta:
        verbose_name = "travail"
        ordering = ("-created", "-id")

    @property
    def finished_ok(self) -> bool:
        return self.status == self.Status.DONE

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class RelocationCase(models.Model):
    """One household of an urban renewal relocation and where its relocation stands (the
    follow-up of ``mixite reloger``, ``schema.RELOCATION_FOLLOWUP``): imported from the social
    survey and the follow-up table, then kept up to date by its landlord and the EPCI.

    ``landlord`` is the landlord of the household's current residence (the one that carries its
    relocation); ``household_id`` is the pseudonym of the store's key, never the survey's
    identifier."""

    household_id = models.CharField("ménage (pseudonyme)", max_length=80, unique=True)
    operation = models.CharField("opération", max_length=80)
    landlord = models.ForeignKey(Partner, on_delete=models.PROTECT, verbose_name="bailleur")
    residence = models.CharField("résidence actuelle", max_length=80)
    status = models.CharField("étape", max_length=20, choices=list(FOLLOWUP_STATUSES.items()))
    proposed_dwelling = models.CharField("logement proposé par le plan", max_length=80, blank=True)
    refusals = models.PositiveSmallIntegerField("propositions refusées", default=0)
    dwelling_id = models.CharField("logement du bail signé", max_length=80, blank=True)
    lease_date = models.DateField("date du bail signé", null=True, blank=True)
    comment = models.TextField("commentaire", blank=True)
    #: Reste à charge (€/month) of the dwelling left and of the dwelling proposed or let, as the
    #: plan or the partners recorded them in the follow-up table (not edited on the pages).
    cost_before = models.FloatField("reste à charge avant (€/mois)", null=True, blank=True)
    cost_after = models.FloatField("reste à charge après (€/mois)", null=True, blank=True)
    updated = models.DateTimeField("mis à jour le", auto_now=True)

    class Meta:
        verbose_name = "ménage à reloger"
        verbose_name_plural = "suivi des relogements"
        ordering = ("operation", "household_id")

    def __str__(self) -> str:
        return f"{self.household_id} ({self.get_status_display()})"
