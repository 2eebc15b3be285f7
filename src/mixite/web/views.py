"""The pages of the web application. Each view checks its action with
``permissions.require`` (the only place that decides), calls the jobs through ``territory``
and renders a template; the numbers are put into words by ``mixite.reports.fr``."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
import uuid
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mixite.web import territory
from mixite.web.forms import FollowupForm, RunForm, SimulatorForm, UploadForm
from mixite.web.models import AuditEvent, Partner, RelocationCase, Run, Upload
from mixite.web.permissions import Action, require, role_of, visible_cases, visible_partners

#: Folders of the generated outputs under the web folder, and their titles.
OUTPUT_SECTIONS: dict[str, str] = {
    "diagnostic": "Diagnostic territorial et carte",
    "documents": "Documents de la politique d'attribution",
    "simulation": "Simulations d'attributions",
    "optimisation": "Optimisations d'attributions",
    "projection": "Projections de l'occupation",
}
#: Files offered for download (the others stay on the server).
OUTPUT_SUFFIXES = (".html", ".docx", ".xlsx", ".csv", ".gpkg", ".pdf", ".qml")


def audit(request: HttpRequest, action: str, target: str, detail: str = "") -> None:
    """Write one event of the audit log."""
    user = request.user
    AuditEvent.objects.create(
        username=user.get_username() if user.is_authenticated else "(anonyme)",
        role=role_of(user) or "",
        action=action,
        target=target[:300],
        detail=detail,
    )


# ---------------------------------------------------------------------------------------------
# Public pages
# ---------------------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The public home page."""
    return render(request, "web/accueil.html", {"title": "Accueil"})


@require_http_methods(["GET", "POST"])
def simulator(request: HttpRequest) -> HttpResponse:
    """The cotation simulator: the applicant's situation → points per criterion. Nothing typed
    is stored or logged (POST, no audit, no session write)."""
    from mixite.jobs.cotation import simulate
    from mixite.reports import fr

    names = territory.names()
    communes = sorted(names.communes.items(), key=lambda kv: kv[1])
    explanation = None
    waiting = None
    if request.method == "POST":
        form = SimulatorForm(request.POST, communes=communes)
        if form.is_valid():
            inputs = territory.cotation_inputs()
            explanation = simulate(
                territory.grid(), form.situation(), inputs.millesime, inputs.territory
            )
            waiting = _waiting_for(form.situation())
    else:
        form = SimulatorForm(communes=communes)
    lines = []
    if explanation is not None:
        for line in explanation.lines:
            lines.append(
                {
                    "rubric": line.rubric,
                    "criterion": line.criterion,
                    "points": fr.points(line.points),
                    "credited": line.credited,
                    "note": line.note,
                    "values": [f"{k} : {v}" for k, v in line.values],
                }
            )
    grid = territory.grid()
    return render(
        request,
        "web/simulateur.html",
        {
            "title": "Simulateur de cotation",
            "form": form,
            "grid_name": grid.name,
            "explanation": explanation,
            "score": fr.n_points(explanation.score) if explanation is not None else None,
            "lines": lines,
            "waiting": waiting,
            "form_version": territory.version_key(),
        },
    )


def _waiting_for(situation: dict[str, Any]) -> str | None:
    table = territory.waiting()
    wished = situation.get("wished_communes") or []
    if not wished:
        return None
    match = table[
        (table["rooms_min"].astype(float) == float(situation["rooms_min"]))
        & (table["first_wished_commune"].astype(str) == str(wished[0]))
    ]
    if match.empty:
        return None
    return _months_text(match.iloc[0])


def _months_text(row: Any) -> str:
    from mixite.reports import fr

    months = float(row["waiting_months"])
    text = f"{fr.number(months, 0)} mois"
    if str(row["method"]) == "estimation":
        return f"{text} (estimation : trop peu d'attributions dont la date de dépôt est connue)"
    return f"{text} (observé sur {fr.integer(row['cases'])} attributions)"


