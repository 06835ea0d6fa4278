"""Operator subcommands of `codestar-local`: talk to a running server's control API.

    codestar-local connection handshake ARN      codestar-local host setup ARN
    codestar-local connection status ARN STATUS  codestar-local host status ARN STATUS [--message TEXT]
    codestar-local reset [--account ID]          codestar-local requests [--limit N]
    codestar-local state export FILE             codestar-local state import FILE

All of them take --endpoint URL and --admin-token TOKEN (or CODESTAR_LOCAL_ENDPOINT / CODESTAR_LOCAL_ADMIN_TOKEN),
sent as `Authorization: Bearer TOKEN` to a server started with one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request

from .actions import CONNECTION_STATUSES, HOST_STATUSES

DEFAULT_ENDPOINT = "http://127.0.0.1:4599"
TOKEN_ENV = "CODESTAR_LOCAL_ADMIN_TOKEN"


class CommandError(Exception):
    pass


def admin_token(args) -> str | None:
    """--admin-token, else $CODESTAR_LOCAL_ADMIN_TOKEN, else None."""
    return getattr(args, "admin_token", None) or os.environ.get(TOKEN_ENV) or None


def headers(token: str | None) -> dict:
    out = {"content-type": "application/json"}
    if token:
        out["authorization"] = f"Bearer {token}"
    return out


def unauthorised_message(endpoint: str, token: str | None) -> str:
    if token:
        return (f"Unauthorized: the server at {endpoint} refused the admin token; "
                f"check --admin-token or {TOKEN_ENV} (it must be the one given to `codestar-local serve`)")
    return (f"Unauthorized: the server at {endpoint} needs its admin token; "
            f"give --admin-token TOKEN or set {TOKEN_ENV}")


def call(endpoint: str, method: str, path: str, body=None, query: str = "", token: str | None = None):
    url = endpoint.rstrip("/") + "/_codestar-local/" + path + (f"?{query}" if query else "")
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers(token))
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        if e.code == 401:
            raise CommandError(unauthorised_message(endpoint, token)) from None
        try:
            err = json.loads(e.read())["error"]
            raise CommandError(f"{err['code']}: {err['message']}") from None
        except (ValueError, KeyError, TypeError):
            raise CommandError(f"HTTP {e.code} from {url}") from None
    except urllib.error.URLError as e:
        raise CommandError(f"cannot reach {endpoint}: {e.reason} (is `codestar-local serve` running?)") from None


def remote_call(args, method: str, path: str, body=None, query: str = ""):
    return call(args.endpoint, method, path, body, query, token=admin_token(args))


def show(value) -> None:
    print(json.dumps(value, indent=2, sort_keys=True))


def cmd_connection(args) -> None:
    if args.action == "handshake":
        body = {"ConnectionArn": args.arn}
        if args.installation:
            body["InstallationId"] = args.installation
        show(remote_call(args, "POST", "connections/handshake", body))
    else:
        show(remote_call(args, "POST", "connections/status", {"ConnectionArn": args.arn, "ConnectionStatus": args.status}))


def cmd_host(args) -> None:
    if args.action == "setup":
        show(remote_call(args, "POST", "hosts/setup", {"HostArn": args.arn}))
    else:
        body = {"HostArn": args.arn, "Status": args.status}
        if args.message:
            body["StatusMessage"] = args.message
        show(remote_call(args, "POST", "hosts/status", body))


def cmd_reset(args) -> None:
    show(remote_call(args, "POST", "reset", {"AccountId": args.account} if args.account else {}))


def cmd_requests(args) -> None:
    show(remote_call(args, "GET", "requests", query=f"limit={args.limit}"))


def _open_file_store(path: str, must_exist: bool):
    from ..store import open_store

    if path in ("memory", ":memory:"):
        raise CommandError("--state memory has nothing to export or keep; use a file, or --endpoint of a running server")
    if must_exist and not path.startswith(("postgres://", "postgresql://")) and not os.path.exists(path):
        raise CommandError(f"no state at {path}")
    return open_store(path)


def cmd_state(args) -> None:
    from . import snapshot

    if args.action == "export":
        if args.state:
            store = _open_file_store(args.state, must_exist=True)
            try:
                snap = snapshot.export(store)
            finally:
                store.close()
        else:
            snap = remote_call(args, "GET", "state")
        text = json.dumps(snap, indent=1, sort_keys=True) + "\n"
        if args.file == "-":
            sys.stdout.write(text)
        else:
            with open(args.file, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"exported {len(snap.get('items', []))} items to {args.file}", file=sys.stderr)
        return
    try:
        if args.file == "-":
            snap = json.load(sys.stdin)
        else:
            with open(args.file, encoding="utf-8") as f:
                snap = json.load(f)
    except OSError as e:
        raise CommandError(f"cannot read {args.file}: {e.strerror}") from None
    except ValueError as e:
        raise CommandError(f"{args.file} is not JSON: {e}") from None
    if args.state:
        store = _open_file_store(args.state, must_exist=False)
        try:
            count = snapshot.load(store, snap)
        except snapshot.SnapshotError as e:
            raise CommandError("InvalidSnapshot: " + "; ".join(e.problems)) from None
        finally:
            store.close()
        show({"imported": True, "items": count})
    else:
        show(remote_call(args, "PUT", "state", snap))


def add_commands(sub) -> None:
    """Register the operator subcommands on the `codestar-local` parser."""
    remote = argparse.ArgumentParser(add_help=False)
    remote.add_argument("--endpoint", default=os.environ.get("CODESTAR_LOCAL_ENDPOINT", DEFAULT_ENDPOINT),
                        help=f"the running server (default {DEFAULT_ENDPOINT})")
    remote.add_argument("--admin-token", default=None, metavar="TOKEN",
                        help=f"the server's admin token, if it has one (default ${TOKEN_ENV}, which keeps it out of ps)")

    conn = sub.add_parser("connection", help="complete a connection's handshake or set its status")
    conn_sub = conn.add_subparsers(dest="action", required=True)
    p = conn_sub.add_parser("handshake", parents=[remote], help="PENDING/ERROR -> AVAILABLE, as the console does")
    p.add_argument("arn")
    p.add_argument("--installation", help="the fake provider installation to record")
    p = conn_sub.add_parser("status", parents=[remote], help="set ConnectionStatus")
    p.add_argument("arn")
    p.add_argument("status", choices=CONNECTION_STATUSES)
    conn.set_defaults(run=cmd_connection)

    host = sub.add_parser("host", help="set up a host or set its status")
    host_sub = host.add_subparsers(dest="action", required=True)
    p = host_sub.add_parser("setup", parents=[remote], help="PENDING -> AVAILABLE, as the console does")
    p.add_argument("arn")
    p = host_sub.add_parser("status", parents=[remote], help="set Status (and StatusMessage)")
    p.add_argument("arn")
    p.add_argument("status", choices=HOST_STATUSES)
    p.add_argument("--message", help="StatusMessage shown by ListHosts")
    host.set_defaults(run=cmd_host)

    p = sub.add_parser("reset", parents=[remote], help="delete all state, or one account's")
    p.add_argument("--account", help="only this 12-digit account")
    p.set_defaults(run=cmd_reset)

    p = sub.add_parser("requests", parents=[remote], help="the last API calls the server answered")
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(run=cmd_requests)

    state = sub.add_parser("state", help="export or import a state snapshot")
    state_sub = state.add_subparsers(dest="action", required=True)
    for name, what in (("export", "write the state to FILE ('-' = stdout)"), ("import", "replace the state with FILE ('-' = stdin)")):
        p = state_sub.add_parser(name, parents=[remote], help=what)
        p.add_argument("file", metavar="FILE")
        p.add_argument("--state", help="work on this state file (or postgresql:// URL) instead of a running server")
    state.set_defaults(run=cmd_state)

    for parser in (conn, host, state):
        parser.set_defaults(func=run)
    for name in ("reset", "requests"):
        sub.choices[name].set_defaults(func=run)


def run(args) -> int:
    from ..store.schema import SchemaError

    try:
        args.run(args)
    except CommandError as e:
        print(f"codestar-local: {e}", file=sys.stderr)
        return 1
    except SchemaError as e:  # a --state this release cannot open, as `serve` refuses it
        print(f"codestar-local: {e}", file=sys.stderr)
        return 2
    return 0
