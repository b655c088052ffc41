"""Production: PostgreSQL, Redis, HTTPS. Required variables have no default."""
import environ

from .settings import *  # noqa: F403
from .settings import env

for _name in ("SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "TOKEN_ENCRYPTION_KEYS", "ALLOWED_HOSTS"):
    if not env.str(_name, default=""):
        raise environ.ImproperlyConfigured(f"Set the {_name} environment variable for production.")

DEBUG = False
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
USE_SIMULATOR = env.bool("USE_SIMULATOR", default=False)
# Health checks from inside the container speak plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