@require_GET
def waiting_times(request: HttpRequest) -> HttpResponse:
    """The observed waiting time by typology and commune (CCH L441-2-8)."""
    from mixite.reports import fr

    table = territory.waiting()
    names = territory.names()
    rows = [
        {
            "commune": names.commune(r["first_wished_commune"]),
            "rooms": f"T{int(float(r['rooms_min']))}",
            "months": _months_text(r),
        }
        for _, r in table.sort_values(["first_wished_commune", "rooms_min"]).iterrows()
    ]
    rows.sort(key=lambda r: (r["commune"], r["rooms"]))
    return render(
        request,
        "web/delais.html",
        {
            "title": "Délais d'attente observés",
            "rows": rows,
            "territory": names.territory,
            "year": fr.integer(territory.latest_year()),
        },
    )


@require_GET
@cache_control(max_age=86400, public=True)
def plotly_js(request: HttpRequest) -> HttpResponse:
    """plotly.js from the installed plotly package (the charts work offline)."""
    from plotly.offline import get_plotlyjs

    return HttpResponse(get_plotlyjs(), content_type="text/javascript; charset=utf-8")


# ---------------------------------------------------------------------------------------------
# Partners
# ---------------------------------------------------------------------------------------------


@require_GET
def space(request: HttpRequest) -> HttpResponse:
    """« Mon espace »: a partner's own dashboard, or the list of partners."""
    from mixite.web.permissions import LoginRequired, partner_of

    if not request.user.is_authenticated:
        raise LoginRequired
    partner = partner_of(request.user)
    if partner is not None:
        return redirect("web:partenaire", pk=partner.pk)
    require(request, Action.LIST_PARTNERS)
    return redirect("web:partenaires")


@require_GET
def partners(request: HttpRequest) -> HttpResponse:
    """The partners and the EPCI's own objectives (administrator, State services)."""
    require(request, Action.LIST_PARTNERS)
    from mixite.reports.legal import legal_html, obligations
    from mixite.vocabulary import Level

    result = territory.quotas()
    epci = result.table[result.table["level"] == Level.EPCI]
    blocks = legal_html(obligations(epci, result.names, result.year))
    return render(
        request,
        "web/partenaires.html",
        {
            "title": "Partenaires",
            "partners": visible_partners(request.user),
            "blocks": blocks,
            "year": result.year,
            "territory": result.names.territory,
        },
    )


def partner_rows(table: Any, partner: Partner) -> Any:
    """The rows of the quota table that concern ``partner`` (and no other)."""
    from mixite.vocabulary import Level

    if partner.kind == Partner.Kind.LANDLORD:
        levels = [Level.LANDLORD, Level.LANDLORD_NON_RESERVED]
    else:
        levels = [Level.RESERVATAIRE]
    keep = table["level"].isin([str(v) for v in levels]) & (
        table["group"].astype(str) == partner.code
    )
    return table.loc[keep]


Dashboard = tuple[list[str], int, list[dict[str, str]], list[dict[str, str]]]


def _dashboard_blocks(partner: Partner) -> Dashboard:
    from mixite.reports import fr
    from mixite.reports.legal import legal_html, obligations

    def compute() -> Dashboard:
        result = territory.quotas()
        rows = partner_rows(result.table, partner)
        blocks = legal_html(obligations(rows, result.names, result.year))
        figures = []
        for r in rows.itertuples(index=False):
            if not bool(r.target_applies):
                continue
            figures.append(
                {
                    "objective": fr.INDICATOR_SHORT_LABELS.get(str(r.indicator), str(r.indicator)),
                    "scope": "logements non réservés"
                    if str(r.level) == "bailleur_non_reserve"
                    else "toutes attributions",
                    "share": fr.percent(r.share),
                    "count": f"{fr.integer(r.numerator)} sur {fr.integer(r.denominator)}",
                    "target": fr.percent(r.target, 0),
                    "gap": "atteint" if int(str(r.shortfall)) == 0 else fr.integer(r.shortfall),
                }
            )
        flux: list[dict[str, str]] = []
        ledger = result.ledger
        if partner.kind == Partner.Kind.RESERVATAIRE and ledger is not None:
            mine = ledger[ledger["reservataire"].astype(str) == partner.code]
            for r in mine.itertuples(index=False):
                flux.append(
                    {
                        "landlord": result.names.landlord(r.landlord_id),
                        "share": fr.percent(r.share_reserved),
                        "flow": fr.integer(r.flow),
                        "entitled": fr.number(r.entitled, 1),
                        "delivered": fr.integer(r.delivered),
                        "balance": fr.number(r.balance, 1),
                    }
                )
        return blocks, result.year, figures, flux

    return territory.cached("dashboard", compute, partner.kind, partner.code)


