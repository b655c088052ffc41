"""Settings, read from the environment (12-factor).

With nothing set, the embedded default runs: a SQLite file and a Celery broker on the
filesystem under VAR_DIR, so a machine with only Python can run the whole system.
Production uses council_social.settings_production, which requires the secrets.
"""
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import environ
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def _private(path: Path, mode: int) -> None:
    """VAR_DIR holds the database, keys, the broker's messages and uploads: only its owner may
    read it (0700; the SQLite file 0600), whatever the umask, also for a directory made before."""
    try:
        if path.exists() and path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
    except OSError:
        pass


_private(VAR_DIR, 0o700)


def _local_secret(name: str, make) -> str:
    """A secret for the embedded default only: generated once and kept under VAR_DIR."""
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret(
    "secret_key", lambda: secrets.token_urlsafe(50)
)
# Fernet keys for platform tokens at rest; several, comma-separated, to rotate (first encrypts).
TOKEN_ENCRYPTION_KEYS = env.list("TOKEN_ENCRYPTION_KEYS", default=[]) or [
    _local_secret("token_key", lambda: Fernet.generate_key().decode())
]
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
COUNCIL_NAME = env.str("COUNCIL_NAME", default="Kingsmere Borough Council")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "council_social",
    "monitoring",
    "publishing",
    "triage",
    "policy",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.NullCharacterMiddleware",
    "accounts.middleware.JSONDepthMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "accounts.middleware.MFARequiredMiddleware",
]

ROOT_URLCONF = "council_social.urls"
WSGI_APPLICATION = "council_social.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
                "publishing.context_processors.emergency_banner",
            ],
        },
    }
]
FORM_RENDERER = "council_social.forms.GovukFormRenderer"

DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'council_social.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _sqlite = Path(DATABASES["default"]["NAME"])
    if DATABASES["default"]["NAME"] not in ("", ":memory:") and _sqlite.parent.exists():
        # Created private before SQLite creates it; its -wal and -shm files take the same mode.
        os.close(os.open(_sqlite, os.O_CREAT | os.O_WRONLY, 0o600))
        _private(_sqlite, 0o600)
    # Web, worker and beat share the file: wait on locks, write-ahead log, take the
    # write lock at the start of a transaction so concurrent writers queue cleanly.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "accounts.oidc.CouncilOIDCBackend",  # inert unless OIDC_RP_CLIENT_ID is set
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling: 5 failures lock the username from that address for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Multi-factor sign-in (accounts.mfa): TOTP apps and backup codes. Wrong codes are throttled
# by django-otp: after n failures in a row the next try must wait 2^(n-1) seconds.
OTP_TOTP_ISSUER = f"Council Social ({COUNCIL_NAME})"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# Single sign-on with the council's identity provider over OpenID Connect (accounts.oidc),
# enabled when OIDC_RP_CLIENT_ID and either OIDC_OP_DISCOVERY or the endpoints are set.
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_DISCOVERY = env.str("OIDC_OP_DISCOVERY", default="")
OIDC_OP_ISSUER = env.str("OIDC_OP_ISSUER", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_CREATE_USER = env.bool("OIDC_CREATE_USER", default=True)
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
OIDC_GROUP_ROLES = env.json("OIDC_GROUP_ROLES", default={})  # {"<group id>": "<role>", …}
OIDC_AUTHENTICATE_CLASS = "accounts.oidc.SignInRequestView"
OIDC_CALLBACK_CLASS = "accounts.oidc.SignInCallbackView"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
# The model trained on the shipped corpus, kept as plain arrays named for what it is made from,
# so processes that share this folder train it once between them.
CLASSIFIER_CACHE_DIR = Path(env.str("CLASSIFIER_CACHE_DIR", default=str(VAR_DIR / "classifier")))
WHITENOISE_USE_FINDERS = DEBUG

# Email: console in the embedded default; SMTP from EMAIL_URL in production.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
for _key in ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "EMAIL_USE_SSL",
             "EMAIL_FILE_PATH"):
    if _key in _email:
        globals()[_key] = _email[_key]
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Council Social <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: a real worker and beat, never eager. The embedded default uses kombu's
# filesystem transport under VAR_DIR, so no broker server is needed.
_broker_dir = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
    }
else:
    # Redelivery after a worker dies: unacknowledged tasks return after this long.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One task a process at a time, except on the filesystem transport: its worker loop (Celery's
# synloop) sends acknowledgements only between waits of 2 s for new messages, so with one task
# a process it would start at most two tasks every 2 s, fewer than a few dozen endpoints polled
# every few seconds need. A message a worker holds is lost if it dies there (no redelivery
# without a broker server); the periodic polls and the sweeps send the work again.
CELERY_WORKER_PREFETCH_MULTIPLIER = 8 if CELERY_BROKER_URL.startswith("filesystem://") else 1
# The worker's pool. On the filesystem transport Celery cannot use its asynchronous prefork pool,
# and its plain prefork pool shares one queue lock among the pool processes: a pool process
# SIGKILLed while holding it leaves every other one, and the worker, waiting for good
# (benchmarks/pool_kill.py). Threads have no process to lose; a killed worker is restarted whole
# by run.py. On Redis, prefork replaces a killed pool process and carries on.
CELERY_WORKER_POOL = env.str("CELERY_WORKER_POOL",
                             default="threads" if CELERY_BROKER_URL.startswith("filesystem://") else "prefork")
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = TIME_ZONE
# django-celery-beat's schedules in the database, kept through a database outage (council_social/beat.py).
CELERY_BEAT_SCHEDULER = "council_social.beat:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.tokens.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "council_social.schema.CouncilAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "council_social.api.Pagination",
    "EXCEPTION_HANDLER": "council_social.api.exception_handler",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Council Social API",
    "DESCRIPTION": "Channels, mentions, cases, posts, policies and reports of the council's social media.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# A strict Content-Security-Policy: our own static files only, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)

