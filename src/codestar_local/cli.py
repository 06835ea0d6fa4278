"""The `codestar-local` command."""

from __future__ import annotations

import argparse
import logging
import os
import pathlib
import sys

from . import __version__

DURABILITY_MODES = ("normal", "full")  # store/sqlite.py maps them to SQLite's synchronous


def default_state_path() -> str:
    import platformdirs

    return str(pathlib.Path(platformdirs.user_data_dir("codestar-local")) / "state.db")


def cmd_serve(args) -> int:
    state = args.state or default_state_path()
    if state in ("memory", ":memory:") and args.workers > 1:
        print("codestar-local: --state memory cannot be shared by several workers; use a file or PostgreSQL", file=sys.stderr)
        return 2
    os.environ["CODESTAR_LOCAL_STATE"] = state
    if args.auto_handshake is not None:
        os.environ["CODESTAR_LOCAL_AUTO_HANDSHAKE"] = str(args.auto_handshake)
    if args.vpc_init_seconds is not None:
        os.environ["CODESTAR_LOCAL_VPC_INIT_SECONDS"] = str(args.vpc_init_seconds)
    if args.project_seconds is not None:
        os.environ["CODESTAR_LOCAL_PROJECT_SECONDS"] = str(args.project_seconds)
    if args.git_dir is not None:
        os.environ["CODESTAR_LOCAL_GIT_DIR"] = os.path.abspath(args.git_dir)
    if args.max_git_body is not None:
        os.environ["CODESTAR_LOCAL_MAX_GIT_BODY"] = str(args.max_git_body)
    if args.db_pool is not None:
        if args.db_pool < 1:
            print("codestar-local: --db-pool needs at least 1 connection", file=sys.stderr)
            return 2
        os.environ["CODESTAR_LOCAL_DB_POOL"] = str(args.db_pool)
    problem = _trust_settings(args)
    if problem:
        print(f"codestar-local: {problem}", file=sys.stderr)
        return 2
    durability = args.durability or os.environ.get("CODESTAR_LOCAL_DURABILITY") or "normal"
    if durability not in DURABILITY_MODES:
        print(f"codestar-local: durability must be {' or '.join(DURABILITY_MODES)}, not {durability!r}", file=sys.stderr)
        return 2
    os.environ["CODESTAR_LOCAL_DURABILITY"] = durability
    if args.metrics not in ("on", "off"):  # argparse checks --metrics, not a default taken from the environment
        print(f"codestar-local: CODESTAR_LOCAL_METRICS must be on or off, not {args.metrics!r}", file=sys.stderr)
        return 2
    os.environ["CODESTAR_LOCAL_METRICS"] = args.metrics
    if args.workers <= 1:
        os.environ.pop("CODESTAR_LOCAL_METRICS_DIR", None)  # one process: nothing to share
    from .asgi import create_app

    # Open the state in the parent so a bad path or URL fails before anything listens; one process serves with it.
    from .credentials import CredentialsError
    from .store.schema import SchemaError

    try:
        app = create_app()
    except (CredentialsError, SchemaError) as e:
        print(f"codestar-local: {e}", file=sys.stderr)
        return 2
    where = app.store.url
    migration = getattr(app.store, "migration", None)
    if migration is not None and migration.found is not None and migration.ran:
        where += f", migrated from schema version {migration.found} to {migration.version}"
    level = "DEBUG" if args.log_level.lower() == "trace" else args.log_level.upper()
    logging.getLogger().setLevel(level)
    if args.access_log:
        logging.getLogger("codestar_local.access").setLevel(logging.INFO)
    from .serving.server import Server, bind

    try:
        sock = bind(args.host, args.port)
    except OSError as e:
        app.close()
        print(f"codestar-local: cannot listen on {args.host}:{args.port}: {e.strerror or e}", file=sys.stderr)
        return 1
    print(f"codestar-local {__version__} on http://{args.host}:{args.port} (state: {where})", flush=True)
    if args.workers > 1:
        import tempfile

        from .serving.workers import Workers

        app.close()
        # Where the workers add up their metrics (metrics.py): this server's own, removed when it stops.
        with tempfile.TemporaryDirectory(prefix="codestar-local-metrics-", ignore_cleanup_errors=True) as shared:
            os.environ["CODESTAR_LOCAL_METRICS_DIR"] = shared
            return Workers(args.workers, sock, access_log=args.access_log, log_level=level).run()
    Server(app, access_log=args.access_log).run([sock])
    return 0


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _trust_settings(args) -> str | None:
    """Hand the trust flags to the app (through the environment, for the workers); a reason to refuse, or None."""
    settings = {
        "CODESTAR_LOCAL_AUTH": args.auth,
        "CODESTAR_LOCAL_CREDENTIALS": args.credentials and os.path.abspath(args.credentials),
        "CODESTAR_LOCAL_ADMIN_TOKEN": args.admin_token,
        "CODESTAR_LOCAL_CORS": ",".join(args.cors) if args.cors else None,
        "CODESTAR_LOCAL_MAX_BODY": args.max_body,
        "CODESTAR_LOCAL_MAX_HEADERS": args.max_headers,
        "CODESTAR_LOCAL_MAX_HEADER_BYTES": args.max_header_bytes,
        "CODESTAR_LOCAL_MAX_DEPTH": args.max_depth,
        "CODESTAR_LOCAL_REQUEST_TIMEOUT": args.request_timeout,
        "CODESTAR_LOCAL_LOOPBACK_ONLY": "1" if _is_loopback(args.host) else "0",
        "CODESTAR_LOCAL_ALLOW_HOSTS": ",".join(args.allow_host) if args.allow_host else None,
    }
    for name, value in settings.items():
        if value is not None:
            os.environ[name] = str(value)
    if args.auth == "verify" and not os.environ.get("CODESTAR_LOCAL_CREDENTIALS"):
        return "--auth verify needs --credentials FILE (an AWS shared-credentials file of the keys to accept)"
    if not _is_loopback(args.host) and not os.environ.get("CODESTAR_LOCAL_ADMIN_TOKEN") and not args.insecure_admin:
        return (
            f"--host {args.host} is reachable from other machines, and anyone who reaches it could reset or replace "
            "all state through /_codestar-local/. Give --admin-token TOKEN (or CODESTAR_LOCAL_ADMIN_TOKEN), "
            "or pass --insecure-admin to serve the control API without one."
        )
    return None


