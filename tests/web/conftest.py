"""Fixtures of the web tests: a copy of the small synthetic store per module (uploads change
it), the web application configured on it, partners and one account per role, the social
survey of an NPNRU operation written for that store, and the store's lock held by a background
run of another thread."""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mixite.store import Store, key_path

PASSWORD = "Mot-de-passe-de-test-2026"


@pytest.fixture(scope="module")
def web_store(petite_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the `petite` store and its pseudonymisation key."""
    folder = tmp_path_factory.mktemp("web_base")
    path = folder / "territoire.duckdb"
    shutil.copy(petite_store, path)
    shutil.copy(key_path(petite_store), key_path(path))
    return path


@pytest.fixture(autouse=True)
def web_settings(settings: Any, web_store: Path) -> Iterator[None]:
    """The application on the module's store; background runs executed at once."""
    from huey.contrib.djhuey import HUEY

    settings.MIXITE_BASE = web_store
    HUEY.immediate = True
    yield


def _user(username: str, role: str, partner: Any) -> Any:
    from django.contrib.auth import get_user_model

    from mixite.web.models import Profile

    user = get_user_model().objects.create_user(username, password=PASSWORD)
    if role == "admin":
        # The EPCI administrator manages partners and accounts in Django's admin.
        user.is_staff = user.is_superuser = True
        user.save()
    Profile.objects.create(user=user, role=role, partner=partner)
    return user


@pytest.fixture
def accounts(db: Any) -> dict[str, Any]:
    """Partners of the store and accounts: admin, etat, landlord A, reservataire R; partners B
    (another landlord) and S (another reservataire) have no account in the tests."""
    from mixite.web.models import Partner, Role
    from mixite.web.setup import sync_partners

    sync_partners()
    landlords = list(Partner.objects.filter(kind=Partner.Kind.LANDLORD).order_by("code"))
    reservataires = list(
        Partner.objects.filter(
            kind=Partner.Kind.RESERVATAIRE, code__startswith="commune:"
        ).order_by("code")
    )
    a, b = landlords[0], landlords[1]
    r, s = reservataires[0], reservataires[1]
    return {
        "A": a,
        "B": b,
        "R": r,
        "S": s,
        "admin": _user("admin", Role.ADMIN, None),
        "etat": _user("etat", Role.STATE, None),
        "bailleur": _user("bailleur", Role.LANDLORD, a),
        "reservataire": _user("reservataire", Role.RESERVATAIRE, r),
    }


def attributions_csv(store: Path, landlord: str, folder: Path, drop: int = 0) -> Path:
    """The landlord's attributions of the store written in mixite's CSV format (French
    headers, ``;``), without its last ``drop`` rows. The pseudonyms stand for the numbers."""
    from mixite.schema import ATTRIBUTIONS

    with Store(store) as s:
        frame = s.read("attributions", max(s.millesimes("attributions")))
    mine = frame[frame["landlord_id"].astype(str) == landlord].reset_index(drop=True)
    if drop:
        mine = mine.iloc[:-drop]
    out = mine[[c.name for c in ATTRIBUTIONS.columns]].copy()
    for col in ATTRIBUTIONS.columns:
        if col.dtype == "bool":
            out[col.name] = out[col.name].map({True: "1", False: "0"})
        elif col.dtype == "date":
            out[col.name] = out[col.name].dt.strftime("%Y-%m-%d")
    out.columns = [c.header for c in ATTRIBUTIONS.columns]
    path = folder / "attributions_bailleur.csv"
    out.to_csv(path, sep=";", index=False)
    return path


def household(label: str) -> str:
    """A test household's identifier shaped as the store's pseudonyms (32 hexadecimal
    characters): the follow-up written to the store refuses any other identifier."""
    return hashlib.sha256(label.encode()).hexdigest()[:32]


def make_case(partner: Any, household: str, status: str = "enquete", **values: Any) -> Any:
    """A household of landlord ``partner`` in the relocation follow-up."""
    from mixite.web.models import RelocationCase

    return RelocationCase.objects.create(
        household_id=household,
        operation="NPNRU-TEST",
        landlord=partner,
        residence="P-TEST",
        status=status,
        **values,
    )


#: Households of the synthetic NPNRU operation written by ``survey``.
SURVEY_HOUSEHOLDS = 12


@pytest.fixture
def survey(web_store: Path, tmp_path: Path) -> Path:
    """The synthetic NPNRU operation of the demo (its social survey), written for the module's
    store: ``SURVEY_HOUSEHOLDS`` households of a residence to demolish."""
    from mixite.synth.relogement import write_relocation_files

    with Store(web_store) as store:
        year = max(store.millesimes("dwellings"))
        files = write_relocation_files(
            tmp_path / "releve", store.read("dwellings", year), store.read("households", year),
            year, 7, max_households=SURVEY_HOUSEHOLDS,
        )  # fmt: skip
    return files.survey


class HeldLock:
    """The store's lock held by another thread (a background run) until ``release``."""

    def __init__(self) -> None:
        from mixite.web import territory

        self._held = threading.Event()
        self._release = threading.Event()

        def background_run() -> None:
            with territory.STORE_LOCK:
                self._held.set()
                self._release.wait(30)

        self._worker = threading.Thread(target=background_run)
        self._worker.start()
        assert self._held.wait(30), "the background run did not take the store's lock"

    def release(self) -> None:
        """Let the background run end, and wait for it (the lock is free afterwards)."""
        self._release.set()
        self._worker.join(30)


@pytest.fixture
def hold_store_lock(db: Any) -> Iterator[Callable[[], HeldLock]]:
    """Starts a background run of another thread that takes the store's lock and holds it
    (until its ``release``, at the end of the test at the latest)."""
    runs: list[HeldLock] = []

    def start() -> HeldLock:
        runs.append(HeldLock())
        return runs[-1]

    try:
        yield start
    finally:
        for run in runs:
            run.release()