@require_GET
def partner(request: HttpRequest, pk: int) -> HttpResponse:
    """A partner's dashboard: its legal objectives of the year with the target line."""
    obj = Partner.objects.filter(pk=pk).first()
    require(request, Action.VIEW_PARTNER, obj)
    assert obj is not None
    blocks, year, figures, flux = _dashboard_blocks(obj)
    uploads = Upload.objects.filter(partner=obj)[:10]
    return render(
        request,
        "web/partenaire.html",
        {
            "title": obj.name,
            "partner": obj,
            "blocks": blocks,
            "figures": figures,
            "flux": flux,
            "year": year,
            "uploads": uploads,
            "can_upload": _can(request, Action.UPLOAD, obj),
            "can_read": _can(request, Action.VIEW_PERSONAL, obj),
        },
    )


def _can(request: HttpRequest, action: Action, obj: Any = None) -> bool:
    from mixite.web.permissions import allowed

    return allowed(request.user, action, obj)


#: Attributions shown on one page of a landlord's list.
ATTRIBUTIONS_SHOWN = 500


@require_GET
def attributions(request: HttpRequest, pk: int) -> HttpResponse:
    """A landlord's attributions of the year (pseudonymised applications): audited read."""
    obj = Partner.objects.filter(pk=pk).first()
    require(request, Action.VIEW_PERSONAL, obj)
    assert obj is not None
    from mixite.jobs._load import attributions_of_year
    from mixite.reports import fr
    from mixite.store import Store

    year = territory.latest_year()
    names = territory.names()
    with territory.STORE_LOCK, Store(territory.base()) as store:
        table = attributions_of_year(store, year)
    mine = table[table["landlord_id"].astype(str) == obj.code].sort_values("lease_date")
    rows = [
        {
            "id": r.attribution_id,
            "application": r.application_id,
            "commune": names.commune(r.commune),
            "qpv": fr.yes_no(r.in_qpv),
            "lease": fr.date(r.lease_date),
            "reservataire": fr.reservataire_label(str(r.reservataire), short=True),
        }
        for r in mine.head(ATTRIBUTIONS_SHOWN).itertuples(index=False)
    ]
    audit(
        request,
        AuditEvent.Action.PERSONAL_READ,
        f"attributions {year} de {obj.name} ({obj.code})",
        f"{len(rows)} lignes affichées",
    )
    return render(
        request,
        "web/attributions.html",
        {
            "title": f"Attributions {year} — {obj.name}",
            "partner": obj,
            "rows": rows,
            "total": len(mine),
            "year": year,
        },
    )


# ---------------------------------------------------------------------------------------------
# Uploads
# ---------------------------------------------------------------------------------------------

_SAFE_NAME = re.compile(r"[^\w.\-]+")


def _error_dict(error: Any) -> dict[str, Any]:
    where = error.where
    return {
        "problem": error.problem,
        "file": where.file,
        "line": where.line,
        "column": where.column,
        "value": where.value,
        "fix": error.fix,
    }


def _indicator_rows(before: Any, after: Any) -> list[dict[str, str]]:
    from mixite.reports import fr

    out = []
    later = (
        {}
        if after is None
        else {(str(r.level), str(r.indicator)): r for r in after.itertuples(index=False)}
    )
    for r in before.itertuples(index=False):
        if not bool(r.target_applies):
            continue
        a = later.get((str(r.level), str(r.indicator)))
        out.append(
            {
                "objective": fr.INDICATOR_SHORT_LABELS.get(str(r.indicator), str(r.indicator)),
                "scope": "logements non réservés"
                if str(r.level) == "bailleur_non_reserve"
                else "toutes attributions",
                "before": f"{fr.percent(r.share)} ({fr.integer(r.numerator)}/{fr.integer(r.denominator)})",
                "after": fr.MISSING
                if a is None
                else (
                    f"{fr.percent(a.share)} ({fr.integer(a.numerator)}/{fr.integer(a.denominator)})"
                ),
                "target": fr.percent(r.target, 0),
            }
        )
    return out


