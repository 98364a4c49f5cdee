"""Anmin settings: one module, configured from environment variables (see README, 配置)."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from anmin.core.env import envbool, envfloat, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent


def default_var_dir() -> Path:
    """Where data lives when ANMIN_VAR_DIR is not set: never a folder that depends on the working
    directory (`anmin migrate` run from / once wrote /var/anmin.sqlite3).

    Running from a source checkout (pyproject.toml beside the package): the checkout's var/, as the
    quickstart expects. Installed as a package: the user's data directory, $XDG_DATA_HOME/anmin or
    ~/.local/share/anmin. Nothing is created here: the SQLite backend creates the folder when it
    first opens the database, and file storage when it first saves a file.
    """
    checkout = BASE_DIR.parent
    if (checkout / "pyproject.toml").is_file():
        return checkout / "var"
    data_home = envstr("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "anmin"


VAR_DIR = Path(envstr("ANMIN_VAR_DIR") or default_var_dir()).resolve()

DEBUG = envbool("DEBUG", False)
# Django's technical error pages in DEBUG (the URL list on a 404, the traceback and settings on a
# 500). Off: the demo runs with DEBUG and is shown to people who should read neither.
DEBUG_ERROR_PAGES = envbool("DEBUG_ERROR_PAGES", False)
SECRET_KEY = envstr("SECRET_KEY")
# Serving without a SECRET_KEY is refused unless DEBUG (anmin.asgi and `anmin serve` check this);
# commands that serve nothing (makemigrations, check, migrate…) run with a placeholder.
SECRET_KEY_FROM_ENV = bool(SECRET_KEY)
if not SECRET_KEY:
    SECRET_KEY = "anmin-insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] + (["*"] if DEBUG else []))
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_tasks",
    "anmin.core.tasksdb.TasksDatabaseConfig",  # django_tasks_db, named in Chinese in the admin
    # The API docs page from django-ninja's own static copy of Swagger UI (no CDN on an intranet, and
    # its template has no inline script, so it runs under the CSP).
    "ninja",
    "anmin.core",
    "anmin.org",
    "anmin.accounts",
    "anmin.audit",
    "anmin.geo",
    "anmin.addresses",
    "anmin.incidents",
    "anmin.dispatch",
    "anmin.cases",
    "anmin.supervision",
    "anmin.property",
    "anmin.library",
    "anmin.reviews",
    "anmin.citizens",
    "anmin.reports",
    "anmin.feedback",
    "anmin.services",
    "anmin.bookings",
    "anmin.communities",
    "anmin.disputes",
    "anmin.posts",
    "anmin.patrol",
    "anmin.missing",
    "anmin.stats",
    "anmin.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "anmin.core.security.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After auth and messages: ends idle and too-old staff sessions, holds back a session that owes a
    # new password or a second factor.
    "anmin.accounts.middleware.SessionSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: our 404 and 500 pages with DEBUG on too (the demo), unless DEBUG_ERROR_PAGES.
    "anmin.core.errorpages.DebugErrorPagesMiddleware",
]
CSRF_FAILURE_VIEW = "anmin.core.errorpages.csrf_failure"

ROOT_URLCONF = "anmin.urls"
ASGI_APPLICATION = "anmin.asgi.application"

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
                "django.template.context_processors.i18n",
                "anmin.core.context.anmin",
                "anmin.menu.menu",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Default: an SQLite file under VAR_DIR in WAL mode, so the quickstart needs nothing installed.
DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'anmin.sqlite3'}")
# HTTP requests run in a fixed pool of SERVE_THREADS threads (see anmin.asgi), so a connection
# can be kept per thread: on SQLite that saves the connect, the PRAGMAs and the WAL checkpoint
# on close, about 2 ms of every request. PostgreSQL gets a connection pool instead, below.
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 600))}
# Eight: enough that a few slow requests do not hold up the rest; with 16 the threads' contention
# for the GIL cost more CPU per request (1.7 ms per status query against 1.2).
SERVE_THREADS = envint("SERVE_THREADS", 8, minimum=1, maximum=256)
# Views marked @heavy (PDF and Excel exports) run in HEAVY_WORKERS processes of their own, so that
# 110 intake never waits behind them (anmin.core.lanes); one client may have HEAVY_PER_USER of them
# in flight.
HEAVY_WORKERS = envint("HEAVY_WORKERS", 2, minimum=1, maximum=64)
HEAVY_PER_USER = envint("HEAVY_PER_USER", 2, minimum=1, maximum=64)
# The largest request body, uploads included (each upload field keeps its own smaller limit): the
# server answers 413 from Content-Length, or as soon as the count passes it, before spooling more.
MAX_REQUEST_MB = envint("MAX_REQUEST_MB", 25, minimum=1, maximum=4096)
# Django's own limit on a body that is not file uploads (forms, JSON) is the same one, so the
# server's 413 is the only limit a client meets (Django would otherwise refuse at 2.5 MB with 400).
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_MB * 1024 * 1024
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and envbool("DB_POOL", True):
    # A connection pool (psycopg_pool), one connection lent to each request for its duration.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": envint("DB_POOL_MIN", 2, minimum=1),
        "max_size": envint("DB_POOL_MAX", 20, minimum=1),
        "timeout": 20,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, plus creating the database's folder when it is first opened (anmin.core.sqlite).
    DATABASES["default"]["ENGINE"] = "anmin.core.sqlite"
    # synchronous=FULL: a transaction that answered "committed" survives a power loss (with
    # NORMAL, WAL mode may lose the last ones). It costs an fsync per commit; measured with
    # `anmin bench api` in the README (配置 / Settings).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=20000;",
    }
    # A file, not :memory:, so the ASGI server thread in browser tests sees the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-anmin.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "org.Officer"
# RolePermissionBackend first: model permissions follow the role (三权分立, anmin.core.duties), and
# what belongs to another administrator is refused before any other backend is asked.
AUTHENTICATION_BACKENDS = ["anmin.core.duties.RolePermissionBackend", "anmin.org.auth.BadgeOrUsernameBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "org:login"
LOGIN_REDIRECT_URL = "org:home"
LOGOUT_REDIRECT_URL = "org:login"
# Keys kept outside the database (anmin.core.keys): the audit trail's HMAC key and the keys that
# encrypt ID and phone numbers. Either the key itself (base64) or a file holding it; without
# either, VAR_DIR/keys/*.key as written by `anmin keys init` (which `make demo` runs).
AUDIT_KEY = envstr("AUDIT_KEY")
AUDIT_KEY_FILE = envstr("AUDIT_KEY_FILE")
DATA_KEY = envstr("DATA_KEY")
DATA_KEY_FILE = envstr("DATA_KEY_FILE")
# Anchors of the audit chain (`anmin audit anchor`, append-only; keep it off the database's disk)
# and how long entries are kept at least (网络安全法 第二十一条: no less than six months).
# Only for benchmarks, which serve a demo city on 127.0.0.1 with DEBUG off: a production server
# otherwise refuses to start while demo accounts open with the published demo password.
ALLOW_DEMO_ACCOUNTS = envbool("ALLOW_DEMO_ACCOUNTS", False)
AUDIT_ANCHOR_FILE = envstr("AUDIT_ANCHOR_FILE", str(VAR_DIR / "audit-anchors.log"))
AUDIT_RETENTION_DAYS = envint("AUDIT_RETENTION_DAYS", 180, minimum=180)
# `anmin backup` encrypts with a key derived from BACKUP_KEY (or the file BACKUP_KEY_FILE) when set,
# else from the current data key; either way the key is not in the backup.
BACKUP_KEY = envstr("BACKUP_KEY")
BACKUP_KEY_FILE = envstr("BACKUP_KEY_FILE")
# Staff sign-in throttling (anmin.org.throttle), per typed account name and per client address:
# no lock-out (anyone could lock a dispatcher out by typing wrong passwords), but a delay that
# doubles after the free failures, then an image challenge; a quiet spell forgets the failures.
LOGIN_FREE_FAILURES = envint("LOGIN_FREE_FAILURES", 3, minimum=0)
LOGIN_CHALLENGE_AFTER = envint("LOGIN_CHALLENGE_AFTER", 5, minimum=1)
LOGIN_MAX_DELAY_SECONDS = envint("LOGIN_MAX_DELAY_SECONDS", 60, minimum=1)
# One address is often a whole station behind NAT, whose officers' typos add up.
LOGIN_ADDRESS_FREE_FAILURES = envint("LOGIN_ADDRESS_FREE_FAILURES", 10, minimum=0)
LOGIN_ADDRESS_CHALLENGE_AFTER = envint("LOGIN_ADDRESS_CHALLENGE_AFTER", 20, minimum=1)
LOGIN_FORGET_AFTER_MINUTES = envint("LOGIN_FORGET_AFTER_MINUTES", 60, minimum=1)
# Password policy (身份鉴别, anmin.accounts.validators): length, character classes (of lower, upper,
# digit, symbol), how many earlier passwords may not come back, the age after which a password must
# be changed (0: never), and whether a password an administrator set must be changed at sign-in.
PASSWORD_MIN_LENGTH = envint("PASSWORD_MIN_LENGTH", 8, minimum=6, maximum=128)
PASSWORD_MIN_CLASSES = envint("PASSWORD_MIN_CLASSES", 3, minimum=1, maximum=4)
PASSWORD_HISTORY = envint("PASSWORD_HISTORY", 5, minimum=0, maximum=24)
PASSWORD_MAX_AGE_DAYS = envint("PASSWORD_MAX_AGE_DAYS", 90, minimum=0)
PASSWORD_CHANGE_FIRST_LOGIN = envbool("PASSWORD_CHANGE_FIRST_LOGIN", True)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "anmin.accounts.validators.LengthValidator"},
    {"NAME": "anmin.accounts.validators.CharacterClassValidator"},
    {"NAME": "anmin.accounts.validators.AccountNameValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "anmin.accounts.validators.PasswordHistoryValidator"},
]
# Two-factor sign-in with an authenticator app (TOTP) for these roles; others may enrol by choice.
TWO_FACTOR_ROLES = envlist("TWO_FACTOR_ROLES", ["admin", "legal", "secadmin", "auditor"])
TOTP_ISSUER = envstr("TOTP_ISSUER", "安民")
# A staff session ends after this long without activity, and this long after sign-in whatever the
# activity (anmin.accounts.middleware); the cookie lives no longer than the session may.
SESSION_IDLE_MINUTES = envint("SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_MAX_HOURS = envint("SESSION_MAX_HOURS", 12, minimum=1)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600

# --- i18n -------------------------------------------------------------------------------------
LANGUAGE_CODE = envstr("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = envstr("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files (all local: intranets have no internet) -------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (case documents, property photos) are private: no URL serves this folder; scoped
# views stream each file to those allowed to see it.
MEDIA_ROOT = Path(envstr("ANMIN_PRIVATE_DIR", str(VAR_DIR / "private")))
# Served by anmin.asgi straight from the app directories (no collectstatic step); see there.

# --- Channels (live board) --------------------------------------------------------------------
REDIS_URL = envstr("REDIS_URL")
# A console that falls behind a burst (hundreds of calls a second) must not lose notices: each
# in-memory channel may queue CHANNEL_CAPACITY of them (the default of 100 dropped some under load).
CHANNEL_CAPACITY = envint("CHANNEL_CAPACITY", 2000, minimum=100)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub fans a group message out in one PUBLISH: in `anmin bench api` with two
            # workers the board heard of a new incident in p99 210 ms, against 890 ms with the
            # list-based RedisChannelLayer.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": CHANNEL_CAPACITY}}
    }
# The cache holds rate-limit counters (the public progress query's misses): with Redis all
# worker processes count together; without it each process counts on its own.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "anmin.core.cache.SharedRedisCache", "LOCATION": REDIS_URL}}

# --- Anmin ------------------------------------------------------------------------------------
TILE_URL = envstr("TILE_URL", "")  # e.g. http://tiles.intranet/{z}/{x}/{y}.png; empty = plain background
TILE_COORDS = envstr("TILE_COORDS", "wgs84")  # wgs84 or gcj02, the datum the tile server draws in
if TILE_COORDS not in ("wgs84", "gcj02"):
    raise ImproperlyConfigured(f"TILE_COORDS must be wgs84 or gcj02, got {TILE_COORDS!r}")
# A tile set in one MBTiles file that Anmin serves itself at /geo/tiles/…, for an intranet without a
# tile server; drawn when TILE_URL is empty. Its format is read at start: a bad file stops the start.
TILE_FILE = envstr("TILE_FILE", "")
if TILE_FILE and not TILE_URL:
    from anmin.geo.tiles import tile_format

    TILE_URL = "/geo/tiles/{z}/{x}/{y}." + tile_format(TILE_FILE)
# The county-level outlines every map draws (GeoJSON in WGS-84, properties code and name); "" = none.
COUNTY_BOUNDARIES = envstr("COUNTY_BOUNDARIES", str(BASE_DIR / "geo" / "data" / "hengshui_counties.geojson"))
if COUNTY_BOUNDARIES and not Path(COUNTY_BOUNDARIES).is_file():
    raise ImproperlyConfigured(f"COUNTY_BOUNDARIES {COUNTY_BOUNDARIES!r} is not a file")
# Where a map opens for a user who sees the whole city (a station's map opens on its own grid): the
# urban centre, where most calls come from. The default is Hengshui's 桃城区, the demo city.
MAP_CENTRE = (envfloat("MAP_CENTRE_LAT", 37.735), envfloat("MAP_CENTRE_LON", 115.675))
if not (-90 <= MAP_CENTRE[0] <= 90 and -180 <= MAP_CENTRE[1] <= 180):
    raise ImproperlyConfigured(f"MAP_CENTRE_LAT/MAP_CENTRE_LON out of range: {MAP_CENTRE}")
MAP_ZOOM = envint("MAP_ZOOM", 12, minimum=3, maximum=18)
# PFIF record ids are "domain/unique"; the domain names this repository as the records' home
# (Person Finder keeps it through every copy). The default is a reserved .example name, so a
# quickstart never claims a real bureau's domain.
PFIF_DOMAIN = envstr("PFIF_DOMAIN", "anmin.hengshui.gov.cn.example")
if not PFIF_DOMAIN or not PFIF_DOMAIN.replace(".", "").replace("-", "").isascii() or "/" in PFIF_DOMAIN:
    raise ImproperlyConfigured(f"PFIF_DOMAIN {PFIF_DOMAIN!r} is not a domain name")
GRID_RESOLUTION = envint("GRID_RESOLUTION", 8, minimum=5, maximum=11)
ROAD_FACTOR = envfloat("ROAD_FACTOR", 1.4)
REPEAT_CALL_MINUTES = envint("REPEAT_CALL_MINUTES", 10, minimum=1)
REPEAT_CALL_METERS = envint("REPEAT_CALL_METERS", 300, minimum=10)
API_PAGE_MAX = 500

# --- Supervision (办案时限) and background tasks -------------------------------------------------
# `anmin db_worker` runs the tasks kept in the database (django-tasks-db); `anmin supervise start`
# enqueues the first clock scan, which then enqueues the next one SCAN_INTERVAL seconds later.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
SCAN_INTERVAL = envint("SCAN_INTERVAL", 60, minimum=5)
# A clock turns yellow this share of its period before the deadline, within [MIN_HOURS, MAX_DAYS]
# (a rule's own `warn_before`, set in the admin, takes precedence).
CLOCK_WARN_FRACTION = envfloat("CLOCK_WARN_FRACTION", 0.2)
if not 0 <= CLOCK_WARN_FRACTION <= 1:
    raise ImproperlyConfigured(f"CLOCK_WARN_FRACTION must be between 0 and 1, got {CLOCK_WARN_FRACTION}")
CLOCK_WARN_MIN_HOURS = envint("CLOCK_WARN_MIN_HOURS", 1, minimum=0)
CLOCK_WARN_MAX_DAYS = envint("CLOCK_WARN_MAX_DAYS", 15, minimum=1)
# 受案立案审查巡查: an open case this many days in one status is listed as idle.
INSPECTION_IDLE_DAYS = envint("INSPECTION_IDLE_DAYS", 30, minimum=1)

# The citizen portal's SMS gateway (a class with send(phone, text)). The development gateway
# writes each message (sign-in codes, survey links) to the log, so it is the default only with
# DEBUG and is refused otherwise (system check anmin.E031): production names its platform's client.
SMS_BACKEND = envstr("SMS_BACKEND", "anmin.citizens.sms.LogBackend" if DEBUG else "")
SMS_PER_PHONE_HOUR = envint("SMS_PER_PHONE_HOUR", 5, minimum=1)
# Missing-person alerts to work groups: "http" posts to each group's webhook; "log" (the default with
# DEBUG, as in the demo, whose groups' webhooks point nowhere) writes each message to the log instead.
MISSING_BROADCAST_TRANSPORT = envstr("MISSING_BROADCAST_TRANSPORT", "log" if DEBUG else "http")
if MISSING_BROADCAST_TRANSPORT not in ("http", "log"):
    raise ImproperlyConfigured(f"MISSING_BROADCAST_TRANSPORT must be http or log, got {MISSING_BROADCAST_TRANSPORT!r}")
SMS_PER_IP_HOUR = envint("SMS_PER_IP_HOUR", 20, minimum=1)
# 实名认证: a class with verify(name, id_number) -> Verdict. The population service's client posts
# {name, id_number} to REALNAME_SERVICE_URL and reads {match}; the development verifier accepts the
# demo identities only and is refused without DEBUG (system check anmin.E032).
REALNAME_VERIFIER = envstr(
    "REALNAME_VERIFIER",
    "anmin.citizens.realname.DemoVerifier" if DEBUG else "anmin.citizens.realname.PopulationServiceVerifier",
)
REALNAME_SERVICE_URL = envstr("REALNAME_SERVICE_URL", "")
REALNAME_SERVICE_TOKEN = envstr("REALNAME_SERVICE_TOKEN", "")
REALNAME_SERVICE_TIMEOUT = envfloat("REALNAME_SERVICE_TIMEOUT", 5.0)
if not 0 < REALNAME_SERVICE_TIMEOUT <= 60:
    raise ImproperlyConfigured(
        f"REALNAME_SERVICE_TIMEOUT must be between 0 and 60 seconds, got {REALNAME_SERVICE_TIMEOUT}"
    )
# Real-name checks a day, per citizen and per network address (nobody probes whose ID number is registered).
REALNAME_ATTEMPTS_PER_DAY = envint("REALNAME_ATTEMPTS_PER_DAY", 5, minimum=1)
# The address citizens reach the portal at, for links sent by SMS (surveys).
PORTAL_BASE_URL = envstr("PORTAL_BASE_URL", "http://127.0.0.1:8000")

# --- Transport and browser security (anmin.core.security adds the CSP and no-store) ------------
# SECURE_COOKIES=true when the site is reached over HTTPS: cookies only over TLS, and HSTS tells
# browsers never to use plain HTTP for this host again (HSTS_SECONDS, a year by default).
SECURE_COOKIES = envbool("SECURE_COOKIES", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
if SECURE_COOKIES:
    SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS", True)
# TLS usually ends at a reverse proxy, which redirects plain HTTP itself; SECURE_SSL_REDIRECT=true
# lets Django do it instead.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
# Only when the proxy sets X-Forwarded-Proto (and strips a client's own): otherwise any client could
# claim HTTPS. Django sends HSTS only on requests it sees as HTTPS, so behind a TLS proxy this is
# what makes HSTS reach the browser.
if envbool("PROXY_SETS_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# CSP_REPORT_ONLY=true sends Content-Security-Policy-Report-Only: the browser reports what the
# policy would block (in its console) and blocks nothing, to try a change of policy on a live site.
CSP_REPORT_ONLY = envbool("CSP_REPORT_ONLY", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "WARNING")},
}

SITE_NAME = _("安民 智慧公安一体化平台")
