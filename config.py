"""Configuration, read from the environment once at start-up.

Every setting has a default that works on a fresh machine: SQLite under instance/, jobs in-process,
keys made at random on the first start and kept in instance/ (app/keys.py), no map tiles fetched from
outside. Production sets DATABASE_URL, SECRET_KEY, PERSONAL_DATA_KEY, REDIS_URL and PUBLIC_BASE_URL.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("YIBIAO_INSTANCE", BASE_DIR / "instance"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'yibiao.db'}")
    # Heroku-style and plain psycopg URLs both mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    # Signs session cookies and CSRF tokens; unset = instance/secret_key, made at random on first start.
    # Rotation: the new key here, the old one in SECRET_KEY_FALLBACKS (comma-separated) while its
    # sessions should still work.
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SECRET_KEY_FALLBACKS = _list("SECRET_KEY_FALLBACKS")
    # Seals ID and phone numbers at rest (AES-GCM, app/privacy.py); unset = instance/personal_data_key.
    # Rotation: the new key here, the old ones in PERSONAL_DATA_OLD_KEYS (comma-separated; they only
    # decrypt and find), then `flask personal-data rotate`.
    PERSONAL_DATA_KEY = os.environ.get("PERSONAL_DATA_KEY") or None
    PERSONAL_DATA_OLD_KEYS = _list("PERSONAL_DATA_OLD_KEYS")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # A server's connections can drop (restarts, idle timeouts): one that has waited in the pool
    # longer than this is pinged before use (app/__init__.py). A file cannot drop.
    DATABASE_PING_AFTER_IDLE_S = float(os.environ.get("DATABASE_PING_AFTER_IDLE_S", "1"))
    INSTANCE_DIR = INSTANCE_DIR

    REDIS_URL = os.environ.get("REDIS_URL", "")
    # Run background jobs inside the web process (embedded default) or leave them to `flask jobs worker`.
    JOBS_IN_PROCESS = _bool("JOBS_IN_PROCESS", True)
    JOBS_IMMEDIATE = _bool("JOBS_IMMEDIATE", False)
    # The queue's name: instances sharing one Redis (or one jobs.db) need their own.
    JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "yibiao")
    EXPORT_DIR = Path(os.environ.get("EXPORT_DIR", INSTANCE_DIR / "exports"))

    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    PROVINCE_NAME = os.environ.get("PROVINCE_NAME", "湖北省")
    # Times are stored in UTC and shown to people in this zone.
    TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")
    # Leaflet tile URL template, e.g. https://tile.example.cn/{z}/{x}/{y}.png; empty = no tiles fetched.
    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
    MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")
    # Coordinate system the tiles are drawn in: wgs84, gcj02 (most Chinese tiles) or bd09.
    MAP_TILE_CRS = os.environ.get("MAP_TILE_CRS", "gcj02")

    # Field photos, stored by hash (app/collect/storage.py); the phone sends at most 2048 px JPEGs.
    PHOTO_STORAGE_ROOT = Path(os.environ.get("PHOTO_STORAGE_ROOT", INSTANCE_DIR / "photos"))
    PHOTO_MAX_BYTES = int(os.environ.get("PHOTO_MAX_BYTES", 8 * 1024 * 1024))
    # Pixels (width × height), read from the header before anything is decoded: a few KB can claim
    # 12000 × 12000. 40 million leaves room for a camera's original; decoding one takes up to 160 MB.
    PHOTO_MAX_PIXELS = int(os.environ.get("PHOTO_MAX_PIXELS", 40_000_000))
    # The most buildings a phone downloads for offline work (a township's worth, with room to spare).
    PACK_MAX_BUILDINGS = int(os.environ.get("PACK_MAX_BUILDINGS", 30000))
    # Compressed are only the responses marked so (the address pack, a phone's largest download on a
    # weak signal); the answers to a phone's uploads are too small to gain from it.
    COMPRESS_REGISTER = False
    # Review: how long a reviewer's claim on an item lasts; how far from its building a photo's
    # position is flagged for the reviewer.
    REVIEW_CLAIM_MINUTES = int(os.environ.get("REVIEW_CLAIM_MINUTES", 15))
    REVIEW_GPS_FAR_M = float(os.environ.get("REVIEW_GPS_FAR_M", 200))
    TASK_DUE_DAYS = int(os.environ.get("TASK_DUE_DAYS", 7))  # a verification task's time to be done
    TASK_REMIND_HOURS = int(os.environ.get("TASK_REMIND_HOURS", 24))  # remind this long before it is due
    # The field app's files: the repository's pwa/ unless told otherwise.
    PWA_DIR = Path(os.environ.get("PWA_DIR", BASE_DIR / "pwa"))

    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 16 * 1024 * 1024))
    REGISTER_MAX_BYTES = int(os.environ.get("REGISTER_MAX_BYTES", 20 * 1024 * 1024))  # a department's register file
    REGISTER_MAX_ROWS = int(os.environ.get("REGISTER_MAX_ROWS", 50_000))  # rows of one register (split larger ones)
    # Verification tasks a register may open, and register tasks one street (township) gets in a day;
    # suspicious rows beyond either wait (待派发) for a street or district user to send or dismiss them.
    REGISTER_MAX_TASKS = int(os.environ.get("REGISTER_MAX_TASKS", 2000))
    REGISTER_STREET_TASKS_PER_DAY = int(os.environ.get("REGISTER_STREET_TASKS_PER_DAY", 200))
    # Reverse proxies in front of the app (each adds X-Forwarded-For and -Proto): the per-client
    # rate limits need the phone's address, not the proxy's. 0 = none, the headers are not trusted.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))
    # Where the limits count: Redis when there is one, else a SQLite file every worker and process of
    # this machine shares (app/ratelimit.py), so that each limit holds as written whatever the workers.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or (
        os.environ.get("REDIS_URL") or f"sqlite://{INSTANCE_DIR / 'limits.db'}"
    )
    RATELIMIT_DEFAULT = os.environ.get("RATELIMIT_DEFAULT", "")
    RATELIMIT_API_KEY = os.environ.get("RATELIMIT_API_KEY", "6000 per minute")
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute")
    # Plate scans (the public page and its JSON) per client address: plenty for a person, not for a crawler.
    RATELIMIT_PLATE_SCAN = os.environ.get("RATELIMIT_PLATE_SCAN", "120 per minute")
    # Public reports from a plate's page: per client address, and per plate (a building's
    # households may all declare on one day, a flood of reports on one plate is someone's script).
    RATELIMIT_REPORT_CLIENT = os.environ.get("RATELIMIT_REPORT_CLIENT", "10 per hour;30 per day")
    RATELIMIT_REPORT_PLATE = os.environ.get("RATELIMIT_REPORT_PLATE", "60 per day")
    # Receipt look-ups (/r/<token> and its JSON) per client address: a person checks a few times, a
    # script guessing tokens needs thousands.
    RATELIMIT_RECEIPT = os.environ.get("RATELIMIT_RECEIPT", "60 per minute")
    RATELIMIT_HEADERS_ENABLED = True

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # The cookie is Secure on every request that came over HTTPS (app/headers.py); 1 = on every request.
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    WTF_CSRF_CHECK_DEFAULT = False  # checked in app/accounts/auth.py, only for cookie sessions
    WTF_CSRF_TIME_LIMIT = None

    API_TITLE = "Yibiao 一标三实 API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/static/vendor/swagger-ui/"
    JSON_AS_ASCII = False
    PAGE_SIZE_DEFAULT = 50
    PAGE_SIZE_MAX = 500


class TestConfig(Config):
    TESTING = True
    RATELIMIT_LOGIN = "1000 per minute"
    RATELIMIT_PLATE_SCAN = "1000 per minute"
    RATELIMIT_REPORT_CLIENT = "1000 per minute"
    RATELIMIT_REPORT_PLATE = "1000 per minute"
    RATELIMIT_RECEIPT = "1000 per minute"
    JOBS_IN_PROCESS = False
