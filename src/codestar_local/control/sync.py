"""Driving Git sync from outside: a commit lands, a blocker appears.

POST /_codestar-local/sync/push      what AWS does when a commit lands on a linked branch
POST /_codestar-local/sync/blockers  an ACTIVE sync blocker on a resource

Also the `codestar-local sync ...` command, a small HTTP client of these two, and `sync remote`, which
prints a link's Git remote (gitremote/).
See docs/GITSYNC.md.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
import urllib.error
import urllib.request

from ..gitsync import attempts
from ..gitsync.attempts import DEFAULT_SYNC_SECONDS
from ..services.connections import REPOSITORY_LINK
from ..services.sync import SYNC_CONFIGURATION, blocker_view, config_key

LINK_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
ACCOUNT = re.compile(r"[0-9]{12}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
RESOURCE = re.compile(r"[0-9A-Za-z]+[0-9A-Za-z_\\-]*")
SYNC_TYPES = ("CFN_STACK_SYNC",)
OUTCOMES = ("SUCCEEDED", "FAILED")
MAX_TEXT = 1024
MAX_DURATION = 3600.0
PUSH = "/_codestar-local/sync/push"
BLOCKERS = "/_codestar-local/sync/blockers"


def routes(api) -> dict:
    return {("POST", PUSH): lambda req: push(api, req), ("POST", BLOCKERS): lambda req: blocker(api, req)}


def _bad(message: str):
    from . import ControlError

    return ControlError(400, "InvalidParameter", message)


def _text(body: dict, key: str, default=None, limit: int = MAX_TEXT, pattern=None):
    value = body.get(key, default)
    if value is None:
        return None
    if type(value) is not str or not value or len(value) > limit:
        raise _bad(f"{key} must be a non-empty string of at most {limit} characters")
    if pattern is not None and not pattern.fullmatch(value):
        raise _bad(f"{key} is not valid: {value!r}")
    return value


def push(api, req):
    from . import ControlError, json_response

    body = api.body(req)
    link_id = _text(body, "RepositoryLinkId", pattern=LINK_ID)
    if link_id is None:
        raise _bad("RepositoryLinkId is required")
    branch = _text(body, "Branch", limit=255)
    if branch is None:
        raise _bad("Branch is required")
    sha = _text(body, "CommitId", limit=255) or secrets.token_hex(20)
    outcome = body.get("Outcome", "SUCCEEDED")
    if outcome not in OUTCOMES:
        raise _bad(f"Outcome must be one of {', '.join(OUTCOMES)}")
    reason = _text(body, "Reason")
    duration = body.get("DurationSeconds", DEFAULT_SYNC_SECONDS)
    if type(duration) not in (int, float) or not 0 <= duration <= MAX_DURATION:
        raise _bad(f"DurationSeconds must be a number from 0 to {MAX_DURATION:g}")
    files = body.get("ChangedFiles")
    if files is not None and (type(files) is not list or not all(type(f) is str and f for f in files)):
        raise _bad("ChangedFiles must be a list of file paths")
    account = _text(body, "AccountId", pattern=ACCOUNT)
    region = _text(body, "Region", pattern=REGION)
    app = api.app
    with app.store.write(account) as tx:  # None (any account): every account's lock
        # The link id is unique across accounts and regions; AccountId/Region only narrow the search.
        found = [i for i in tx.list(REPOSITORY_LINK, account, region) if i.data["RepositoryLinkId"] == link_id]
        if not found:
            raise ControlError(404, "NotFound", f"Repository link {link_id} does not exist")
        link = found[0]
        ctx = attempts.context(app, tx, link)

        def judge(config):
            return attempts.Verdict(outcome, reason, relevant=attempts.relevant(config.data, files))

        summary = attempts.record_push(ctx, link, branch, sha, judge, float(duration), outcome, reason)
    return json_response(200, summary)


def blocker(api, req):
    from . import ControlError, json_response

    body = api.body(req)
    resource = _text(body, "ResourceName", limit=100, pattern=RESOURCE)
    if resource is None:
        raise _bad("ResourceName is required")
    sync_type = body.get("SyncType", "CFN_STACK_SYNC")
    if sync_type not in SYNC_TYPES:
        raise _bad(f"SyncType must be one of {', '.join(SYNC_TYPES)}")
    reason = _text(body, "Reason") or "Sync blocked through the codestar-local control API"
    account = _text(body, "AccountId", "000000000000", pattern=ACCOUNT)
    region = _text(body, "Region", "us-east-1", pattern=REGION)
    app = api.app
    with app.store.write(account) as tx:
        config = tx.get(SYNC_CONFIGURATION, config_key(account, region, sync_type, resource))
        if config is None:
            raise ControlError(404, "NotFound", f"No {sync_type} sync configuration for resource {resource} in {account}/{region}")
        data = attempts.add_blocker(tx, config, reason, app.clock(), [{"Key": "Source", "Value": "control API"}])
    return json_response(200, {"ResourceName": resource, "ParentResourceName": data["ParentResourceName"], "SyncBlocker": blocker_view(data)})


# -- the `codestar-local sync` command ------------------------------------------
def default_endpoint() -> str:
    return os.environ.get("CODESTAR_LOCAL_ENDPOINT") or f"http://127.0.0.1:{os.environ.get('CODESTAR_LOCAL_PORT', '4599')}"


def add_parser(sub) -> None:
    sync = sub.add_parser("sync", help="drive Git sync on a running emulator (commits, blockers)")
    actions = sync.add_subparsers(dest="sync_command", required=True)

    p = actions.add_parser("push", help="a commit lands on a branch of a linked repository")
    p.add_argument("--link", required=True, metavar="ID", help="RepositoryLinkId")
    p.add_argument("--branch", required=True)
    p.add_argument("--commit", metavar="SHA", help="commit id (default: 40 random hex digits)")
    p.add_argument("--outcome", choices=OUTCOMES, default="SUCCEEDED", help="how the sync ends (default SUCCEEDED)")
    p.add_argument("--reason", help="failure text (with --outcome FAILED)")
    p.add_argument("--duration", type=float, metavar="SECONDS", help=f"time to the final state (default {DEFAULT_SYNC_SECONDS})")
    p.add_argument("--changed-file", action="append", dest="changed_files", metavar="PATH",
                   help="a changed file (repeatable); matters for TriggerResourceUpdateOn=FILE_CHANGE")
    p.add_argument("--account", help="the link's account (optional, narrows the search)")
    p.add_argument("--region", help="the link's region (optional, narrows the search)")
    p.add_argument("--endpoint", default=default_endpoint(), help="emulator URL (default $CODESTAR_LOCAL_ENDPOINT or http://127.0.0.1:4599)")
    p.add_argument("--admin-token", metavar="TOKEN", help="the server's admin token, if it has one (default $CODESTAR_LOCAL_ADMIN_TOKEN)")
    p.set_defaults(func=cmd_push)

    r = actions.add_parser("remote", help="print the Git remote URL of a repository link (git push to it to sync)")
    r.add_argument("--link", required=True, metavar="ID", help="RepositoryLinkId")
    r.add_argument("--endpoint", default=default_endpoint(), help="emulator URL (default $CODESTAR_LOCAL_ENDPOINT or http://127.0.0.1:4599)")
    r.add_argument("--admin-token", metavar="TOKEN", help="the server's admin token, if it has one (default $CODESTAR_LOCAL_ADMIN_TOKEN)")
    r.set_defaults(func=cmd_remote)

    b = actions.add_parser("blocker", help="put an ACTIVE sync blocker on a resource")
    b.add_argument("--resource", required=True, metavar="NAME", help="ResourceName (the stack)")
    b.add_argument("--sync-type", default="CFN_STACK_SYNC", choices=SYNC_TYPES)
    b.add_argument("--reason", help="CreatedReason")
    b.add_argument("--account", default="000000000000")
    b.add_argument("--region", default="us-east-1")
    b.add_argument("--endpoint", default=default_endpoint(), help="emulator URL")
    b.add_argument("--admin-token", metavar="TOKEN", help="the server's admin token, if it has one (default $CODESTAR_LOCAL_ADMIN_TOKEN)")
    b.set_defaults(func=cmd_blocker)


def _post(endpoint: str, path: str, body: dict, token: str | None = None) -> int:
    from .client import headers, unauthorised_message

    req = urllib.request.Request(endpoint.rstrip("/") + path, data=json.dumps(body).encode(), method="POST", headers=headers(token))
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            print(json.dumps(json.loads(resp.read()), indent=2))
            return 0
    except urllib.error.HTTPError as e:
        if e.code == 401:
            print(f"codestar-local: {unauthorised_message(endpoint, token)}", file=sys.stderr)
            return 1
        try:
            err = json.loads(e.read())["error"]
            print(f"codestar-local: {err['code']}: {err['message']}", file=sys.stderr)
        except Exception:
            print(f"codestar-local: HTTP {e.code} from {endpoint}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"codestar-local: cannot reach {endpoint}: {e}", file=sys.stderr)
        return 1


def _token(args) -> str | None:
    from .client import admin_token

    return admin_token(args)


def cmd_push(args) -> int:
    body = {"RepositoryLinkId": args.link, "Branch": args.branch, "Outcome": args.outcome}
    for key, value in (("CommitId", args.commit), ("Reason", args.reason), ("DurationSeconds", args.duration),
                       ("ChangedFiles", args.changed_files), ("AccountId", args.account), ("Region", args.region)):
        if value is not None:
            body[key] = value
    return _post(args.endpoint, PUSH, body, _token(args))


def cmd_blocker(args) -> int:
    body = {"ResourceName": args.resource, "SyncType": args.sync_type, "AccountId": args.account, "Region": args.region}
    if args.reason:
        body["Reason"] = args.reason
    return _post(args.endpoint, BLOCKERS, body, _token(args))


def cmd_remote(args) -> int:
    """Print the link's remote after asking the server that the link exists (a ref advertisement)."""
    import base64

    from ..gitremote import url

    if not LINK_ID.fullmatch(args.link):
        print(f"codestar-local: {args.link!r} is not a RepositoryLinkId", file=sys.stderr)
        return 1
    remote = url(args.endpoint, args.link)
    req = urllib.request.Request(remote + "/info/refs?service=git-upload-pack")
    token = _token(args)
    if token:
        req.add_header("Authorization", "Basic " + base64.b64encode(b"git:" + token.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=30):
            pass
    except urllib.error.HTTPError as e:
        text = e.read().decode("utf-8", "replace").strip()
        if e.code == 401:
            from .client import unauthorised_message

            text = unauthorised_message(args.endpoint, token)
        print(f"codestar-local: {text or f'HTTP {e.code} from {args.endpoint}'}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"codestar-local: cannot reach {args.endpoint}: {e}", file=sys.stderr)
        return 1
    print(remote)
    return 0
