"""Production settings: everything that differs between deployments comes from the environment.

There are no defaults for secrets here; `portal.settings_demo` supplies them for the demo.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str) -> str:
    try:
        return os.environ[name]
    except KeyError:
        raise ImproperlyConfigured(f"The environment variable {name} must be set.") from None


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


SECRET_KEY = env("SECRET_KEY")
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # search vectors and GIN indexes of the disclosure search
    "django.contrib.sitemaps",
    "nested_admin",
    # Who changed which catalogue row, what and when (services/models.py, `history`).
    "simple_history",
    "rest_framework",
    "common.apps.APITokensConfig",  # knox, under a readable name in the admin
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_otp",
    "common.apps.AuthenticatorAppsConfig",  # django_otp.plugins.otp_totp
    "common.apps.LoginLockoutsConfig",  # axes
    "csp",
    "django_ratelimit",
    "accounts",
    "services",
    "approvals",
    "instruments",
    "disclosure",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Public reads from the read replica, if there is one; before everything that reads.
    "common.replica.ReplicaReadsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who is asking and from where, for the audit log (accounts/audit.py).
    "accounts.audit.AuditContextMiddleware",
    # The administrator a catalogue row's history names (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A NUL byte in the address: 404 or 400 in the person's language, never a database error.
    "common.malformed_requests.RefuseNulBytesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.SessionIdleTimeoutMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    # A page's deadlines all counted on one working-day calendar, read once (approvals/calendar.py).
    "approvals.middleware.OneCalendarPerRequestMiddleware",
    # PostgreSQL unreachable (restart, failover): a clean 503, not a traceback.
    "portal.unavailable.DatabaseUnavailableMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.notifications",
                "accounts.context_processors.elderly_mode",
            ],
        },
    },
]

# Connections are kept 60 s and checked before each request reuses one: after a PostgreSQL
# restart the first request gets a new connection instead of the dead one's error.
DATABASES = {
    "default": dj_database_url.parse(env("DATABASE_URL"), conn_max_age=60, conn_health_checks=True)
}
# A streaming replica of it (docs/operations.md), from which public pages and the API's public
# endpoints read (common/replica.py); unset, everything reads from DATABASE_URL.
if os.environ.get("REPLICA_DATABASE_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["REPLICA_DATABASE_URL"], conn_max_age=60, conn_health_checks=True
    )
    # A replica that does not answer is skipped, not waited for.
    DATABASES["replica"]["OPTIONS"] = {"connect_timeout": 2}
    # Tests read the test database through both aliases.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["common.replica.ReplicaRouter"]
# Public reads fall back to the primary while the replica is further behind than this...
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "5"))
# ...measured at most this often in each process;
REPLICA_CHECK_SECONDS = float(os.environ.get("REPLICA_CHECK_SECONDS", "1"))
# and whoever wrote reads from the primary for this long after, to see what they wrote.
REPLICA_PIN_SECONDS = int(os.environ.get("REPLICA_PIN_SECONDS", "30"))
# The pages and API endpoints anyone may read, whose reads may come from the replica.
REPLICA_READ_VIEWS = frozenset(
    {
        "home",
        "sitemap",
        "services:catalogue",
        "services:guide",
        "services:sample",
        "disclosure:index",
        "disclosure:decisions",
        "disclosure:decision",
        "disclosure:publications",
        "disclosure:publication",
        "disclosure:publication_attachment",
        "disclosure:search",
        "disclosure:consultations",
        "disclosure:consultation",
        "disclosure:feed",
        "disclosure:feed_kind",
        "disclosure:feed_department",
        "disclosure:statistics",
        "disclosure:statistics_csv",
        "disclosure:annual_report",
        "disclosure:annual_report_csv",
        "disclosure:verify_certificate",
        "disclosure:certificate_keys",
        "disclosure:certificate",
        "instruments:verify",
        "instruments:check",
        "api:service-list",
        "api:service-detail",
        "api:publication-list",
        "api:publication-detail",
        "api:decision-list",
        "api:decision-detail",
        "api:consultation-list",
        "api:consultation-detail",
        "api:consultation-comments",
        "api:certificate",
        "api:statistics",
        "api:instrument-verify",
        "api:schema",
    }
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses any authentication for a locked-out username and address (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
    # Review tasks: derived from department groups, no grant rows (approvals/permissions.py).
    "approvals.backends.DepartmentTaskBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # OWASP ASVS 4.0 V2.1.1: at least 12 characters.
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2id (OWASP's first choice, ASVS V2.4) hashes every new or changed password; the others
# stay so that older PBKDF2 hashes still verify, and are rehashed with Argon2 at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One English date format per page (portal/formats/en/formats.py); Chinese keeps Django's.
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = "Asia/Shanghai"

# The region (GB/T 2260 code) whose catalogue a visitor sees before choosing one; a region that
# does not exist falls back to the first region publishing an item (services/regions.py).
DEFAULT_REGION_CODE = os.environ.get("DEFAULT_REGION_CODE", "340100")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Applicants' materials are private: they are stored outside any served directory and
# only ever leave through a view that checks who is asking.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
MATERIAL_MAX_BYTES = int(os.environ.get("MATERIAL_MAX_BYTES", 10 * 1024 * 1024))
# The largest catalogue file an import reads (docs/catalogue.md): a province's 10,000
# implementations take about 10 MB.
CATALOGUE_IMPORT_MAX_BYTES = int(os.environ.get("CATALOGUE_IMPORT_MAX_BYTES", 32 * 1024 * 1024))
# A callable(file) raising ValidationError for an infected upload; ClamAV plugs in here.
MATERIAL_SCANNER = os.environ.get("MATERIAL_SCANNER", "services.materials.no_virus_scanner")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True  # no script of ours reads it: forms carry the token
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (see docs/operations.md).
BEHIND_HTTPS_PROXY = env_bool("BEHIND_HTTPS_PROXY")
if BEHIND_HTTPS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of the portal append to X-Forwarded-For: the client address that
# lock-outs and rate limits count is the one the outermost of them saw (common/ratelimits.py).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT") or (1 if BEHIND_HTTPS_PROXY else 0))
# Plain-HTTP requests are redirected to HTTPS. Off by default unless behind the HTTPS proxy:
# without SECURE_PROXY_SSL_HEADER every proxied request looks like HTTP and would loop.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", BEHIND_HTTPS_PROXY)
# HSTS (sent on HTTPS responses only): one year, subdomains included, unless told otherwise.
# Preloading commits the whole domain to HTTPS in browsers' built-in lists: an explicit choice.
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): scripts, styles, images and fonts only from this site,
# nothing inline (the templates have no <script> blocks, no on* handlers, no style attributes),
# no plugins, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Sessions end after this long without a request (accounts.middleware): civil servants and
# administrators after 15 minutes (GB/T 22239-2019 8.1.4.1 b), applicants after two hours.
STAFF_SESSION_IDLE_SECONDS = 15 * 60
APPLICANT_SESSION_IDLE_SECONDS = 2 * 60 * 60
SESSION_COOKIE_AGE = APPLICANT_SESSION_IDLE_SECONDS
# Sensitive actions (deciding an extension, revoking a certificate) need a password (and TOTP
# code) entered within this many seconds (accounts/reauth.py).
REAUTHENTICATION_MAX_AGE = 5 * 60

# Lock-out (django-axes): 5 failed logins for one user name from one address within 15 minutes
# block that pair for 15 minutes; a successful login clears the count. Counted in PostgreSQL.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "common.ratelimits.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"

# TOTP second factor (django-otp) for civil servants and administrators (accounts/two_factor.py).
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Government Services Portal")

# Rate limits (common/ratelimits.py): "count/period" per address, or per account once logged in.
RATE_LIMITS = {
    "login": os.environ.get("RATE_LIMIT_LOGIN", "20/10m"),
    "registration": os.environ.get("RATE_LIMIT_REGISTRATION", "20/h"),
    "filing": os.environ.get("RATE_LIMIT_FILING", "60/10m"),
    "verification": os.environ.get("RATE_LIMIT_VERIFICATION", "60/m"),
    # The application form saves itself in the background while the applicant types.
    "autosave": os.environ.get("RATE_LIMIT_AUTOSAVE", "300/10m"),
    # Comments on consultations, per account: a flood from one account waits (docs/participation.md).
    "comment": os.environ.get("RATE_LIMIT_COMMENT", "10/10m"),
    # A forgotten password: asking and entering the code, per address; codes sent, per account.
    "password_reset": os.environ.get("RATE_LIMIT_PASSWORD_RESET", "10/h"),
    "password_reset_account": os.environ.get("RATE_LIMIT_PASSWORD_RESET_ACCOUNT", "3/h"),
    # Letters to the government, per account (docs/participation.md).
    "letter": os.environ.get("RATE_LIMIT_LETTER", "5/10m"),
}
RATELIMIT_USE_CACHE = "ratelimit"
# With Redis unreachable, filing must still work (DESIGN: no application is ever lost).
RATELIMIT_FAIL_OPEN = True
# django-ratelimit 4.1 lists only django-redis among Redis caches; Django's own RedisCache
# increments atomically too (jsocol/django-ratelimit#283, still open).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@portal.gov.cn")

REDIS_URL = env("REDIS_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
    # Rate-limit counters, under their own prefix in the same Redis.
    "ratelimit": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "ratelimit",
    },
    # Whole public pages for anonymous visitors (common/page_cache.py), under their own prefix.
    "pages": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "pages",
    },
}
# A cached page is replaced at once when its data changes; this only bounds how long entries
# nobody asks for stay in Redis (which never evicts, docs/operations.md).
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", 10 * 60))
# Free-text searches are unbounded: at most this many result pages are kept per version of the
# publications (disclosure/views.py), each for PAGE_CACHE_SECONDS at most.
SEARCH_PAGES_CACHED = int(os.environ.get("SEARCH_PAGES_CACHED", 2000))

CELERY_BROKER_URL = REDIS_URL
# At-least-once delivery (portal/celery.py): a message is acknowledged after its task ran, and
# requeued if the worker process running it dies; every task is idempotent. No result backend:
# nothing waits for a task's return value, the outcome is in PostgreSQL.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest task (a sweep after a long outage) is stopped after 10 minutes. Redis hands an
# unacknowledged message to another worker after the visibility timeout, so that timeout must
# exceed the longest task, or a task still running would be started a second time.
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
# A worker that loses Redis lets its running tasks finish: their messages come back later and,
# the tasks being idempotent, find nothing left to do (cancelling would only delay the work).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Workers and beat wait for Redis as long as it takes, from their very start.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A citizen's submission must not wait on a broker that is down: publishing gives up fast,
# the application is already committed, and the reconciler routes it later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TIMEZONE = TIME_ZONE
# How often beat re-dispatches forgotten submissions and sweeps deadlines (the fault tests
# shorten it); each periodic message expires before the next one is sent, so a worker back from
# an outage runs one catch-up, not one per tick it missed.
RECONCILE_EVERY = timedelta(seconds=int(os.environ.get("RECONCILE_EVERY_SECONDS", 60)))
_every_tick = {"expires": RECONCILE_EVERY.total_seconds()}
CELERY_BEAT_SCHEDULE = {
    "route-forgotten-applications": {
        "task": "approvals.tasks.route_unrouted_applications",
        "schedule": RECONCILE_EVERY,
        "options": _every_tick,
    },
    "sweep-deadlines": {
        "task": "approvals.tasks.sweep_deadlines",
        "schedule": RECONCILE_EVERY,
        "options": _every_tick,
    },
    # Consultations: the department told when comments close, a late feedback report escalated.
    "sweep-feedback-reports": {
        "task": "disclosure.tasks.sweep_feedback_reports",
        "schedule": RECONCILE_EVERY,
        "options": _every_tick,
    },
    # Open deadlines counted again after a calendar edit whose message was lost.
    "recount-deadlines": {
        "task": "approvals.tasks.recount_deadlines_task",
        "schedule": RECONCILE_EVERY,
        "options": _every_tick,
    },
    "heartbeat": {"task": "portal.health.heartbeat", "schedule": timedelta(seconds=30)},
    "seed-holiday-calendar": {
        "task": "approvals.tasks.seed_calendar",
        "schedule": timedelta(days=1),
        "options": {"expires": 60 * 60},
    },
    "email-unsent-notifications": {
        "task": "accounts.tasks.email_unsent_notifications",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 5 * 60},
    },
    # The day's public anchor of the audit chains: hourly, so a missed run is caught up; each
    # day is anchored once (accounts/anchors.py).
    "anchor-audit-chains": {
        "task": "accounts.tasks.anchor_audit_chains",
        "schedule": timedelta(hours=1),
        "options": {"expires": 60 * 60},
    },
    "purge-expired-audit-entries": {
        "task": "accounts.tasks.purge_expired_audit_entries",
        "schedule": timedelta(days=1),
        "options": {"expires": 60 * 60},
    },
    # Instruments whose message was lost (broker down, worker killed) are generated here.
    "generate-missing-instruments": {
        "task": "instruments.tasks.generate_missing_instruments",
        "schedule": RECONCILE_EVERY,
        "options": _every_tick,
    },
    "delete-orphan-attachment-files": {
        "task": "services.tasks.delete_orphan_attachment_files",
        "schedule": timedelta(hours=6),
        "options": {"expires": 60 * 60},
    },
}
# Notifications not e-mailed after this long are sent by the reconciler (its task was lost).
NOTIFICATION_GRACE = timedelta(seconds=int(os.environ.get("NOTIFICATION_GRACE_SECONDS", 120)))
# The portal's public address, for links in e-mails (which have no request to build them from).
PORTAL_URL = os.environ.get("PORTAL_URL", "http://localhost:8000")
# Submitted applications not routed after this long are re-dispatched by the reconciler.
ROUTING_GRACE = timedelta(seconds=int(os.environ.get("ROUTING_GRACE_SECONDS", 30)))
# A claimed task nobody worked on for this many working hours (09:00–17:30 on working days)
# goes back to its department's queue (approvals/claims.py, lapse_idle_claims).
CLAIM_LAPSE_WORKING_HOURS = float(os.environ.get("CLAIM_LAPSE_WORKING_HOURS", 8))
# A file in the attachment store that no row references is deleted once it is this old; the
# grace covers uploads whose row is not yet committed (services/cleanup.py).
ORPHAN_FILE_GRACE = timedelta(hours=int(os.environ.get("ORPHAN_FILE_GRACE_HOURS", 24)))

# Public consultation on drafts (docs/participation.md). Interim Regulations on Major
# Administrative Decision-making Procedures Art. 14: comments are taken for at least 30 days
# unless the department publishes why the period is shorter. The feedback report (意见采纳情况)
# is due this many working days after comments close, unless the draft says otherwise.
CONSULTATION_MIN_DAYS = int(os.environ.get("CONSULTATION_MIN_DAYS", 30))
CONSULTATION_REPORT_WORKING_DAYS = int(os.environ.get("CONSULTATION_REPORT_WORKING_DAYS", 15))
# The longest comment and the longest answer to one question, in characters (stated on the page).
CONSULTATION_COMMENT_MAX_CHARS = int(os.environ.get("CONSULTATION_COMMENT_MAX_CHARS", 3000))
CONSULTATION_ANSWER_MAX_CHARS = int(os.environ.get("CONSULTATION_ANSWER_MAX_CHARS", 1000))
# Letters (政民互动): the longest topic and letter, in characters, and the most files (stated
# on the page).
LETTER_TOPIC_MAX_CHARS = int(os.environ.get("LETTER_TOPIC_MAX_CHARS", 100))
LETTER_BODY_MAX_CHARS = int(os.environ.get("LETTER_BODY_MAX_CHARS", 5000))
LETTER_MAX_ATTACHMENTS = int(os.environ.get("LETTER_MAX_ATTACHMENTS", 3))

# The elderly-friendly mode (适老化) is remembered in this cookie, and on the account when logged
# in (accounts/elderly_mode.py); cached pages vary by it (common/page_cache.py).
ELDERLY_MODE_COOKIE = "elderly_mode"

# Ed25519 keys of the e-certificates: "key_id:base64 of the 32-byte raw private key", several
# separated by commas. The first signs new certificates; all of them verify, so an old key
# stays listed after a rotation for as long as certificates it signed are to verify.
CERTIFICATE_SIGNING_KEYS = env("CERTIFICATE_SIGNING_KEYS")

# The cryptographic suite (accounts/signing.py, docs/security.md): "international" (SHA-256,
# Ed25519, Fernet) or "national" (国密: SM3, SM2, SM4). It decides how new hashes, signatures
# and ciphertexts are made; whatever was made under the other suite still verifies and
# decrypts, as long as its keys stay listed. Keys of both algorithms may be listed in
# CERTIFICATE_SIGNING_KEYS and AUDIT_ANCHOR_SIGNING_KEYS ("key_id:sm2:base64" for SM2).
CRYPTO_SUITE = os.environ.get("CRYPTO_SUITE", "international")
# The signing keys of the audit log's daily public anchors (accounts/anchors.py), in the
# format of CERTIFICATE_SIGNING_KEYS: the first of the suite in force signs, all verify.
AUDIT_ANCHOR_SIGNING_KEYS = env("AUDIT_ANCHOR_SIGNING_KEYS")

# Written instruments (instruments/, docs/instruments.md): signed PDFs, one per legal event.
# The signing keys of the departments' seals: "department_code:key_id:base64 of 32 raw bytes"
# (a P-256 private key), several separated by commas; "*" stands for every department
# without a key of its own. A department's first key signs, all its keys verify (rotation).
INSTRUMENT_SIGNING_KEYS = env("INSTRUMENT_SIGNING_KEYS")
# The portal's own signing authority, which certifies each department's key: "key_id:base64".
INSTRUMENT_ROOT_KEY = env("INSTRUMENT_ROOT_KEY")
# Key ids withdrawn for good (a key leaked): every instrument they signed verifies as revoked.
INSTRUMENT_REVOKED_KEYS = [
    k.strip() for k in os.environ.get("INSTRUMENT_REVOKED_KEYS", "").split(",") if k.strip()
]
# Where Typst finds the CJK fonts (Debian's fonts-noto-cjk, installed by the Makefile and the
# Dockerfile); the instruments embed subsets of them.
INSTRUMENT_FONT_DIRS = [
    d
    for d in os.environ.get("INSTRUMENT_FONT_DIRS", "/usr/share/fonts/opentype/noto").split(":")
    if d
]
# Uploads to the public verification page and API: a signed instrument is far smaller.
INSTRUMENT_VERIFY_MAX_BYTES = int(os.environ.get("INSTRUMENT_VERIFY_MAX_BYTES", 2 * 1024 * 1024))
# Instruments not generated after this long are generated by the reconciler.
INSTRUMENT_GRACE = timedelta(seconds=int(os.environ.get("INSTRUMENT_GRACE_SECONDS", 30)))
# The items whose applications are disclosure requests (disclosure/requests.py): their
# decision is answered by a 政府信息公开申请答复书, not a permit decision.
DISCLOSURE_REQUEST_ITEMS = tuple(
    code.strip()
    for code in os.environ.get("DISCLOSURE_REQUEST_ITEMS", "information-disclosure-request").split(
        ","
    )
    if code.strip()
)

# Personal identifiers encrypted at rest (accounts/crypto.py, docs/security.md). Fernet keys,
# comma-separated: the first encrypts, all decrypt; to rotate, put a new key in front, run
# `manage.py rotate_encryption_keys`, then drop the old one (docs/operations.md).
FIELD_ENCRYPTION_KEYS = [k.strip() for k in env("FIELD_ENCRYPTION_KEYS").split(",") if k.strip()]
# HMAC key of the blind indexes that find an encrypted ID number; changing it needs
# `manage.py reindex_blind_index` before the portal serves requests again.
BLIND_INDEX_KEY = env("BLIND_INDEX_KEY")

# The tamper-evident audit log (accounts/audit.py) keeps entries this many days; at least 180
# (Cybersecurity Law Art. 21), which a system check and the purge itself enforce.
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", 365))

# The REST API (portal/api.py, docs/api.md): tokens for programs, the session for the browser.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_authentication.ExpiringTokenAuthentication",
        "accounts.api_authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "common.api_access.PagePagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON too deep, or holding what no text can (lone surrogates, NUL): 400 before any view.
    "DEFAULT_PARSER_CLASSES": [
        "common.json_input.PortalJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "common.api_access.AnonymousThrottle",
        "common.api_access.AccountThrottle",
    ],
    # Per address (anonymous) or per account, counted in the default (Redis) cache; DRF's
    # "count/second|minute|hour|day".
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "600/hour"),
        "user": os.environ.get("API_THROTTLE_USER", "3000/hour"),
    },
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "portal.api_schema.PortalAutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
}
# Knox tokens: hashed at rest; they expire after the same idle time as a session of the same
# person (accounts.api_authentication.ExpiringTokenAuthentication renews them on each use, per kind of user).
REST_KNOX = {
    "TOKEN_TTL": timedelta(seconds=APPLICANT_SESSION_IDLE_SECONDS),
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": timedelta(hours=int(os.environ.get("API_TOKEN_MAX_HOURS", 12))),
    "TOKEN_LIMIT_PER_USER": 20,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "One-Stop Government Services API",
    "DESCRIPTION": "Everything a person does through the portal's pages, for programs: "
    "the catalogue, filing, review, disclosure and certificate verification. See docs/api.md.",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "EventKindEnum": "services.models.ApplicationEvent.Kind",
        "PublicationKindEnum": "disclosure.models.Publication.Kind",
        "TaskStateEnum": "approvals.models.ReviewTask.State",
        "ExtensionStateEnum": "approvals.models.Extension.State",
        "LetterSatisfactionEnum": "services.models.Satisfaction",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# /health/ (portal/health.py) tells which server is down only to callers from this host and to
# monitoring that sends "Authorization: Bearer <HEALTH_TOKEN>"; everyone else gets the status.
HEALTH_TOKEN = os.environ.get("HEALTH_TOKEN", "")

# `make bench` only: routes /bench/ceiling/, a view doing nothing, as the framework's ceiling.
BENCH_CEILING_VIEW = env_bool("BENCH_CEILING_VIEW")

PORTAL_NAME = _("One-Stop Government Services")
