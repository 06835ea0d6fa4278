"""The App as configured by `codestar-local serve`'s environment: its workers build theirs here, and any ASGI server
can serve it by import string (`uvicorn --factory codestar_local.asgi:create_app`).

Configuration comes from the environment, as `codestar-local serve` sets it:
CODESTAR_LOCAL_STATE (a path, 'memory' or a postgresql:// URL),
CODESTAR_LOCAL_AUTO_HANDSHAKE (seconds), CODESTAR_LOCAL_VPC_INIT_SECONDS,
CODESTAR_LOCAL_PROJECT_SECONDS, and the trust settings of docs/SECURITY.md: CODESTAR_LOCAL_AUTH,
CODESTAR_LOCAL_CREDENTIALS, CODESTAR_LOCAL_ADMIN_TOKEN, CODESTAR_LOCAL_CORS (comma-separated origins),
CODESTAR_LOCAL_MAX_BODY, CODESTAR_LOCAL_MAX_HEADERS, CODESTAR_LOCAL_MAX_HEADER_BYTES, CODESTAR_LOCAL_MAX_DEPTH,
CODESTAR_LOCAL_REQUEST_TIMEOUT, CODESTAR_LOCAL_LOOPBACK_ONLY (1: answer loopback Host names only),
CODESTAR_LOCAL_ALLOW_HOSTS (comma-separated), CODESTAR_LOCAL_DURABILITY (normal or full: SQLite's synchronous).
Git sync: CODESTAR_LOCAL_GIT_DIR (where the links' repositories live) and CODESTAR_LOCAL_MAX_GIT_BODY (bytes).
Metrics: CODESTAR_LOCAL_METRICS (off: none) and CODESTAR_LOCAL_METRICS_DIR (a directory the workers of one
server share their counts in; see docs/OPERATIONS.md).
"""

from __future__ import annotations

import os

from .app import App, Config


def config_from_env() -> Config:
    config = Config()
    auto = os.environ.get("CODESTAR_LOCAL_AUTO_HANDSHAKE")
    if auto not in (None, ""):
        config.auto_handshake = float(auto)
    vpc = os.environ.get("CODESTAR_LOCAL_VPC_INIT_SECONDS")
    if vpc not in (None, ""):
        config.vpc_init_seconds = float(vpc)
    project = os.environ.get("CODESTAR_LOCAL_PROJECT_SECONDS")
    if project not in (None, ""):
        config.project_create_seconds = config.project_delete_seconds = float(project)
    env = os.environ.get
    config.auth = env("CODESTAR_LOCAL_AUTH") or config.auth
    config.credentials = env("CODESTAR_LOCAL_CREDENTIALS") or None
    config.admin_token = env("CODESTAR_LOCAL_ADMIN_TOKEN") or None
    config.cors = tuple(o.strip() for o in (env("CODESTAR_LOCAL_CORS") or "").split(",") if o.strip())
    config.loopback_only = env("CODESTAR_LOCAL_LOOPBACK_ONLY") == "1"
    config.allow_hosts = tuple(h.strip() for h in (env("CODESTAR_LOCAL_ALLOW_HOSTS") or "").split(",") if h.strip())
    config.durability = env("CODESTAR_LOCAL_DURABILITY") or config.durability
    config.git_dir = env("CODESTAR_LOCAL_GIT_DIR") or None
    for name, attr, kind in _NUMBERS:
        value = env(name)
        if value not in (None, ""):
            setattr(config, attr, kind(value))
    config.metrics = env("CODESTAR_LOCAL_METRICS", "on") != "off"
    config.metrics_dir = env("CODESTAR_LOCAL_METRICS_DIR") or None
    return config


_NUMBERS = (
    ("CODESTAR_LOCAL_MAX_BODY", "max_body", int),
    ("CODESTAR_LOCAL_MAX_HEADERS", "max_headers", int),
    ("CODESTAR_LOCAL_MAX_HEADER_BYTES", "max_header_bytes", int),
    ("CODESTAR_LOCAL_MAX_DEPTH", "max_depth", int),
    ("CODESTAR_LOCAL_REQUEST_TIMEOUT", "request_timeout", float),
    ("CODESTAR_LOCAL_MAX_GIT_BODY", "max_git_body", int),
)


def create_app() -> App:
    return App(os.environ.get("CODESTAR_LOCAL_STATE", "memory"), config_from_env())