@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a landlord's attributions: read through the real reader, checked, previewed;
    nothing is imported until confirmed."""
    from django.conf import settings

    from mixite.errors import MixiteError
    from mixite.jobs.importing import preview_partner_file

    obj = Partner.objects.filter(pk=pk).first()
    require(request, Action.UPLOAD, obj)
    assert obj is not None
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        sent = form.cleaned_data["fichier"]
        if sent.size > settings.MIXITE_MAX_UPLOAD:
            form.add_error("fichier", "Fichier trop volumineux.")
        else:
            name = _SAFE_NAME.sub("_", Path(sent.name).name)[:120] or "depot.csv"
            folder = territory.web_dir() / "depots" / uuid.uuid4().hex
            folder.mkdir(parents=True)
            path = folder / name
            with path.open("wb") as out:
                for chunk in sent.chunks():
                    out.write(chunk)
            record = Upload(
                partner=obj,
                user=request.user,
                original_name=name,
                stored=str(path),
                status=Upload.Status.REJECTED,
            )
            try:
                with territory.STORE_LOCK:
                    preview = preview_partner_file(territory.base(), obj.code, path)
            except MixiteError as error:
                record.report = {"errors": [{"problem": str(error)}]}
            else:
                if preview.errors:
                    record.report = {"errors": [_error_dict(e) for e in preview.errors]}
                else:
                    record.status = Upload.Status.PENDING
                    record.report = {
                        "millesime": preview.millesime,
                        "year": preview.year,
                        "file_rows": preview.file_rows,
                        "rows_before": preview.rows_before,
                        "added": preview.added,
                        "removed": preview.removed,
                        "kept": preview.kept,
                        "indicators": _indicator_rows(preview.before, preview.after),
                    }
            record.save()
            audit(
                request,
                AuditEvent.Action.UPLOAD,
                f"dépôt n° {record.pk} de {obj.name} ({obj.code})",
                f"{name} : {record.get_status_display()}",
            )
            return redirect("web:depot", pk=record.pk)
    return render(
        request,
        "web/depot.html",
        {"title": f"Déposer des attributions — {obj.name}", "partner": obj, "form": form},
    )


@require_GET
def upload_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """What an upload found: each error (file, line, column, value, fix) or the summary."""
    record = Upload.objects.filter(pk=pk).select_related("partner").first()
    require(request, Action.VIEW_UPLOAD, record)
    assert record is not None
    return render(
        request,
        "web/depot_detail.html",
        {"title": f"Dépôt n° {record.pk}", "upload": record, "report": record.report},
    )


@require_POST
def upload_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a checked upload, in one transaction (``store.replace_partner_rows``)."""
    from mixite.errors import MixiteError
    from mixite.jobs.importing import import_partner_file

    record = Upload.objects.filter(pk=pk).select_related("partner").first()
    require(request, Action.CONFIRM_UPLOAD, record)
    assert record is not None
    if record.status != Upload.Status.PENDING:
        return HttpResponseBadRequest("Ce dépôt n'est pas à confirmer.")
    try:
        with territory.STORE_LOCK:
            removed, imported = import_partner_file(
                territory.base(), record.partner.code, Path(record.stored)
            )
            territory.store_written()
    except MixiteError as error:
        record.status = Upload.Status.REJECTED
        record.report = {"errors": [{"problem": str(error)}]}
        record.save()
        return redirect("web:depot", pk=record.pk)
    record.status = Upload.Status.IMPORTED
    record.imported = timezone.now()
    record.save()
    audit(
        request,
        AuditEvent.Action.IMPORT,
        f"dépôt n° {record.pk} de {record.partner.name} ({record.partner.code})",
        f"{removed} lignes remplacées par {imported}",
    )
    messages.success(
        request, f"Import terminé : {imported} attributions remplacent les {removed} précédentes."
    )
    return redirect("web:partenaire", pk=record.partner.pk)


