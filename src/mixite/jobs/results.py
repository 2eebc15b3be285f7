"""The typed results of the jobs: what a renderer (report, command line, web page, national
batch) receives. Plain immutable data: tables with English column names and codes
(``mixite.vocabulary``), numbers, and the names to show beside the codes. Nothing here writes,
draws or formats; ``mixite.reports`` turns results into files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from mixite.vocabulary import Definition

if TYPE_CHECKING:
    # One strategy projected, summarised over its replicates: the projection's own result type.
    from mixite.allocation.problem import AllocationProblem
    from mixite.allocation.scenario import Scenario
    from mixite.cotation.audit import Comparison
    from mixite.cotation.engine import Explanation
    from mixite.cotation.grid import Grid
    from mixite.errors import InputError
    from mixite.indicators.marges import Marges
    from mixite.projection.project import StrategyOutcome as StrategyProjection

__all__ = [
    "AllocationRuns",
    "ApplicantResult",
    "AuditResult",
    "Definition",
    "DiagnosticResult",
    "DocumentsResult",
    "FrontierResult",
    "ImportResult",
    "MargesResult",
    "MissingSection",
    "Mode",
    "MutationsResult",
    "Names",
    "NationalResult",
    "PartnerUpload",
    "PpgdidConfig",
    "PpgdidPlace",
    "PpgdidResult",
    "ProjectionResult",
    "QuotasResult",
    "RelocationResult",
    "RelocationReview",
    "ScenarioRun",
    "StoreInfo",
]

Mode = Literal["simuler", "optimiser"]


@dataclass(frozen=True)
class Names:
    """Names of the territory's codes, read from its store (empty maps when unknown)."""

    territory: str = "Territoire"
    epci: str = ""
    landlords: Mapping[str, str] = field(default_factory=dict)
    communes: Mapping[str, str] = field(default_factory=dict)
    qpv: Mapping[str, str] = field(default_factory=dict)
    #: Names of the EPCIs of the communes table (SIREN → name).
    epcis: Mapping[str, str] = field(default_factory=dict)
    #: Names the conventions give their reservataires (key ``type:identifier`` → name); the other
    #: reservataires are named from their type and the communes, EPCIs and landlords above
    #: (``reports.fr.group_label``).
    reservataires: Mapping[str, str] = field(default_factory=dict)
    #: Residence → its address and commune (RPLS holds no residence name).
    residences: Mapping[str, str] = field(default_factory=dict)

    def residence(self, code: Any) -> str:
        """The residence's address and commune, else its identifier."""
        return self.residences.get(str(code), str(code))

    def landlord(self, code: Any) -> str:
        """The landlord's name, else its SIREN."""
        return self.landlords.get(str(code), str(code))

    def commune(self, code: Any) -> str:
        """The commune's name, else its INSEE code."""
        return self.communes.get(str(code), str(code))


# ---------------------------------------------------------------------------------------------
# Diagnostic, quotas, room for manoeuvre
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MargesResult:
    """The room for manoeuvre outside QPV of one attribution year, with the names to show.

    ``marges`` is the computation's result; ``groups`` (one row per EPCI, landlord, commune and
    residence) and ``by_size`` are its published tables, small counts of Q1 applicants masked
    with what would reveal them.
    """

    marges: Marges
    names: Names
    secrecy_threshold: int
    groups: pd.DataFrame
    by_size: pd.DataFrame

    @property
    def definitions(self) -> Mapping[str, Definition]:
        """Label, unit, definition and source of each column of the marges frames."""
        from mixite.indicators.marges import DEFINITIONS

        return DEFINITIONS


@dataclass(frozen=True)
class MissingSection:
    """A section of the diagnostic that the store's data do not allow: the report shows a box
    in its place, naming the file that would fill it.

    ``section`` is a code, ``family`` the report family it belongs to (``stock``, ``loyers``…,
    ``marges``); ``title`` names the section, ``missing`` the file (and columns) it needs,
    ``shows`` what it would show and ``how`` how to import that file (French sentences).
    """

    section: str
    family: str
    title: str
    missing: str
    shows: str
    how: str