# The platform simulator (demo, tests, benchmarks). PLATFORM_URLS overrides per platform.
SIMULATOR_URL = env.str("SIMULATOR_URL", default="http://127.0.0.1:8700")
USE_SIMULATOR = env.bool("USE_SIMULATOR", default=True)
PLATFORM_URLS = env.json("PLATFORM_URLS", default={})
PLATFORM_APPS = env.json("PLATFORM_APPS", default={})  # slug → {"client_id", "client_secret"}
# The token Meta's webhook subscription sends back (hub.verify_token); PLATFORM_APPS[slug]["verify_token"]
# overrides it per platform. Deliveries are checked against each platform app's client_secret.
WEBHOOK_VERIFY_TOKEN = env.str("WEBHOOK_VERIFY_TOKEN", default="")
# Bluesky's Jetstream (monitoring/jetstream.py); blank: the simulator's stream, or the public one.
JETSTREAM_URL = env.str("JETSTREAM_URL", default="")
# Caps on what an app may read per month or day, beyond rate limits (monitoring/budget.py):
# {"x": 10000} for X's Basic tier (posts read a month), {"youtube": 10000} (quota units a day).
API_CAPS = env.json("API_CAPS", default={})


def _host_and_port(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}" if parts.hostname else ""


# Hosts the guarded fetcher (platforms/fetch.py) may reach whatever their address: an
# administrator names a lab server here ("host" for any port, or "host:port"). The site itself
# (its uploaded images) and, when used, the platform simulator are allowed on their own port only.
FETCH_ALLOWED_HOSTS = frozenset(
    [h.lower() for h in env.list("FETCH_ALLOWED_HOSTS", default=[])]
    + [_host_and_port(SITE_URL)] + ([_host_and_port(SIMULATOR_URL)] if USE_SIMULATOR else [])
) - {""}
if USE_SIMULATOR and SIMULATOR_URL.startswith("http://"):
    # The simulator speaks plain HTTP on this machine; oauthlib refuses that unless told.
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
POLL_INTERVAL_SECONDS = env.int("POLL_INTERVAL_SECONDS", default=60)
POLL_MIN_INTERVAL_SECONDS = 5
POLL_MAX_BACKOFF_SECONDS = env.int("POLL_MAX_BACKOFF_SECONDS", default=900)
# Web sources (feeds and pages, monitoring.web): the User-Agent that names this deployment, and the
# least time between two visits to one host, whatever the number of sources on it.
WEB_USER_AGENT = env.str("WEB_USER_AGENT", default=f"CouncilSocial/1.0 (+{SITE_URL}; {COUNCIL_NAME})")
WEB_HOST_MIN_INTERVAL_SECONDS = env.int("WEB_HOST_MIN_INTERVAL_SECONDS", default=10)
WEB_POLL_INTERVAL_SECONDS = env.int("WEB_POLL_INTERVAL_SECONDS", default=300)  # how often a new source is read
# Places counted as topics on the Rising page (monitoring.trends): the borough's wards, streets and landmarks.
TREND_PLACES = env.list("TREND_PLACES", default=[
    "Kingsmere Green", "Old Town", "Harbour Parade", "High Street", "Station Road", "London Road", "Mere Road",
    "Castle Street", "Bridge Street", "Weald Road", "Mill Lane", "Chapel Lane", "Elm Grove", "Quarry Road",
    "Wharf Road", "Church Street", "the bypass", "the A412"])
# A poll's lease on its endpoint, renewed with each page stored; a killed worker's lease lapses
# after this, and the endpoint is polled again (benchmarks/fault_drill.py).
POLL_LEASE_SECONDS = env.int("POLL_LEASE_SECONDS", default=60)
# Mentions and authors are purged after this many days unless an open case or FOI request holds them.
MENTION_RETENTION_DAYS = env.int("MENTION_RETENTION_DAYS", default=395)
# Housekeeping flags a channel dormant after this many days without activity.
HOUSEKEEPING_DORMANT_DAYS = env.int("HOUSEKEEPING_DORMANT_DAYS", default=90)
# Staff are reminded this many days before their training lapses.
TRAINING_EXPIRY_WARNING_DAYS = env.int("TRAINING_EXPIRY_WARNING_DAYS", default=30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # WeasyPrint logs each step and page of the committee paper at INFO; its warnings still show.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # At DEBUG these log token requests and responses, and URLs with tokens in their query:
        # never below INFO, whatever LOG_LEVEL says (tests/security/test_secrets.py).
        "requests_oauthlib": {"level": "INFO"},
        "oauthlib": {"level": "INFO"},
        "urllib3": {"level": "INFO"},
    },
}
