"""Preparing the web application on a store: its partners, and demonstration accounts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from mixite.web import territory
from mixite.web.models import Partner, Profile, Role

__all__ = ["DemoAccount", "demo_accounts", "sync_partners"]


def sync_partners() -> list[Partner]:
    """Create (or rename) a partner for each landlord and each reservataire of the store's
    legal quota table of the latest lease year; returns every partner."""
    from mixite.reports import fr
    from mixite.vocabulary import Level

    result = territory.quotas()
    table = result.table
    for code, name in result.names.landlords.items():
        Partner.objects.update_or_create(
            kind=Partner.Kind.LANDLORD, code=str(code), defaults={"name": str(name)}
        )
    keys = sorted(set(table.loc[table["level"] == Level.RESERVATAIRE, "group"].astype(str)))
    for key in keys:
        Partner.objects.update_or_create(
            kind=Partner.Kind.RESERVATAIRE,
            code=key,
            defaults={"name": fr.group_label(Level.RESERVATAIRE, key, result.names)},
        )
    return list(Partner.objects.all())


@dataclass(frozen=True)
class DemoAccount:
    """A demonstration account and its password (shown once, stored hashed)."""

    username: str
    password: str
    role: str
    partner: str


def _account(username: str, role: str, partner: Partner | None) -> DemoAccount:
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    password = secrets.token_urlsafe(9)
    user, _ = user_model.objects.get_or_create(username=username)
    user.set_password(password)
    admin = role == Role.ADMIN
    user.is_staff = admin
    user.is_superuser = admin
    user.save()
    Profile.objects.update_or_create(user=user, defaults={"role": role, "partner": partner})
    return DemoAccount(username, password, role, partner.name if partner else "")


def demo_accounts() -> list[DemoAccount]:
    """One account per role (as partners: the landlord carrying the most relocations of the
    follow-up, else the first landlord; the first commune reservataire), each with a new random
    password."""
    from django.db.models import Count

    from mixite.web.models import RelocationCase

    partners = sync_partners()
    landlords = [p for p in partners if p.kind == Partner.Kind.LANDLORD]
    carrying = (
        RelocationCase.objects.values("landlord")
        .annotate(n=Count("id"))
        .order_by("-n", "landlord")
        .first()
    )
    landlord = next(
        (p for p in landlords if carrying is not None and p.pk == carrying["landlord"]),
        landlords[0],
    )
    reservataires = [p for p in partners if p.kind == Partner.Kind.RESERVATAIRE]
    reservataire = next(
        (p for p in reservataires if p.code.startswith("commune")), reservataires[0]
    )
    return [
        _account("admin-epci", Role.ADMIN, None),
        _account("bailleur", Role.LANDLORD, landlord),
        _account("reservataire", Role.RESERVATAIRE, reservataire),
        _account("etat", Role.STATE, None),
    ]