def cmd_models_path(args) -> int:
    from .spec import models_path

    print(models_path())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codestar-local", description=__doc__)
    parser.add_argument("--version", action="version", version=f"codestar-local {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the emulator (default 127.0.0.1:4599)")
    serve.add_argument("--host", default=os.environ.get("CODESTAR_LOCAL_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("CODESTAR_LOCAL_PORT", "4599")))
    serve.add_argument("--state", default=os.environ.get("CODESTAR_LOCAL_STATE"), help="SQLite file, 'memory', or postgresql://...")
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--db-pool", type=int, default=None, metavar="N",
                       help="PostgreSQL connections (and request threads) per process (8; or CODESTAR_LOCAL_DB_POOL)")
    serve.add_argument("--auto-handshake", type=float, nargs="?", const=0.0, default=None, metavar="SECONDS",
                       help="make new connections and hosts AVAILABLE after SECONDS (default off; 0 when given bare)")
    serve.add_argument("--vpc-init-seconds", type=float, default=None, help="how long a VPC host stays VPC_CONFIG_INITIALIZING (1)")
    serve.add_argument("--project-seconds", type=float, default=None,
                       help="how long a CodeStar project stays CreateInProgress, and DeleteInProgress (0.5)")
    serve.add_argument("--durability", choices=DURABILITY_MODES, default=None,
                       help="SQLite file state: normal survives a process crash, full also a power loss, at a cost "
                       "(docs/OPERATIONS.md; or CODESTAR_LOCAL_DURABILITY; default normal)")
    trust = serve.add_argument_group("trust (docs/SECURITY.md)")
    trust.add_argument("--auth", choices=("off", "verify"), default=os.environ.get("CODESTAR_LOCAL_AUTH", "off"),
                       help="off: accept any signature, the account is the key id; verify: SigV4 against --credentials")
    trust.add_argument("--credentials", default=None, metavar="FILE",
                       help="AWS shared-credentials file of accepted keys (aws_account_id per key); re-read on SIGHUP or change")
    trust.add_argument("--admin-token", default=None, metavar="TOKEN",
                       help="require 'Authorization: Bearer TOKEN' on /_codestar-local/ (or CODESTAR_LOCAL_ADMIN_TOKEN)")
    trust.add_argument("--insecure-admin", action="store_true",
                       help="allow a non-loopback --host without an admin token")
    trust.add_argument("--cors", action="append", default=None, metavar="ORIGIN",
                       help="allow browser calls from ORIGIN (repeatable); no CORS by default")
    trust.add_argument("--allow-host", action="append", default=None, metavar="NAME",
                       help="on a loopback --host, also answer requests whose Host is NAME (repeatable; others are "
                       "refused against DNS rebinding)")
    trust.add_argument("--max-body", type=int, default=None, metavar="BYTES", help="largest AWS request body (2 MiB)")
    trust.add_argument("--max-headers", type=int, default=None, metavar="N", help="most request headers (100)")
    trust.add_argument("--max-header-bytes", type=int, default=None, metavar="BYTES", help="largest header section (32 KiB)")
    trust.add_argument("--max-depth", type=int, default=None, metavar="N", help="deepest JSON/CBOR nesting (32)")
    trust.add_argument("--request-timeout", type=float, default=None, metavar="SECONDS",
                       help="time a client has to send a whole request (30)")
    serve.add_argument("--metrics", choices=("on", "off"), default=os.environ.get("CODESTAR_LOCAL_METRICS", "on"),
                       help="count requests for GET /_codestar-local/metrics (docs/OPERATIONS.md; default on)")
    serve.add_argument("--git-dir", default=None, metavar="DIR",
                       help="where the Git repositories of repository links live (default: beside the SQLite file, "
                       "a temporary directory for --state memory; shared storage for several PostgreSQL replicas)")
    serve.add_argument("--max-git-body", type=int, default=None, metavar="BYTES", help="largest Git push or fetch request (256 MiB)")
    serve.add_argument("--log-level", default="warning")
    serve.add_argument("--access-log", action="store_true")
    serve.set_defaults(func=cmd_serve)

    models = sub.add_parser("models-path", help="print a folder for AWS_DATA_PATH that holds the shipped models of all three services")
    models.set_defaults(func=cmd_models_path)

    from .control.sync import add_parser as add_sync_parser

    add_sync_parser(sub)
    from .control.client import add_commands

    add_commands(sub)
    return parser


def main(argv=None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
