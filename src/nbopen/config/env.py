"""The one place that reads ``NBOPEN_*`` environment variables.

Everything configurable about a deployment is decided here, so that settings.py, the CLI and
the tests agree on defaults. Nothing else in the code base reads ``os.environ`` for NBopen
configuration.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "nbopen"


@dataclass(frozen=True)
class Config:
    """A deployment's configuration, read once from the environment."""

    data_dir: Path
    database_url: str
    storage_url: str
    secret_key: str
    public_url: str
    debug: bool
    task_backend: str  # "thread" (in-process, default), "sync" (inline), "celery" (broker)
    broker_url: str
    task_queue: str
    s3_access_key: str | None
    s3_secret_key: str | None
    s3_region: str
    max_json_body: int
    max_form_body: int  # web form posts (sign-in, settings): undeclared Django routes
    max_commit_body: int  # a Hub commit's NDJSON body (inline files included)
    analytics_engine: str  # "duckdb" (embedded, default) or "spark" (Apache Spark)
    spark_master: str  # Spark master URL for the spark engine, e.g. local[2], spark://host:7077
    dataset_query_seconds: float  # a dataset viewer search/filter is stopped after this long
    convert_memory_mb: int  # resident-memory limit of the child process converting a split
    convert_cpu_seconds: int  # CPU-time limit of that child (wall clock: twice this)
    score_memory_mb: int  # resident-memory limit of a competition's scoring child
    score_cpu_seconds: int  # CPU-time limit of that child (wall clock: twice this)
    convert_output_mb: int  # largest file that child may write
    clamav_socket: str  # clamd address: a unix socket path or tcp:host:port ("": no AV scan)
    redis_url: str | None  # shared cache (rate-limit counters) across hosts; else a file cache
    auth_window: int  # seconds over which failed authentications are counted
    auth_lockout: int  # seconds a lockout lasts
    auth_account_limit: int  # failed sign-ins of one account before it is locked out
    auth_ip_limit: int  # failed authentications from one address before it is locked out
    api_budget_window: int  # seconds of one API request budget window
    api_budget_token: int  # API requests per window for a token or signed-in user (0: none)
    api_budget_anonymous: int  # API requests per window for one anonymous address (0: none)
    audit_retention_days: int  # audit entries older than this are pruned by `nbopen gc`
    audit_refusal_sample: float  # share (0..1) of refused accesses written to the audit log
    hsts_seconds: int  # Strict-Transport-Security max-age when public_url is https; 0: none
    mirror_users: str  # who may trigger upstream fetches: signed-in | anonymous | off | orgs:a,b
    mirror_refresh_seconds: int  # a mirrored repository's metadata is re-checked after this
    mirror_allow_addresses: frozenset[str]  # upstream address classes allowed: loopback, private
    mirror_timeout: float  # connect/read timeout towards an upstream, seconds
    mirror_cache_bytes: int  # budget of the on-demand mirror cache (LRU eviction); 0: none
    ssh_port: int  # git over SSH inside `nbopen serve` (0: off, the default)
    ssh_public_host: str  # the host name users put in git@HOST:owner/name.git clone URLs
    pack_cache_mb: int  # size budget of the upload-pack pack cache; 0: no cache
    pack_cache_max_age: int  # seconds a cached pack is served after it was made
    pack_concurrency: int  # pack-objects at once per repository; 0: unlimited
    # the open-call matcher's sentence encoder (nbopen[embeddings]); NBOPEN_EMBEDDINGS=off
    embeddings: bool = True

    @property
    def https(self) -> bool:
        """Served to users over TLS (usually by a proxy in front): cookies are Secure and
        browsers are told to stay on https."""
        return self.public_url.startswith("https://")

    @property
    def git_root(self) -> Path:
        return self.data_dir / "git"

    @property
    def ssh_dir(self) -> Path:
        """The SSH server's host key, generated on first start and kept (clients pin it)."""
        return self.data_dir / "ssh"

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    @property
    def pack_cache_dir(self) -> Path:
        return self.data_dir / "packcache"


def _secret_key(data_dir: Path) -> str:
    """Return NBOPEN_SECRET_KEY, or a key generated once and kept in the data dir.

    Persisting the generated key keeps sessions and signed URLs valid across restarts
    without asking the operator to invent one.
    """
    explicit = os.environ.get("NBOPEN_SECRET_KEY")
    if explicit:
        return explicit
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # O_EXCL: two processes starting at once must agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


TASK_BACKENDS = ("thread", "sync", "celery")


def _task_backend() -> str:
    value = (os.environ.get("NBOPEN_TASKS") or "thread").strip().lower()
    if value not in TASK_BACKENDS:
        raise ValueError(f"NBOPEN_TASKS must be one of {', '.join(TASK_BACKENDS)}, not {value!r}")
    return value


ANALYTICS_ENGINES = ("duckdb", "spark")


def _analytics_engine() -> str:
    value = (os.environ.get("NBOPEN_ANALYTICS_ENGINE") or "duckdb").strip().lower()
    if value not in ANALYTICS_ENGINES:
        raise ValueError(
            f"NBOPEN_ANALYTICS_ENGINE must be one of {', '.join(ANALYTICS_ENGINES)}, not {value!r}"
        )
    return value