@dataclass(frozen=True)
class DiagnosticResult:
    """The territorial diagnostic of one millésime, statistical secrecy applied.

    ``tables``: every table of ``indicators.diagnostic.TABLES`` the data allows, in report order;
    ``residences``: one row per residence (place, landlord, dwellings, occupancy, fragility);
    ``key_figures``: code → value of the headline figures; ``marges``: the room for manoeuvre of
    the attributions of the year before (None with ``marges_missing`` saying why); ``missing``:
    the sections the data do not allow, each with the file that would fill it;
    ``qpv_disagreements``: the attributions whose declared QPV differs from their dwelling's
    (``qpv.judge_attributions``; None without attributions); ``qpv_location``: the dwellings by
    how their QPV is known (``qpv.location_counts``).
    """

    millesime: int
    names: Names
    tables: Mapping[str, pd.DataFrame]
    secrecy_threshold: int
    residences: pd.DataFrame
    qpv: pd.DataFrame | None
    key_figures: Mapping[str, float]
    marges: MargesResult | None = None
    marges_missing: str = ""
    missing: tuple[MissingSection, ...] = ()
    qpv_disagreements: pd.DataFrame | None = None
    qpv_location: Mapping[str, int] = field(default_factory=dict)
    #: Shares of the legal objectives in the two lease years before (None: no earlier year).
    quota_history: pd.DataFrame | None = None
    #: The ``communes`` table (names, and contours in ``geometry_wkt`` when imported).
    communes: pd.DataFrame | None = None

    def title(self, table: str) -> str:
        """French title of a diagnostic table."""
        from mixite.indicators.diagnostic import TABLES

        return TABLES[table].title if table in TABLES else table

    def family(self, table: str) -> str:
        """Indicator family of a diagnostic table (``stock``, ``loyers``…)."""
        from mixite.indicators.diagnostic import TABLES

        return TABLES[table].family if table in TABLES else "stock"

    def definition(self, table: str, column: str) -> Definition | None:
        """Label, unit, definition and source of a column of a table (None when unknown)."""
        from mixite.indicators import column_definition

        try:
            return column_definition(self.family(table), column)
        except KeyError:
            return None

    @property
    def fragility_classes(self) -> tuple[str, ...]:
        """The fragility classes, from the most fragile, then the unclassified label."""
        from mixite.indicators.fragility import CLASS_LABELS, UNCLASSED

        return (*CLASS_LABELS, UNCLASSED)


@dataclass(frozen=True)
class QuotasResult:
    """The legal quota indicators of one attribution year and the flux ledger.

    ``table`` is in the long format (``vocabulary.LONG_COLUMNS`` plus the shortfall, the exact
    interval and the applicability of the target); ``ledger`` is None when the store holds no
    reservation convention.
    """

    year: int
    names: Names
    table: pd.DataFrame
    ledger: pd.DataFrame | None
    secrecy_threshold: int
    #: The préfet's shares of each landlord's flux against their ceilings (CCH R441-5; None
    #: without reservation conventions).
    ceilings: pd.DataFrame | None = None

    def definition(self, column: str) -> Definition | None:
        from mixite.indicators import column_definition

        try:
            return column_definition("quotas", column)
        except KeyError:
            return None


# ---------------------------------------------------------------------------------------------
# Cotation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditResult:
    """Everything the audit of a cotation grid shows (and optionally a comparison of two)."""

    grid: Grid
    millesime: int | None
    scores: pd.DataFrame
    distribution: pd.DataFrame
    groups: pd.DataFrame
    criteria: pd.DataFrame
    grid_rows: pd.DataFrame
    top_n: int | None
    waiting: pd.DataFrame | None = None
    other_grid: Grid | None = None
    comparison: Comparison | None = None
    positions: pd.DataFrame | None = None
    names: Names = field(default_factory=Names)


