"""Versioned state snapshots: export, full validation, import.

A snapshot is `{"format": "codestar-local-state", "version": 1, "items": [...],
"retired": [...]}` plus informational keys, built on Store.dump(). Import checks
the whole document first and only then replaces the state in one transaction,
so a bad snapshot changes nothing.
"""

from __future__ import annotations

import datetime
import re

from .. import __version__
from ..services import codestar
from ..services.connections import CONNECTION, HOST, parse_arn
from .actions import CONNECTION_STATUSES, HOST_STATUSES

FORMAT = "codestar-local-state"
VERSION = 1
MAX_PROBLEMS = 20

KIND = re.compile(r"[a-z][a-z0-9_]{0,63}")
ACCOUNT = re.compile(r"[0-9]{12}")
REGION = re.compile(r"[a-z0-9-]{1,32}")


class SnapshotError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def export(store) -> dict:
    snapshot = {
        "format": FORMAT,
        "version": VERSION,
        "generator": f"codestar-local {__version__}",
        "exported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    snapshot.update(store.dump())
    return snapshot


def _is_str(v) -> bool:
    return type(v) is str and v != ""


def _check_tags(tags, where, problems):
    if type(tags) is not list or not all(
        type(t) is dict and _is_str(t.get("Key")) and type(t.get("Value", "")) is str and set(t) <= {"Key", "Value"} for t in tags
    ):
        problems.append(f"{where}.Tags must be a list of {{Key, Value}} strings")


def _check_next(nxt, fields, where, problems):
    if nxt is None:
        return
    if not (
        type(nxt) is list
        and len(nxt) in (3, 4)
        and nxt[0] in fields
        and type(nxt[1]) is str
        and type(nxt[2]) in (int, float)
    ):
        problems.append(f"{where}._next must be [field, status, time] or [field, status, time, next change]")
    elif len(nxt) == 4:
        _check_next(nxt[3], fields, where, problems)


def _check_resource(item, where, problems, arn_key, status_key, statuses, required):
    data = item["data"]
    for key in required:
        if not _is_str(data.get(key)):
            problems.append(f"{where}.data.{key} must be a non-empty string")
    if data.get(arn_key) != item["id"]:
        problems.append(f"{where}.data.{arn_key} must equal the item id")
    parts = parse_arn(item["id"])
    if parts is None or parts[2] != item["account"] or parts[1] != item["region"]:
        problems.append(f"{where}.id must be an ARN of the item's account and region")
    if data.get(status_key) not in statuses:
        problems.append(f"{where}.data.{status_key} must be one of {', '.join(statuses)}")
    _check_tags(data.get("Tags", []), f"{where}.data", problems)
    _check_next(data.get("_next"), (status_key,), f"{where}.data", problems)


def _is_time(v) -> bool:
    return type(v) in (int, float)


def _check_project(item, where, problems):
    data = item["data"]
    for key in ("id", "name", "arn"):
        if not _is_str(data.get(key)):
            problems.append(f"{where}.data.{key} must be a non-empty string")
    for key in ("createdTimeStamp", "ReadyAt"):
        if not _is_time(data.get(key)):
            problems.append(f"{where}.data.{key} must be a number")
    for key in ("DeletingAt", "GoneAt"):
        if key in data and not _is_time(data[key]):
            problems.append(f"{where}.data.{key} must be a number when present")
    if "description" in data and type(data["description"]) is not str:
        problems.append(f"{where}.data.description must be a string when present")
    tags = data.get("Tags", {})
    if type(tags) is not dict or not all(type(k) is str and k and type(v) is str for k, v in tags.items()):
        problems.append(f"{where}.data.Tags must be an object of string keys and string values")
    pid, arn = data.get("id"), data.get("arn")
    if _is_str(pid):
        if item["id"] != codestar.project_key(item["account"], pid):
            problems.append(f"{where}.id must be <account>/<data.id>")
        if arn != f"arn:aws:codestar:{item['region']}:{item['account']}:project/{pid}":
            problems.append(f"{where}.data.arn must be the codestar project ARN of data.id in the item's account and region")
    for key, want in (("Account", item["account"]), ("Region", item["region"])):
        if key in data and data[key] != want:
            problems.append(f"{where}.data.{key} must be the item's {key.lower()}")


def _check_profile(item, where, problems):
    data = item["data"]
    for key in ("userArn", "displayName", "emailAddress"):
        if not _is_str(data.get(key)):
            problems.append(f"{where}.data.{key} must be a non-empty string")
    for key in ("createdTimestamp", "lastModifiedTimestamp"):
        if not _is_time(data.get(key)):
            problems.append(f"{where}.data.{key} must be a number")
    if "sshPublicKey" in data and type(data["sshPublicKey"]) is not str:
        problems.append(f"{where}.data.sshPublicKey must be a string when present")
    if _is_str(data.get("userArn")) and item["id"] != f"{item['account']}/{data['userArn']}":
        problems.append(f"{where}.id must be <account>/<data.userArn>")


def _check_member(item, where, problems):
    data = item["data"]
    if not _is_str(data.get("userArn")) or data.get("projectRole") not in ("Owner", "Contributor", "Viewer"):
        problems.append(f"{where}.data must have a userArn and a projectRole of Owner, Contributor or Viewer")
    if type(data.get("remoteAccessAllowed")) is not bool:
        problems.append(f"{where}.data.remoteAccessAllowed must be true or false")
    if not _is_str(item.get("parent")):
        problems.append(f"{where}.parent must be the project's item id")


def _check_membership(item, where, problems):
    data = item["data"]
    if not _is_str(data.get("userArn")) or not _is_str(data.get("projectId")):
        problems.append(f"{where}.data must have a userArn and a projectId")


def _check_token(item, where, problems):
    data = item["data"]
    if not _is_str(data.get("fingerprint")) or type(data.get("answer")) is not dict:
        problems.append(f"{where}.data must have a fingerprint string and an answer object")


def _check_kind(item, where, problems):
    kind = item["kind"]
    if kind == CONNECTION:
        _check_resource(
            item, where, problems, "ConnectionArn", "ConnectionStatus", CONNECTION_STATUSES,
            ("ConnectionName", "ConnectionArn", "ProviderType", "OwnerAccountId"),
        )
    elif kind == HOST:
        _check_resource(
            item, where, problems, "HostArn", "Status", HOST_STATUSES,
            ("Name", "HostArn", "ProviderType", "ProviderEndpoint"),
        )
    elif kind == codestar.PROJECT:
        _check_project(item, where, problems)
    elif kind == codestar.PROFILE:
        _check_profile(item, where, problems)
    elif kind == codestar.MEMBER:
        _check_member(item, where, problems)
    elif kind == codestar.MEMBERSHIP:
        _check_membership(item, where, problems)
    elif kind == codestar.REQUEST_TOKEN:
        _check_token(item, where, problems)


def validate(snapshot) -> dict:
    """The snapshot normalised for Store.load(), or SnapshotError listing what is wrong."""
    problems: list[str] = []
    if type(snapshot) is not dict:
        raise SnapshotError(["the snapshot must be a JSON object"])
    if snapshot.get("format") != FORMAT:
        raise SnapshotError([f'"format" must be "{FORMAT}"'])
    if snapshot.get("version") != VERSION or type(snapshot.get("version")) is not int:
        raise SnapshotError([f'unsupported "version" {snapshot.get("version")!r}; this server reads version {VERSION}'])
    items = snapshot.get("items")
    retired = snapshot.get("retired", [])
    if type(items) is not list:
        raise SnapshotError(['"items" must be a list'])
    if type(retired) is not list or not all(_is_str(r) for r in retired):
        problems.append('"retired" must be a list of strings')
    seqs, keys, hosts, clean = set(), set(), set(), []
    for n, item in enumerate(items):
        where = f"items[{n}]"
        if type(item) is not dict:
            problems.append(f"{where} must be an object")
            continue
        before = len(problems)
        extra = set(item) - {"seq", "kind", "id", "account", "region", "parent", "data"}
        if extra:
            problems.append(f"{where} has unknown fields: {', '.join(sorted(map(str, extra)))}")
        seq, kind, id_ = item.get("seq"), item.get("kind"), item.get("id")
        if type(seq) is not int or seq < 1:
            problems.append(f"{where}.seq must be a positive integer")
        elif seq in seqs:
            problems.append(f"{where}.seq {seq} is used twice")
        seqs.add(seq)
        if type(kind) is not str or not KIND.fullmatch(kind):
            problems.append(f"{where}.kind must be a lower-case name")
        if not _is_str(id_) or len(id_) > 2048:
            problems.append(f"{where}.id must be a non-empty string")
        elif (kind, id_) in keys:
            problems.append(f"{where} repeats {kind} {id_}")
        keys.add((kind, id_))
        if type(item.get("account")) is not str or not ACCOUNT.fullmatch(item["account"]):
            problems.append(f"{where}.account must be 12 digits")
        if type(item.get("region")) is not str or not REGION.fullmatch(item["region"]):
            problems.append(f"{where}.region must be a region name")
        parent = item.get("parent")
        if parent is not None and not _is_str(parent):
            problems.append(f"{where}.parent must be a string or null")
        if type(item.get("data")) is not dict:
            problems.append(f"{where}.data must be an object")
        elif len(problems) == before:
            _check_kind(item, where, problems)
        if kind == HOST:
            hosts.add(id_)
        clean.append(item)
        if len(problems) >= MAX_PROBLEMS:
            break
    # A connection's parent is its host: it must come along.
    for n, item in enumerate(clean):
        if item.get("kind") == CONNECTION and item.get("parent") is not None and item["parent"] not in hosts:
            problems.append(f"items[{n}].parent {item['parent']} is not a host in the snapshot")
    if problems:
        raise SnapshotError(problems[:MAX_PROBLEMS])
    out = dict(snapshot)
    out["items"] = [{**it, "parent": it.get("parent")} for it in clean]
    out["retired"] = retired
    return out


def load(store, snapshot) -> int:
    """Validate, then replace the whole state; the number of items loaded."""
    clean = validate(snapshot)
    store.load(clean)
    return len(clean["items"])
