"""Who may do what: every permission check of the web application, in one place.

A view names the action it performs (``Action``) and, for a partner's data, the object; it calls
``require``, which lets the request through, sends an anonymous visitor to the login page, or
answers « introuvable » (404) — the same answer as for an identifier that does not exist, so
that guessing identifiers tells nothing. The matrix of ``RULES`` is tested role by role and URL
by URL (``tests/web/test_permissions.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from django.http import Http404, HttpRequest

from mixite.web.models import Partner, Profile, RelocationCase, Role, Run, Upload

__all__ = [
    "Action",
    "LoginRequired",
    "allowed",
    "require",
    "role_of",
    "visible_cases",
    "visible_partners",
]

#: An account or the anonymous visitor (Django's ``request.user``; Django ships no annotations).
User = Any


class Action(StrEnum):
    """The actions of the application (the public pages need none)."""

    LIST_PARTNERS = "voir_partenaires"
    VIEW_PARTNER = "voir_partenaire"
    VIEW_PERSONAL = "voir_attributions"
    UPLOAD = "deposer"
    VIEW_UPLOAD = "voir_depot"
    CONFIRM_UPLOAD = "confirmer_depot"
    VIEW_OUTPUTS = "voir_documents"
    RUN = "lancer_travaux"
    VIEW_RUN = "voir_travaux"
    AUDIT = "voir_journal"
    VIEW_FOLLOWUP = "voir_relogements"
    EDIT_FOLLOWUP = "modifier_relogement"


class LoginRequired(Exception):
    """The visitor must log in first (the view redirects to the login page)."""


def _profile(user: User) -> Profile | None:
    """The account's profile, read once per request (kept on the request's user object)."""
    if not hasattr(user, "_mixite_profile"):
        user._mixite_profile = Profile.objects.filter(user=user).select_related("partner").first()
    return user._mixite_profile  # type: ignore[no-any-return]


def role_of(user: User) -> str | None:
    """The role of an account (``models.Role``), None for a visitor or an account without
    profile; a Django superuser is an administrator."""
    if not user.is_authenticated:
        return None
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    profile = _profile(user)
    return profile.role if profile is not None else None


def partner_of(user: User) -> Partner | None:
    """The partner an account acts for (landlords and reservataires), else None."""
    if not user.is_authenticated:
        return None
    profile = _profile(user)
    return profile.partner if profile is not None else None


def _own_partner(user: User, obj: Any) -> bool:
    partner = partner_of(user)
    return isinstance(obj, Partner) and partner is not None and partner.pk == obj.pk


def _own_landlord(user: User, obj: Any) -> bool:
    return _own_partner(user, obj) and obj.kind == Partner.Kind.LANDLORD


def _own_upload(user: User, obj: Any) -> bool:
    partner = partner_of(user)
    return isinstance(obj, Upload) and partner is not None and obj.partner_id == partner.pk


def _own_case(user: User, obj: Any) -> bool:
    partner = partner_of(user)
    return (
        isinstance(obj, RelocationCase)
        and partner is not None
        and partner.kind == Partner.Kind.LANDLORD
        and obj.landlord_id == partner.pk
    )


def _landlord_account(user: User, obj: Any) -> bool:
    partner = partner_of(user)
    return partner is not None and partner.kind == Partner.Kind.LANDLORD


def _landlord_object(obj: Any) -> bool:
    return isinstance(obj, Partner) and obj.kind == Partner.Kind.LANDLORD


Check = Callable[[User, Any], bool]


def _always(user: User, obj: Any) -> bool:
    return True


#: Action → role → the check on the object (absent role: refused).
RULES: dict[Action, dict[str, Check]] = {
    Action.LIST_PARTNERS: {Role.ADMIN: _always, Role.STATE: _always},
    Action.VIEW_PARTNER: {
        Role.ADMIN: _always,
        Role.STATE: _always,
        Role.LANDLORD: _own_partner,
        Role.RESERVATAIRE: _own_partner,
    },
    # The pseudonymised attributions of a landlord (personal data: every read is audited).
    Action.VIEW_PERSONAL: {
        Role.ADMIN: lambda u, o: _landlord_object(o),
        Role.STATE: lambda u, o: _landlord_object(o),
        Role.LANDLORD: _own_landlord,
    },
    Action.UPLOAD: {Role.ADMIN: lambda u, o: _landlord_object(o), Role.LANDLORD: _own_landlord},
    Action.VIEW_UPLOAD: {
        Role.ADMIN: lambda u, o: isinstance(o, Upload),
        Role.LANDLORD: _own_upload,
    },
    Action.CONFIRM_UPLOAD: {
        Role.ADMIN: lambda u, o: isinstance(o, Upload),
        Role.LANDLORD: _own_upload,
    },
    Action.VIEW_OUTPUTS: {
        Role.ADMIN: _always,
        Role.STATE: _always,
        Role.LANDLORD: _always,
        Role.RESERVATAIRE: _always,
    },
    Action.RUN: {Role.ADMIN: _always},
    Action.VIEW_RUN: {Role.ADMIN: lambda u, o: o is None or isinstance(o, Run)},
    Action.AUDIT: {Role.ADMIN: _always},
    # The relocation follow-up (pseudonymised households): the EPCI and each household's
    # landlord (``RelocationCase.landlord``); every read is audited.
    Action.VIEW_FOLLOWUP: {Role.ADMIN: _always, Role.LANDLORD: _landlord_account},
    Action.EDIT_FOLLOWUP: {
        Role.ADMIN: lambda u, o: isinstance(o, RelocationCase),
        Role.LANDLORD: _own_case,
    },
}


#: Actions on one object: refused when the object does not exist.
OBJECT_ACTIONS = frozenset(
    {
        Action.VIEW_PARTNER,
        Action.VIEW_PERSONAL,
        Action.UPLOAD,
        Action.VIEW_UPLOAD,
        Action.CONFIRM_UPLOAD,
        Action.EDIT_FOLLOWUP,
    }
)


def allowed(user: User, action: Action, obj: Any = None) -> bool:
    """Whether ``user`` may perform ``action`` (on ``obj`` when it concerns one)."""
    if action in OBJECT_ACTIONS and obj is None:
        return False
    role = role_of(user)
    if role is None:
        return False
    check = RULES[action].get(role)
    return check is not None and bool(check(user, obj))


def require(request: HttpRequest, action: Action, obj: Any = None) -> None:
    """Let the request through, or raise ``LoginRequired`` (anonymous visitor) or ``Http404``
    (any refusal: the answer of an identifier that does not exist)."""
    if not request.user.is_authenticated:
        raise LoginRequired
    if not allowed(request.user, action, obj):
        raise Http404("Page introuvable")


def visible_partners(user: User) -> list[Partner]:
    """The partners whose dashboard ``user`` may open."""
    return [p for p in Partner.objects.all() if allowed(user, Action.VIEW_PARTNER, p)]


def visible_cases(user: User) -> Any:
    """The relocation cases ``user`` may read (a queryset): all for the administrator, its own
    households for a landlord, none otherwise."""
    cases = RelocationCase.objects.select_related("landlord")
    if not allowed(user, Action.VIEW_FOLLOWUP):
        return cases.none()
    if role_of(user) == Role.ADMIN:
        return cases
    partner = partner_of(user)
    return cases.filter(landlord=partner)