@dataclass(frozen=True)
class ApplicantResult:
    """What an applicant is told about one application: the explanation of its score, its
    position among similar applications and the waiting time of similar applications."""

    grid: Grid
    explanation: Explanation
    #: The application's number as the applicant knows it (its pseudonym when the key of the
    #: store is not available).
    number: str
    application: pd.Series
    position: pd.Series | None
    waiting: pd.Series | None
    #: The refusal rule of the application's section, and what « similar » means, in words.
    refusal_rule: str
    similarity: str


# ---------------------------------------------------------------------------------------------
# Allocation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario's year of attributions, simulated or optimised.

    ``indicators``: quota results in the long format per level and group, with for a simulation
    the mean (``share``) and the replicates' interval (``share_low``, ``share_high``), and for an
    optimisation the non-QPV lets without any objective (``outside_qpv_free``).
    ``figures``: the run's counts (``attributions``, ``vacancies``, ``replicates``, ``feasible``,
    ``gap``, ``attributions_free``…). ``published``: ``indicators`` under statistical secrecy
    (``indicators.outputs_secrecy.protect_scenario``), what the reports write; the computations
    that follow (the costliest landlord, the national summary) read ``indicators``.
    """

    scenario: Scenario
    mode: Mode
    problem: AllocationProblem
    attributions: pd.DataFrame
    indicators: pd.DataFrame
    figures: Mapping[str, float | None]
    published: pd.DataFrame


@dataclass(frozen=True)
class AllocationRuns:
    """Several scenarios on one territory, the first one being the baseline."""

    mode: Mode
    runs: tuple[ScenarioRun, ...]
    names: Names
    #: Observed and simulated shares of the calibration, when the commission was calibrated.
    calibration: Mapping[str, float] | None = None
    #: Scenarios not run because they give the same problem as an earlier one (name → the
    #: earlier scenario's name): for an optimisation, the fields that only the simulated
    #: commissions use (fléchage, acceptance, commission) do not change the optimum.
    merged: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FrontierResult:
    """The attainable Q1 share outside QPV against the priority given up (one row per target)."""

    table: pd.DataFrame
    scenario_name: str
    landlord: str | None
    names: Names


# ---------------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RelocationReview:
    """The relocations of urban renewal for the CIA's relocation section and the review
    (``jobs.documents.relocation_review``).

    ``imported``: the store holds a relocation follow-up (``mixite importer
    --suivi-relogement``); without it every table is empty and the documents say so.
    ``charter_name`` and ``charter_source`` (empty: no charter given, the ``relogement.*``
    parameters stand in); ``targets``: the charter's targets against the households rehoused so
    far (``target``: ``neuf_recent``, ``hors_qpv``, ``reste_a_charge``; ``target_value``: a
    share, or the maximum rise in € per month; ``households`` meeting it among ``known`` whose
    dwelling or costs are known, ``share``, ``met``; ``source``); ``contributions``: per
    partner (reservataire key of the matched attribution, ``non_rapproche`` when the lease is
    not among the attributions) ``relocations``, ``share``, ``charter_share``, ``met``;
    ``figures``: ``surveyed``, ``rehoused``, ``rehoused_in_year``, ``matched`` (to an imported
    attribution), ``counted_outside_qpv`` (matched leases outside QPV of the year: in the 25 %),
    ``waiting``.
    """

    imported: bool
    year: int
    charter_name: str = ""
    charter_source: str = ""
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)
    contributions: pd.DataFrame = field(default_factory=pd.DataFrame)
    figures: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentsResult:
    """Everything the policy documents show for an attribution year, computed.

    Tables keep English columns and codes: ``quotas`` (long format, every level; ``target`` is
    each partner's own target, ``target_national`` the national default beside it), the
    objectives per partner (``objectives_landlords`` and ``objectives_non_q1_qpv``: the EPCI's
    objective split with ``objectives.split_objective``; ``objectives_reservataires`` and
    ``objectives_landlords_non_reserved``: each partner's own priority objective,
    ``objectives.own_objectives``), ``relocations``
    per landlord, ``sectors`` (QPV / outside), ``fragile_residences``, ``marges`` (EPCI and
    landlords) and ``history`` (EPCI shares per year).
    """

    year: int
    names: Names
    method: str
    method_used: str
    reachable: bool
    threshold: float
    legal: pd.DataFrame
    key_figures: Mapping[str, float | None]
    quotas: pd.DataFrame
    objectives_landlords: pd.DataFrame
    objectives_non_q1_qpv: pd.DataFrame
    objectives_reservataires: pd.DataFrame
    relocations: pd.DataFrame
    sectors: pd.DataFrame | None
    fragile_residences: pd.DataFrame | None
    marges: pd.DataFrame | None
    history: pd.DataFrame | None
    definitions: Mapping[str, Definition]
    #: The priority objective of each landlord's non-reserved stock, on its own attributions
    #: (same columns as ``objectives_reservataires``, from ``jobs.documents.own``).
    objectives_landlords_non_reserved: pd.DataFrame | None = None
    #: The territory's adapted rates and partners' commitments in the store (``engagements.yaml``;
    #: None without them): level, group, indicator, rate, validity, act.
    commitments: pd.DataFrame | None = None
    #: The legal obligations where the law applies them (EPCI, each landlord, each landlord's
    #: non-reserved stock, each reservataire but the State), year N: the long quota format plus
    #: ``met`` (no attribution missing).
    legal_status: pd.DataFrame | None = None
    #: The same rows for every year of the review's window that the store holds (``year``
    #: column), for the trend.
    legal_history: pd.DataFrame | None = None
    #: The years of the window (oldest first) and, for those missing, why: ``no_attributions``
    #: or ``no_threshold``.
    history_window: tuple[int, ...] = ()
    missing_years: Mapping[int, str] = field(default_factory=dict)
    #: Mutations among the attributions of year N: ``level`` (EPCI, landlord), ``group``,
    #: ``attributions``, ``mutations``, ``share``.
    mutations: pd.DataFrame | None = None
    #: The EPCI objective outside QPV split between communes in proportion to their attributions
    #: outside QPV (indicative territorial balance), and in QPV between communes with a QPV.
    objectives_communes: pd.DataFrame | None = None
    objectives_communes_qpv: pd.DataFrame | None = None
    #: Room for manoeuvre of the EPCI and of each landlord with its binding reason.
    marges_groups: pd.DataFrame | None = None
    #: The relocations of urban renewal from the imported follow-up and the charter (None
    #: only for results built without it).
    relocation_review: RelocationReview | None = None
    #: The map of the document-cadre: residences (Lambert-93 ``x``, ``y``, ``dwellings``,
    #: ``fragility_class``, ``in_qpv``, ``commune``), QPV perimeters (WKT, WGS84) and commune
    #: boundaries when the store holds them (``geometry_wkt``).
    map_residences: pd.DataFrame | None = None
    qpv_shapes: pd.DataFrame | None = None
    commune_shapes: pd.DataFrame | None = None
    #: Residences and dwellings per fragility class, in QPV and outside.
    fragility_counts: pd.DataFrame | None = None
    #: Durations and delays of the documents (``documents.*`` parameters): code → (value,
    #: reference, unconfirmed).
    terms: Mapping[str, tuple[float, str, bool]] = field(default_factory=dict)
    #: The text that sets the Q1 threshold of year N (the annual arrêté).
    threshold_reference: str = ""


# ---------------------------------------------------------------------------------------------
# National observatory
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NationalResult:
    """Every territory of a national run, in the long format, and its summary.

    ``rows``: all results (``vocabulary.NATIONAL_COLUMNS``); ``epci``: one row per EPCI (identity,
    size class, observed and simulated shares of the three objectives with their intervals and
    shortfalls, room for manoeuvre); ``attainment``: per source (observed, or simulated under a
    scenario) and objective, the EPCIs subject to it, those meeting it and the national share;
    ``by_region`` and ``by_size``: the same per region and per size class; ``room`` and
    ``room_counts``: the room for manoeuvre outside QPV per EPCI and by category and reason;
    ``scenario_changes``: per EPCI, objective and scenario, the simulated share against the
    baseline (None with a single scenario); ``failures``: the territories that failed (``epci``,
    ``epci_name``, ``error``) — they are left out of every other table.
    """

    rows: pd.DataFrame
    epci: pd.DataFrame
    attainment: pd.DataFrame
    by_region: pd.DataFrame
    by_size: pd.DataFrame
    room: pd.DataFrame
    room_counts: pd.DataFrame
    scenario_changes: pd.DataFrame | None
    failures: pd.DataFrame
    tasks: tuple[str, ...]
    scenarios: tuple[str, ...]
    size_bounds: tuple[int, ...]
    #: Territories whose results an earlier run had already written (not recomputed).
    skipped: int = 0


# ---------------------------------------------------------------------------------------------
# Store
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """Rows imported per store table, and the files of the folder that were not recognised."""

    millesime: int
    rows: Mapping[str, int]
    ignored: tuple[str, ...] = ()
    #: French warnings of the cross-file checks (the files were imported).
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PartnerUpload:
    """What a landlord's upload of its attributions would change, before it is confirmed.

    ``errors`` holds each problem of the file (French ``InputError``: file, line, column,
    value, fix); when it is empty, the file can be imported. ``added``/``removed``/``kept`` count
    attribution identifiers against the landlord's rows of ``millesime``; ``before`` and ``after``
    are the landlord's legal quota rows of lease year ``year`` (long format,
    ``jobs.diagnostic.quota_table``) without and with the file.
    """

    landlord: str
    millesime: int
    year: int
    file_rows: int
    rows_before: int
    added: int
    removed: int
    kept: int
    before: pd.DataFrame
    after: pd.DataFrame | None
    errors: tuple[InputError, ...] = ()
    names: Names = field(default_factory=Names)


@dataclass(frozen=True)
class PpgdidPlace:
    """A place of the information and reception service (CCH L441-2-8)."""

    name: str
    address: str
    kind: str
    hours: str = ""
    registers: bool = False


@dataclass(frozen=True)
class PpgdidConfig:
    """What the partners decide and the data cannot say, read from the PPGDID configuration
    (``exemples/ppgdid.yaml``, docs/formats.md)."""

    source: str
    duration_years: int
    shared_file: str
    shared_management: tuple[str, ...]
    partners: tuple[str, ...]
    places: tuple[PpgdidPlace, ...]
    information: tuple[str, ...]
    first_meeting: str
    grid: str


@dataclass(frozen=True)
class PpgdidResult:
    """The content of the PPGDID draft: the configuration, the cotation grid as rows (section,
    rubric, criterion, points, justification, condition in words, article) and the figures of
    the demand (pending applications, attributions of ``year``, waiting times)."""

    names: Names
    config: PpgdidConfig
    grid_name: str
    grid_rows: pd.DataFrame
    refusal_rules: Mapping[str, str]
    year: int
    applications: int
    attributions: int
    waiting: pd.DataFrame


@dataclass(frozen=True)
class StoreInfo:
    """What a store holds: rows per (millésime, table), the territory's name and, per millésime
    of the stock (``qpv``, None without any), ``dwellings``, ``in_qpv``, the dwellings by how
    their QPV is known (one column per ``schema.QPV_SOURCES`` code, and ``in_qpv_<code>``) and
    ``disagreements`` (attributions whose declared QPV differs from their dwelling's; None
    without attributions)."""

    territory: str | None
    summary: pd.DataFrame
    qpv: pd.DataFrame | None = None


@dataclass(frozen=True)
class RelocationResult:
    """The relocation plan of an urban renewal programme (``jobs.trajectoires.relocation``).

    ``plan``: one row per household still to rehouse (pseudonym, operation, ``deadline`` year,
    ``origin_residence``, ``planned``, ``year``, ``dwelling_id``, ``residence_id``,
    ``landlord_id``, ``partner`` key, ``commune``, ``in_qpv``, ``qpv_code``, ``rooms``,
    ``recent``, ``rent``, ``rent_reduction``, ``cost_before`` and ``cost_after`` reste à charge
    €/month, ``rise``, ``wish_rank`` 1 = first commune, ``needs`` of the survey, ``to_verify``: a special
    need the stock cannot confirm, ``indemnity`` € due to the landlord); ``targets``: the new-or-recent and
    outside-QPV targets (``households``, ``share``, ``target_share``, ``shortfall``, ``met``);
    ``contributions``: per partner (``relocations``, ``share``, ``charter_share``,
    ``shortfall``, ``source``); ``rise``: households per band of change of the reste à charge;
    ``calendar``: per year (``operations_households``, ``offers``, ``planned``); ``followup``:
    the follow-up table (``schema.RELOCATION_FOLLOWUP`` columns); ``figures``: counts, the
    objective, its LP bound and dual bound, the gap and the solve time.
    """

    names: Names
    millesime: int
    charter_name: str
    charter_source: str
    charter_values: Mapping[str, Any]
    charter_sources: Mapping[str, str]
    plan: pd.DataFrame
    targets: pd.DataFrame
    contributions: pd.DataFrame
    rise: pd.DataFrame
    calendar: pd.DataFrame
    followup: pd.DataFrame
    figures: Mapping[str, float]
    #: The ANRU's rent-reduction indemnity due per landlord (``relocations`` planned,
    #: ``eligible`` ones: new or recent with the rent lowered, ``amount`` €), None when the
    #: charter states no amount; the charter's amounts (€ by rooms) and their source.
    indemnities: pd.DataFrame | None = None
    indemnity_amounts: Mapping[int, float] = field(default_factory=dict)
    indemnity_source: str = ""


@dataclass(frozen=True)
class MutationsResult:
    """Mutations, exchanges and vacancy chains (``jobs.trajectoires.mutations``).

    ``movers``: one row per tenant who moves (``application_id`` pseudonym, ``kind``
    ``echange`` or ``chaine``, landlord, dwelling, commune and rooms left and taken,
    ``household_size``, ``status_before`` and ``status_after``: -1 over-occupied, 0 adequate,
    1 under-occupied); ``cycles``: exchange cycles per length; ``chains``: chains per length
    (moves, the external applicant at the end included); ``freed_by_rooms``: dwellings left to
    external applicants at the end of the chains, per number of rooms; ``figures``: counts and
    the share of freed dwellings offered to mutations (``mutation_share_source``: « mesurée »
    in the store's attributions or « défaut »).
    """

    names: Names
    millesime: int
    exchanges: bool
    mutation_share_source: str
    movers: pd.DataFrame
    cycles: pd.DataFrame
    chains: pd.DataFrame
    freed_by_rooms: pd.DataFrame
    figures: Mapping[str, float]


# ---------------------------------------------------------------------------------------------
# Projection over the CIA's six years
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectionResult:
    """Several strategies projected from one store millésime, the first one the baseline.

    ``figures``: the dynamics estimated on the store (``departure_share``, ``mutation_share``,
    ``relet_delay_days``, ``filings_per_year``, ``lapse_probability``…) and the run's settings
    (``horizon``, ``replicates``, ``seed``, ``interval_level``); ``calibration``: the
    commissions' preferences calibrated on the observed attributions, when asked; ``qpv``: the
    QPV perimeters (WKT, WGS84) for the maps, when the store holds them. ``published``: the
    strategies under statistical secrecy (``indicators.outputs_secrecy.protect_projection``,
    counts from 1 to ``secrecy_threshold`` − 1 masked with what reveals them), what the reports
    write; ``strategies`` keeps every figure for the computations that follow.
    """

    millesime: int
    names: Names
    strategies: tuple[StrategyProjection, ...]
    figures: Mapping[str, float]
    published: tuple[StrategyProjection, ...]
    secrecy_threshold: int
    calibration: Mapping[str, float] | None = None
    qpv: pd.DataFrame | None = None
