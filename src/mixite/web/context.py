"""What every page knows: the service's name, the account's role and its navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from mixite.web.permissions import Action, allowed, partner_of, role_of


def site(request: HttpRequest) -> dict[str, Any]:
    """The DSFR site configuration, skip links and the navigation of the account."""
    from mixite.web.models import Role

    user = request.user
    role = role_of(user)
    partner = partner_of(user)
    nav: list[tuple[str, str]] = [
        (reverse("web:simulateur"), "Simulateur de cotation"),
        (reverse("web:delais"), "Délais d'attente"),
    ]
    if role is not None:
        nav.insert(0, (reverse("web:espace"), "Mon espace"))
        if allowed(user, Action.VIEW_OUTPUTS):
            nav.append((reverse("web:documents"), "Diagnostic et documents"))
        if allowed(user, Action.VIEW_FOLLOWUP):
            nav.append((reverse("web:relogements"), "Relogements"))
        if allowed(user, Action.VIEW_RUN):
            nav.append((reverse("web:travaux"), "Travaux"))
        if allowed(user, Action.AUDIT):
            nav.append((reverse("web:journal"), "Journal"))
    return {
        "SITE_CONFIG": {
            "site_title": "mixite",
            "site_tagline": "Politique intercommunale d'attribution des logements sociaux",
        },
        "skiplinks": [
            {"link": "#content", "label": "Contenu"},
            {"link": "#navigation", "label": "Menu"},
        ],
        "mixite_role": role,
        "mixite_role_label": dict(Role.choices).get(role or "", ""),
        "mixite_partner": partner,
        "mixite_nav": nav,
    }
