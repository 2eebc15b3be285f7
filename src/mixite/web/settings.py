"""Django settings of the partners' web application.

Read from the environment, set by ``mixite web`` before Django starts:

- ``MIXITE_WEB_BASE``: the territory's DuckDB store; the web keeps its own files beside it, in
  ``<base>.web/`` (``paths.web_folder``): the Django database ``web.sqlite3``, the secret key,
  the task queue, the uploads and the generated outputs;
- ``MIXITE_WEB_DB``: ``postgresql://user:password@host:port/name`` to keep accounts, uploads
  and the audit log in PostgreSQL instead of SQLite;
- ``MIXITE_WEB_SECRET``: the secret key (else read from, or created in, the web folder);
- ``MIXITE_WEB_HOSTS``: extra host names served, comma-separated (default: loopback only).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from mixite.web.paths import web_folder

_base = os.environ.get("MIXITE_WEB_BASE")
#: The territory's store (None: no territory, as in the unit tests that set it themselves).
MIXITE_BASE: Path | None = Path(_base) if _base else None
#: The grid the public simulator uses (a cotation YAML); None: ``paths.DEFAULT_GRID``.
MIXITE_GRID: str | None = os.environ.get("MIXITE_WEB_GRILLE") or None
#: The PPGDID configuration (YAML, docs/formats.md); None: ``paths.DEFAULT_PPGDID``.
MIXITE_PPGDID: str | None = os.environ.get("MIXITE_WEB_PPGDID") or None
WEB_DIR: Path = (
    web_folder(MIXITE_BASE)
    if MIXITE_BASE is not None
    else Path(tempfile.gettempdir()) / f"mixite-web-{os.getpid()}"
)

WEB_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    given = os.environ.get("MIXITE_WEB_SECRET")
    if given:
        return given
    if MIXITE_BASE is None:
        # No territory (tests): a key for this process only.
        return secrets.token_urlsafe(50)
    file = WEB_DIR / "cle_secrete"
    if not file.exists():
        WEB_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(50))
    return file.read_text().strip()


def _database() -> dict[str, Any]:
    url = os.environ.get("MIXITE_WEB_DB", "")
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlparse(url)
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
        }
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(WEB_DIR / "web.sqlite3"),
        "OPTIONS": {"timeout": 20},
    }


SECRET_KEY = _secret_key()
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"] + [
    h.strip() for h in os.environ.get("MIXITE_WEB_HOSTS", "").split(",") if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "widget_tweaks",
    "dsfr",
    "axes",
    "huey.contrib.djhuey",
    "mixite.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "mixite.web.middleware.MixiteMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mixite.web.urls"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mixite.web.context.site",
            ],
        },
    }
]

DATABASES = {"default": _database()}

# Passwords: Argon2id first (OWASP's first choice); the others only read old hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a login once the attempts of a user from an address are
    # exhausted.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
#: Login rate limit (django-axes): after AXES_FAILURE_LIMIT failures for one user name from one
#: address, that pair is locked out for AXES_COOLOFF_TIME.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/verrouille.html"
AXES_VERBOSE = False

LOGIN_URL = "web:connexion"
LOGIN_REDIRECT_URL = "web:espace"
LOGOUT_REDIRECT_URL = "web:accueil"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"

#: Bounds of the background runs started from the web (a shared 2-core server: a projection of
#: six years with 2 replicates of the demo territory takes minutes); each can be set in the
#: environment (``MIXITE_WEB_HORIZON_MAX``, ``MIXITE_WEB_REPLICATIONS_MAX``). ``lp_seconds``
#: bounds the LP of each optimisation; ``seed`` is the projection's seed.
_horizon_max = max(1, int(os.environ.get("MIXITE_WEB_HORIZON_MAX", "6")))
_replicates_max = max(1, int(os.environ.get("MIXITE_WEB_REPLICATIONS_MAX", "8")))
MIXITE_RUN_LIMITS: dict[str, int] = {
    "horizon": _horizon_max,
    "horizon_initial": min(6, _horizon_max),
    "replicates": _replicates_max,
    "replicates_initial": min(2, _replicates_max),
    "lp_seconds": 120,
    "seed": 42,
    "yaml_bytes": 200_000,
}
#: Seconds a page that writes the store (a relocation follow-up edit) waits for it while a
#: background run or an import holds it; beyond, nothing is saved and the page says so in
#: French (``MIXITE_WEB_ATTENTE_BASE``; below gunicorn's 120 s worker timeout).
MIXITE_STORE_WAIT = max(0.0, float(os.environ.get("MIXITE_WEB_ATTENTE_BASE", "30")))
#: Largest uploaded file (bytes).
MIXITE_MAX_UPLOAD = 50 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LANGUAGE_CODE = "fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background runs: huey on SQLite (no broker); ``mixite web`` starts its consumer in threads.
HUEY = {
    "huey_class": "huey.SqliteHuey",
    "name": "mixite",
    "filename": str(WEB_DIR / "taches.sqlite3"),
    "immediate": False,
    "consumer": {"workers": 1, "worker_type": "thread"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["console"], "level": "WARNING"}},
}
