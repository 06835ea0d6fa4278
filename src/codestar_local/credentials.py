"""The keys `serve --auth verify` accepts: an AWS shared-credentials file, re-read when it changes.

    [ci-runner-1]
    aws_access_key_id = AKIAEXAMPLERUNNER001
    aws_secret_access_key = ...
    aws_account_id = 111111111111      # optional: else the key id if it is 12 digits, else 000000000000
    aws_session_token = ...            # optional: then requests must carry it as X-Amz-Security-Token

The file is checked for a new modification time at most every RECHECK seconds, and re-read at once after
`reload_soon()` (SIGHUP). A file that no longer parses keeps the keys already loaded and logs why.
"""

from __future__ import annotations

import configparser
import logging
import os
import re
import time

from .auth import account_for_key

log = logging.getLogger("codestar_local.credentials")

RECHECK = 0.5
_ACCOUNT = re.compile(r"[0-9]{12}")


class CredentialsError(Exception):
    pass


class Key:
    __slots__ = ("access_key", "secret", "account", "token", "profile")

    def __init__(self, access_key, secret, account, token=None, profile=None):
        self.access_key = access_key
        self.secret = secret
        self.account = account
        self.token = token
        self.profile = profile


def parse(text: str, source: str = "credentials") -> dict[str, Key]:
    parser = configparser.ConfigParser(interpolation=None, default_section="\0none")
    try:
        parser.read_string(text, source=source)
    except configparser.MissingSectionHeaderError as e:
        # configparser's own messages quote the offending line, which may hold a secret: give line numbers only.
        raise CredentialsError(f"{source}: line {e.lineno} comes before any [section]") from None
    except configparser.ParsingError as e:
        lines = ", ".join(str(n) for n, _ in e.errors)
        raise CredentialsError(f"{source}: line {lines} is not 'name = value' or a [section]") from None
    except configparser.Error as e:  # duplicate sections or options: the message names them, no values
        raise CredentialsError(f"{source}: {e}") from None
    keys: dict[str, Key] = {}
    for profile in parser.sections():
        section = parser[profile]
        key_id = section.get("aws_access_key_id", "").strip()
        secret = section.get("aws_secret_access_key", "").strip()
        if not key_id or not secret:
            raise CredentialsError(f"{source}: [{profile}] needs aws_access_key_id and aws_secret_access_key")
        account = section.get("aws_account_id", "").strip() or account_for_key(key_id)
        if not _ACCOUNT.fullmatch(account):
            raise CredentialsError(f"{source}: [{profile}] aws_account_id must be 12 digits")
        if key_id in keys:
            raise CredentialsError(f"{source}: access key {key_id} appears in [{keys[key_id].profile}] and [{profile}]")
        keys[key_id] = Key(key_id, secret, account, section.get("aws_session_token", "").strip() or None, profile)
    return keys


class KeyRing:
    def __init__(self, path: str):
        self.path = path
        self._stamp = None
        self._next_check = 0.0
        self._keys = self._read()

    def _read(self) -> dict[str, Key]:
        try:
            stat = os.stat(self.path)
            with open(self.path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise CredentialsError(f"cannot read the credentials file {self.path}: {e}") from None
        keys = parse(text, self.path)
        self._stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        return keys

    def reload_soon(self) -> None:
        self._next_check = 0.0
        self._stamp = None

    def _refresh(self) -> None:
        try:
            stat = os.stat(self.path)
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except OSError:
            stamp = None
        if stamp is not None and stamp == self._stamp:
            return
        try:
            self._keys = self._read()
            log.info("credentials reloaded from %s: %d keys", self.path, len(self._keys))
        except CredentialsError as e:
            log.error("%s; keeping the %d keys loaded before", e, len(self._keys))
            self._stamp = stamp

    def get(self, access_key: str) -> Key | None:
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + RECHECK
            self._refresh()
        return self._keys.get(access_key)

    def __len__(self) -> int:
        return len(self._keys)
