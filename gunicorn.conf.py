"""Production gunicorn settings, all overridable from the environment.

    gunicorn -c gunicorn.conf.py 'backend:create_app()'

The app is stateless (PostgreSQL and Redis hold everything), so scale with more workers
and more hosts behind a load balancer.
"""

from __future__ import annotations

import multiprocessing
import os

# Production checks unless the environment says otherwise (create_app() also defaults to
# production: the fakes never run by omission).
os.environ.setdefault("KEHOU_ENV", "production")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
# Threads let a worker overlap database and WeChat round trips (gthread worker).
threads = _int("GUNICORN_THREADS", 4)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread" if threads > 1 else "sync")
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
backlog = _int("GUNICORN_BACKLOG", 2048)
# Recycle workers now and then so no slow leak lives forever (jitter avoids a herd).
max_requests = _int("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 1000)
# Each worker builds its own app: database pools and Redis clients are not shared across
# fork, and a failing import shows in the worker's log instead of killing the master.
preload_app = False
# The 1 MiB body limit is enforced by the app (413); keep gunicorn's header limits.
limit_request_line = 8190
# Behind a reverse proxy: gunicorn trusts its X-Forwarded-Proto from these addresses; the
# client address the app sees comes from TRUSTED_PROXY_HOPS (werkzeug ProxyFix in the app).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips
# Temporary worker heartbeat files in memory (containers often have a slow /tmp).
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or (
    "/dev/shm" if os.path.isdir("/dev/shm") else None
)
# gunicorn >= 24's control socket (~/.gunicorn/gunicorn.ctl) stays off unless asked for:
# a read-only home would break start-up. Older gunicorns ignore these names.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# Logs go to stderr. The app already writes one JSON access line per request, with its
# request id (backend/logging_setup.py), so gunicorn's own access log is off unless
# GUNICORN_ACCESS_LOG names a file or "-" (stderr); it then writes one JSON object a line.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    '{"ts": "%(t)s", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", '
    '"query": "%(q)s", "status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s, '
    '"request_id": "%({x-request-id}o)s", "user_agent": "%(a)s"}'
)
proc_name = "kehou"
