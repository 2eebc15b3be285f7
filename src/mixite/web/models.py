"""What the web application keeps in Django's database: partners, the accounts' roles, uploads,
background runs and the audit log. The territory's data stay in the DuckDB store."""

from __future__ import annotations

from django.conf import settings
from django.db import models

__all__ = ["AuditEvent", "Partner", "Profile", "Role", "Run", "Upload"]


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
    """A background run (diagnostic, documents, simulation) and its progress."""

    class Kind(models.TextChoices):
        DIAGNOSTIC = "diagnostic", "diagnostic territorial et carte"
        DOCUMENTS = "documents", "documents (document-cadre, CIA, bilan, PPGDID)"
        SIMULATION = "simulation", "simulation des attributions (scénarios d'exemple)"

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
