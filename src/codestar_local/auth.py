"""SigV4: who is calling (account) and where (region), from the credential scope.

Signatures are not verified: any credentials are accepted, as the emulator has
no secret keys. The scope's service must be the routed service's signing name,
as AWS's endpoints require.
"""

from __future__ import annotations

import re

from .errors import AwsError

_REGION = re.compile(r"[a-z0-9]+(-[a-z0-9]+){1,4}")

DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"


class Caller:
    __slots__ = ("account", "region", "access_key", "scope_service")

    def __init__(self, account, region, access_key=None, scope_service=None):
        self.account = account
        self.region = region
        self.access_key = access_key
        self.scope_service = scope_service


def account_for_key(access_key: str | None) -> str:
    if access_key and len(access_key) == 12 and access_key.isdigit():
        return access_key
    return DEFAULT_ACCOUNT


_ANONYMOUS = Caller(DEFAULT_ACCOUNT, DEFAULT_REGION)


_CACHE: dict = {}


def caller(headers: dict, query: str = "") -> Caller:
    auth = headers.get("authorization")
    if auth is None:
        return _ANONYMOUS
    # The credential scope repeats across requests; the signature after it does not.
    cut = auth.find(",")
    scope_part = auth[:cut] if cut > 0 else auth
    found = _CACHE.get(scope_part)
    if found is not None:
        return found
    result = _parse(auth)
    if len(_CACHE) >= 4096:
        _CACHE.clear()
    _CACHE[scope_part] = result
    return result


def _parse(auth: str) -> Caller:
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        raise AwsError(
            "IncompleteSignatureException",
            f"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={auth[:64]}"
            if "Credential=" not in auth
            else "Unsupported signing algorithm",
        )
    start = auth.find("Credential=")
    if start < 0:
        raise AwsError("IncompleteSignatureException", "Authorization header requires 'Credential' parameter.")
    end = auth.find(",", start)
    credential = auth[start + 11 : end if end >= 0 else None].strip()
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
        raise AwsError(
            "IncompleteSignatureException",
            f"Credential should be scoped to a valid region. Credential={credential[:128]}",
        )
    key, _date, region, service, _ = parts
    if region and not _REGION.fullmatch(region):
        raise AwsError("IncompleteSignatureException", f"Credential should be scoped to a valid region. Credential={credential[:128]}")
    return Caller(account_for_key(key), region or DEFAULT_REGION, key, service)


def check_scope(c: Caller, service) -> None:
    if c.scope_service is not None and c.scope_service != service.signing_name:
        raise AwsError(
            "InvalidSignatureException",
            f"Credential should be scoped to correct service: '{service.signing_name}'. ",
        )
