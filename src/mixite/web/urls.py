"""The URLs of the web application (French paths)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.staticfiles.views import serve as static_serve
from django.urls import include, path, re_path

from mixite.web import views

pages = [
    path("", views.home, name="accueil"),
    path("simulateur/", views.simulator, name="simulateur"),
    path("delais/", views.waiting_times, name="delais"),
    path("ressources/plotly.min.js", views.plotly_js, name="plotly"),
    path(
        "connexion/",
        auth_views.LoginView.as_view(
            template_name="web/connexion.html",
            extra_context={"title": "Connexion"},
            redirect_authenticated_user=True,
        ),
        name="connexion",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="deconnexion"),
    path("espace/", views.space, name="espace"),
    path("partenaires/", views.partners, name="partenaires"),
    path("partenaires/<int:pk>/", views.partner, name="partenaire"),
    path("partenaires/<int:pk>/attributions/", views.attributions, name="attributions"),
    path("partenaires/<int:pk>/depot/", views.upload, name="deposer"),
    path("depots/<int:pk>/", views.upload_detail, name="depot"),
    path("depots/<int:pk>/confirmer/", views.upload_confirm, name="confirmer"),
    path("depots/<int:pk>/annuler/", views.upload_cancel, name="annuler"),
    path("documents/", views.documents, name="documents"),
    path("documents/<str:section>/<str:name>", views.output_file, name="fichier"),
    path("travaux/", views.runs, name="travaux"),
    path("travaux/<int:pk>/", views.run_detail, name="travail"),
    path("relogements/", views.relocations, name="relogements"),
    path("relogements/<int:pk>/", views.relocation_edit, name="relogement"),
    path("relogements.csv", views.relocations_csv, name="relogements_csv"),
    path("journal/", views.audit_log, name="journal"),
    path("journal.csv", views.audit_csv, name="journal_csv"),
]

urlpatterns = [
    path("", include((pages, "web"))),
    path("admin/", admin.site.urls),
    # The DSFR and htmx assets are served by the application itself (a local service: no CDN,
    # no separate web server to configure).
    re_path(r"^static/(?P<path>.*)$", static_serve, {"insecure": True}),
]