def load() -> Config:
    data_dir = Path(os.environ.get("NBOPEN_DATA_DIR") or DEFAULT_DATA_DIR).expanduser().resolve()
    return Config(
        data_dir=data_dir,
        database_url=os.environ.get("NBOPEN_DATABASE_URL")
        or f"sqlite:///{data_dir / 'nbopen.sqlite3'}",
        storage_url=os.environ.get("NBOPEN_STORAGE_URL") or f"file://{data_dir / 'lfs'}",
        secret_key=_secret_key(data_dir),
        public_url=(os.environ.get("NBOPEN_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
        debug=_flag("NBOPEN_DEBUG"),
        task_backend=_task_backend(),
        broker_url=os.environ.get("NBOPEN_BROKER_URL") or "amqp://guest:guest@127.0.0.1:5672//",
        task_queue=os.environ.get("NBOPEN_TASK_QUEUE") or "nbopen",
        s3_access_key=os.environ.get("NBOPEN_S3_ACCESS_KEY") or os.environ.get("AWS_ACCESS_KEY_ID"),
        s3_secret_key=os.environ.get("NBOPEN_S3_SECRET_KEY")
        or os.environ.get("AWS_SECRET_ACCESS_KEY"),
        s3_region=os.environ.get("NBOPEN_S3_REGION") or "us-east-1",
        max_json_body=int(os.environ.get("NBOPEN_MAX_JSON_BODY") or 10 * 1024 * 1024),
        max_form_body=int(os.environ.get("NBOPEN_MAX_FORM_BODY") or 1024 * 1024),
        max_commit_body=int(os.environ.get("NBOPEN_MAX_COMMIT_BODY") or 2 * 1024**3),
        analytics_engine=_analytics_engine(),
        spark_master=os.environ.get("NBOPEN_SPARK_MASTER") or "local[2]",
        dataset_query_seconds=float(os.environ.get("NBOPEN_DATASET_QUERY_SECONDS") or 10),
        convert_memory_mb=int(os.environ.get("NBOPEN_CONVERT_MEMORY_MB") or 4096),
        convert_cpu_seconds=int(os.environ.get("NBOPEN_CONVERT_CPU_SECONDS") or 1800),
        score_memory_mb=int(os.environ.get("NBOPEN_SCORE_MEMORY_MB") or 1024),
        score_cpu_seconds=int(os.environ.get("NBOPEN_SCORE_CPU_SECONDS") or 60),
        convert_output_mb=int(os.environ.get("NBOPEN_CONVERT_OUTPUT_MB") or 10240),
        clamav_socket=os.environ.get("NBOPEN_CLAMAV_SOCKET") or "",
        redis_url=os.environ.get("NBOPEN_REDIS_URL") or None,
        auth_window=int(os.environ.get("NBOPEN_AUTH_WINDOW") or 900),
        auth_lockout=int(os.environ.get("NBOPEN_AUTH_LOCKOUT") or 900),
        auth_account_limit=int(os.environ.get("NBOPEN_AUTH_ACCOUNT_LIMIT") or 10),
        auth_ip_limit=int(os.environ.get("NBOPEN_AUTH_IP_LIMIT") or 100),
        api_budget_window=int(os.environ.get("NBOPEN_API_BUDGET_WINDOW") or 300),
        api_budget_token=int(os.environ.get("NBOPEN_API_BUDGET_TOKEN") or 10000),
        api_budget_anonymous=int(os.environ.get("NBOPEN_API_BUDGET_ANONYMOUS") or 3000),
        audit_retention_days=int(os.environ.get("NBOPEN_AUDIT_RETENTION_DAYS") or 365),
        audit_refusal_sample=float(os.environ.get("NBOPEN_AUDIT_REFUSAL_SAMPLE") or 0.1),
        hsts_seconds=int(os.environ.get("NBOPEN_HSTS_SECONDS") or 365 * 24 * 3600),
        mirror_users=(os.environ.get("NBOPEN_MIRROR_USERS") or "signed-in").strip(),
        mirror_refresh_seconds=int(os.environ.get("NBOPEN_MIRROR_REFRESH") or 600),
        mirror_allow_addresses=frozenset(
            part.strip().lower()
            for part in (os.environ.get("NBOPEN_MIRROR_ALLOW_ADDRESSES") or "").split(",")
            if part.strip()
        ),
        mirror_timeout=float(os.environ.get("NBOPEN_MIRROR_TIMEOUT") or 30),
        mirror_cache_bytes=int(os.environ.get("NBOPEN_MIRROR_CACHE_MB") or 0) << 20,
        ssh_port=int(os.environ.get("NBOPEN_SSH_PORT") or 0),
        ssh_public_host=os.environ.get("NBOPEN_SSH_HOST") or "",
        pack_cache_mb=int(os.environ.get("NBOPEN_PACK_CACHE_MB") or 1024),
        pack_cache_max_age=int(os.environ.get("NBOPEN_PACK_CACHE_MAX_AGE") or 300),
        pack_concurrency=int(os.environ.get("NBOPEN_PACK_CONCURRENCY") or 2),
        embeddings=_flag("NBOPEN_EMBEDDINGS", default=True),
    )


CONFIG = load()