@require_POST
def upload_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Drop a checked upload without importing it."""
    record = Upload.objects.filter(pk=pk).select_related("partner").first()
    require(request, Action.CONFIRM_UPLOAD, record)
    assert record is not None
    if record.status == Upload.Status.PENDING:
        record.status = Upload.Status.CANCELLED
        record.save()
        audit(request, AuditEvent.Action.CANCEL, f"dépôt n° {record.pk}", record.original_name)
    return redirect("web:partenaire", pk=record.partner.pk)


# ---------------------------------------------------------------------------------------------
# Outputs, runs, audit log
# ---------------------------------------------------------------------------------------------


def _outputs() -> dict[str, list[str]]:
    root = territory.web_dir() / "sorties"
    found: dict[str, list[str]] = {}
    for section in OUTPUT_SECTIONS:
        folder = root / section
        if folder.is_dir():
            found[section] = sorted(
                f.name
                for f in folder.iterdir()
                if f.is_file() and f.suffix.lower() in OUTPUT_SUFFIXES
            )
    return found


@require_GET
def documents(request: HttpRequest) -> HttpResponse:
    """The generated diagnostic, maps and documents, to open or download."""
    require(request, Action.VIEW_OUTPUTS)
    found = _outputs()
    sections = [(key, OUTPUT_SECTIONS[key], found[key]) for key in OUTPUT_SECTIONS if key in found]
    return render(
        request, "web/documents.html", {"title": "Diagnostic et documents", "sections": sections}
    )


@require_GET
def output_file(request: HttpRequest, section: str, name: str) -> FileResponse:
    """One generated file (only a name listed by ``documents``: no path reaches the disk)."""
    require(request, Action.VIEW_OUTPUTS)
    if name not in _outputs().get(section, []):
        raise Http404("Fichier introuvable")
    path = territory.web_dir() / "sorties" / section / name
    inline = path.suffix.lower() == ".html"
    return FileResponse(path.open("rb"), as_attachment=not inline, filename=name)


def _examples() -> list[tuple[str, str]]:
    """The example scenarios and strategies a run may compare (``exemples/``), as
    ``folder/name`` choices."""
    from mixite.demo import EXAMPLES

    choices = []
    for folder, what in (("scenarios", "scénario"), ("strategies", "stratégie")):
        for file in sorted((EXAMPLES / folder).glob("*.yaml")):
            choices.append((f"{folder}/{file.name}", f"{what} « {file.stem} »"))
    return choices


def _save_run_input(request: HttpRequest, form: RunForm) -> str | None:
    """Keep the uploaded scenario or strategy beside a copy of the examples (its relative paths
    such as ``../scenarios/reference.yaml`` keep working) and read it with the strict loader;
    the path, or None with the French error added to the form."""
    import shutil

    from django.conf import settings

    from mixite.demo import EXAMPLES
    from mixite.errors import MixiteError

    sent = form.cleaned_data.get("fichier")
    if sent is None:
        return ""
    if sent.size > settings.MIXITE_RUN_LIMITS["yaml_bytes"]:
        form.add_error("fichier", "Fichier trop volumineux pour un scénario ou une stratégie.")
        return None
    kind = form.cleaned_data["travail"]
    folder = territory.web_dir() / "entrees" / uuid.uuid4().hex
    shutil.copytree(EXAMPLES, folder)
    sub = "strategies" if kind == Run.Kind.PROJECTION else "scenarios"
    name = _SAFE_NAME.sub("_", Path(sent.name).stem)[:80] or "depose"
    path = folder / sub / f"depot_{name}.yaml"
    with path.open("wb") as out:
        for chunk in sent.chunks():
            out.write(chunk)
    try:
        if kind == Run.Kind.PROJECTION:
            from mixite.io.strategy import load_strategy

            load_strategy(path)
        else:
            from mixite.allocation.scenario import load_scenario

            load_scenario(path)
    except MixiteError as error:
        shutil.rmtree(folder, ignore_errors=True)
        form.add_error("fichier", str(error).replace(str(folder / sub) + "/", ""))
        return None
    return str(path)


@require_http_methods(["GET", "POST"])
def runs(request: HttpRequest) -> HttpResponse:
    """Background runs: launch one (diagnostic, documents, simulation, optimisation,
    projection), follow their progress (HTMX polling), open what they wrote."""
    from django.conf import settings

    require(request, Action.VIEW_RUN)
    limits = settings.MIXITE_RUN_LIMITS
    form = RunForm(request.POST or None, request.FILES or None, examples=_examples(), limits=limits)
    if request.method == "POST":
        require(request, Action.RUN)
        if form.is_valid():
            from mixite.web.tasks import execute

            upload_path = _save_run_input(request, form)
            if upload_path is not None:
                options = {**form.options(), "upload": upload_path}
                run = Run.objects.create(
                    kind=form.cleaned_data["travail"], user=request.user, options=options
                )
                what = ", ".join(options["examples"]) or "exemples de la démonstration"
                if upload_path:
                    what += f" et {Path(upload_path).name}"
                audit(
                    request,
                    AuditEvent.Action.RUN,
                    f"travail n° {run.pk}",
                    f"{run.get_kind_display()} ({what})",
                )
                execute(run.pk)
                return redirect("web:travaux")
    return render(
        request,
        "web/travaux.html",
        {"title": "Travaux en arrière-plan", "form": form, "runs": Run.objects.all()[:30]},
    )


@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One run's progress (the fragment HTMX refreshes)."""
    run = Run.objects.filter(pk=pk).first()
    require(request, Action.VIEW_RUN, run)
    if run is None:
        raise Http404("Travail introuvable")
    return render(request, "web/_travail.html", {"run": run})


#: Audit events shown on the page (the CSV export has them all).
AUDIT_SHOWN = 300


@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log (administrator)."""
    require(request, Action.AUDIT)
    return render(
        request,
        "web/journal.html",
        {"title": "Journal", "events": AuditEvent.objects.all()[:AUDIT_SHOWN]},
    )


@require_GET
def audit_csv(request: HttpRequest) -> HttpResponse:
    """The whole audit log as CSV for Excel (``;``, UTF-8 with BOM)."""
    require(request, Action.AUDIT)
    audit(request, AuditEvent.Action.EXPORT, "journal", "export CSV")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["date", "compte", "rôle", "action", "objet", "détail"])
    for e in AuditEvent.objects.all().order_by("at", "id"):
        when = timezone.localtime(e.at).strftime("%d/%m/%Y %H:%M:%S")
        writer.writerow([when, e.username, e.role, e.get_action_display(), e.target, e.detail])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = dt.date.today().isoformat()
    response["Content-Disposition"] = f'attachment; filename="journal_{stamp}.csv"'
    return response


# ---------------------------------------------------------------------------------------------
# Relocation follow-up
# ---------------------------------------------------------------------------------------------

#: Households shown on one page of the follow-up.
CASES_PER_PAGE = 100


def _visible_cases(request: HttpRequest) -> tuple[Any, Partner | None]:
    """The cases of the request's account, narrowed to the landlord ``?bailleur=`` when given
    (only among those the account may read)."""
    cases = visible_cases(request.user)
    chosen = None
    key = request.GET.get("bailleur", "")
    if key.isdigit():
        chosen = Partner.objects.filter(pk=int(key), kind=Partner.Kind.LANDLORD).first()
        cases = cases.filter(landlord_id=int(key))
    return cases, chosen


@require_GET
def relocations(request: HttpRequest) -> HttpResponse:
    """The relocation follow-up: the administrator's every household, a landlord's own; counts
    per status; an audited read of pseudonymised households."""
    from django.core.paginator import Paginator
    from django.db.models import Count

    from mixite.reports import fr
    from mixite.schema import FOLLOWUP_STATUSES

    require(request, Action.VIEW_FOLLOWUP)
    cases, chosen = _visible_cases(request)
    counts = dict(cases.values_list("status").annotate(n=Count("id")).order_by())
    statuses = [
        {"code": code, "label": label, "count": fr.integer(counts.get(code, 0))}
        for code, label in FOLLOWUP_STATUSES.items()
    ]
    page = Paginator(cases.order_by("operation", "household_id"), CASES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [
        {
            "pk": c.pk,
            "household": c.household_id,
            "operation": c.operation,
            "landlord": c.landlord.name,
            "status": c.get_status_display(),
            "proposed": c.proposed_dwelling or fr.MISSING,
            "refusals": fr.integer(c.refusals),
            "lease": fr.date(c.lease_date) if c.lease_date else fr.MISSING,
        }
        for c in page.object_list
    ]
    landlords = (
        Partner.objects.filter(pk__in=visible_cases(request.user).values("landlord_id"))
        if role_of(request.user) == "admin"
        else Partner.objects.none()
    )
    total = page.paginator.count
    audit(
        request,
        AuditEvent.Action.PERSONAL_READ,
        "suivi des relogements" + (f" de {chosen.name}" if chosen else ""),
        f"{len(rows)} ménages affichés sur {total}",
    )
    return render(
        request,
        "web/relogements.html",
        {
            "title": "Suivi des relogements",
            "rows": rows,
            "page": page,
            "total": fr.integer(total),
            "statuses": statuses,
            "landlords": landlords,
            "chosen": chosen,
        },
    )


def _shown(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)


@require_http_methods(["GET", "POST"])
def relocation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Where one household's relocation stands: its landlord or the administrator edits it.

    A valid change is saved in Django's database AND written to the territory's store (the
    whole follow-up, ``relocation.store_followup``), both or neither: the store's lock is taken
    first (waiting ``MIXITE_STORE_WAIT`` seconds at most), then, in one Django transaction, the
    row and its audit entry are written and the store is written last; a store failure raises
    inside the transaction, which rolls the row and its entry back, and the page shows the
    French error (the refusal is itself written to the audit log). Should Django's commit fail
    after the store's, the store is written again from Django's committed follow-up. The lock is
    released after Django's commit: the next writer's follow-up (another thread or process)
    includes this edit."""
    from django.conf import settings
    from django.db import DatabaseError, transaction

    from mixite.errors import MixiteError
    from mixite.web.relocation import store_followup

    case = RelocationCase.objects.filter(pk=pk).select_related("landlord").first()
    require(request, Action.EDIT_FOLLOWUP, case)
    assert case is not None
    fields = ("status", "refusals", "dwelling_id", "lease_date", "comment")
    before = {f: getattr(case, f) for f in fields}
    target = f"ménage {case.household_id} ({case.landlord.name})"
    form = FollowupForm(request.POST or None, instance=case, dwellings=territory.dwelling_ids())
    if request.method == "POST" and form.is_valid():
        try:
            with (
                territory.STORE_LOCK.within(float(settings.MIXITE_STORE_WAIT)),
                transaction.atomic(),
            ):
                saved = form.save()
                changes = [
                    f"{case._meta.get_field(f).verbose_name} : {_shown(before[f])} → "
                    f"{_shown(getattr(saved, f))}"
                    for f in fields
                    if before[f] != getattr(saved, f) and f != "comment"
                ]
                if before["comment"] != saved.comment:
                    changes.append("commentaire modifié")
                stored = store_followup()
                audit(
                    request,
                    AuditEvent.Action.RELOCATION,
                    target,
                    (" ; ".join(changes) or "aucun changement")
                    + f" ; écrit dans la base du territoire (suivi de {stored.households} "
                    f"ménages, millésime {stored.millesime})",
                )
        except MixiteError as error:
            audit(
                request,
                AuditEvent.Action.RELOCATION,
                target,
                f"non enregistré, refusé par la base du territoire : {error}",
            )
            form.add_error(None, f"Rien n'est enregistré. {error}")
        except DatabaseError:
            # Django's commit failed after the store's: the store follows Django again.
            with territory.STORE_LOCK, contextlib.suppress(MixiteError, DatabaseError):
                store_followup()
            raise
        else:
            messages.success(
                request,
                f"Suivi du ménage {saved.household_id} enregistré, pris en compte dans les "
                "objectifs.",
            )
            return redirect("web:relogements")
    return render(
        request,
        "web/relogement.html",
        {"title": f"Relogement du ménage {case.household_id}", "case": case, "form": form},
    )


@require_GET
def relocations_csv(request: HttpRequest) -> HttpResponse:
    """The follow-up table of the account's households in the format of
    ``suivi-relogement.csv`` (for ``mixite reloger --suivi``): an audited read."""
    from mixite.reports.safe import neutralise_frame
    from mixite.web.relocation import followup_frame

    require(request, Action.VIEW_FOLLOWUP)
    cases, chosen = _visible_cases(request)
    frame = neutralise_frame(followup_frame(cases.order_by("operation", "household_id")))
    audit(
        request,
        AuditEvent.Action.PERSONAL_READ,
        "suivi des relogements" + (f" de {chosen.name}" if chosen else ""),
        f"export CSV de {len(frame)} ménages",
    )
    body = frame.to_csv(sep=";", index=False)
    response = HttpResponse("\ufeff" + body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="suivi-relogement.csv"'
    return response
