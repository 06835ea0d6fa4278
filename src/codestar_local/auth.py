"""SigV4: who is calling (account) and where (region), from the credential scope.

Under `--auth off` (the default) signatures are not verified: any credentials are
accepted and the account is the key id when it has 12 digits. Under `--auth verify`
`Verifier` checks each request's signature against the keys of a credentials file
(credentials.py), with botocore's own SigV4 signer. Either way the scope's service
must be the routed service's signing name, as AWS's endpoints require.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import logging
import operator
import re
import time
import urllib.parse

from .errors import AwsError

log = logging.getLogger("codestar_local.auth")

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
        if "X-Amz-Credential=" in query:
            return _presigned_caller(query)
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


def _presigned_caller(query: str) -> Caller:
    credential = dict(urllib.parse.parse_qsl(query)).get("X-Amz-Credential", "")
    return _parse(f"AWS4-HMAC-SHA256 Credential={credential}")


# -- verification (--auth verify) ----------------------------------------------------------------------------------

SKEW = 300  # seconds X-Amz-Date may be off, as AWS allows
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
    "Key and signing method. Consult the service documentation for details."
)
INVALID_TOKEN = "The security token included in the request is invalid."
_DATE = re.compile(r"[0-9]{8}T[0-9]{6}Z")


def _stamp(t: float) -> str:
    return "%04d%02d%02dT%02d%02d%02dZ" % time.gmtime(t)[:6]


def _epoch(amz_date: str) -> float:
    s = amz_date
    return calendar.timegm((int(s[0:4]), int(s[4:6]), int(s[6:8]), int(s[9:11]), int(s[11:13]), int(s[13:15])))


class _SignedHeaders(dict):
    """The headers a client signed, in the form botocore's canonicalisation reads (set(), get_all())."""

    def get_all(self, name):
        return [self[name]]


class _Received:
    """The request as received, in the attributes botocore's signer reads, and the values of the headers the
    client signed (in the order of scope.names)."""

    __slots__ = ("method", "url", "query", "headers", "body", "context", "scope", "values")
    params = None  # botocore reads the query from the URL

    def __init__(self, method, url, query, body, amz_date, scope, values, headers):
        self.method = method
        self.url = url
        self.query = query
        self.headers = headers
        self.body = body
        self.context = {"timestamp": amz_date}
        self.scope = scope
        self.values = values

    def signed(self) -> _SignedHeaders:
        return _SignedHeaders(zip(self.scope.names, self.values))


def _signer_classes():
    """Subclasses of botocore's signers that take the client's SignedHeaders as given, and sign with a signing key
    derived once per (secret, date, region, service) instead of once per request."""
    from botocore.auth import SigV4Auth, SigV4QueryAuth
    from botocore.credentials import Credentials

    class Cached:
        def __init__(self, key, date, region, service):
            super().__init__(Credentials(key.access_key, key.secret), service, region)
            # botocore's derivation (SigV4Auth.signature), kept for every request of this scope.
            k = self._sign(("AWS4" + key.secret).encode(), date)
            k = self._sign(k, region)
            k = self._sign(k, service)
            self.signing_key = self._sign(k, "aws4_request")
            # botocore's last step, _sign(signing_key, string_to_sign), is HMAC-SHA256 keyed with signing_key:
            # keep that keyed state and copy it per request rather than re-key OpenSSL's HMAC each time.
            self._keyed = hmac.new(self.signing_key, digestmod=hashlib.sha256)
            self._paths: dict = {}
            self._queries: dict = {}
            self._scope = None

        def headers_to_sign(self, request):
            return request  # canonical_headers and signed_headers below read its scope and values

        def signature(self, string_to_sign, request):
            h = self._keyed.copy()
            h.update(string_to_sign.encode("utf-8"))
            return h.hexdigest()

        # Pure functions of what repeats across requests (header names and values, path, scope), remembered
        # from botocore's own answer.
        def signed_headers(self, received):
            scope = received.scope
            if scope.signed_text is None:
                scope.signed_text = super().signed_headers(received.signed())
            return scope.signed_text

        def canonical_headers(self, received):
            # Requests of one client within one second sign the same header values (X-Amz-Date has seconds).
            memo = received.scope.canonical
            found = memo.get(received.values)
            if found is None:
                if len(memo) >= 256:
                    memo.clear()
                found = memo[received.values] = super().canonical_headers(received.signed())
            return found

        def canonical_query_string(self, received):
            query = received.query
            if not query:
                return ""  # botocore's answer for a URL without a query
            found = self._queries.get(query)
            if found is None:
                if len(self._queries) >= 256:
                    self._queries.clear()
                found = self._queries[query] = super().canonical_query_string(received)
            return found

        def _normalize_url_path(self, path):
            found = self._paths.get(path)
            if found is None:
                if len(self._paths) >= 256:
                    self._paths.clear()
                found = self._paths[path] = super()._normalize_url_path(path)
            return found

        def credential_scope(self, request):
            if self._scope is None:
                self._scope = super().credential_scope(request)
            return self._scope

    class Header(Cached, SigV4Auth):
        pass

    class Query(Cached, SigV4QueryAuth):
        pass

    return Header, Query


class Verifier:
    """Checks the SigV4 signature of every AWS API request, and names its account from the credentials file."""

    def __init__(self, keyring):
        self.keyring = keyring
        self._header_signer, self._query_signer = _signer_classes()
        self._signers: dict = {}
        self._scopes: dict = {}  # Authorization text before "Signature=" -> _Scope
        self._dates: dict = {}  # X-Amz-Date -> epoch seconds

    def _signer(self, kind, key, date, region, service):
        cache_key = (kind, key.access_key, key.secret, date, region, service)
        signer = self._signers.get(cache_key)
        if signer is None:
            if len(self._signers) >= 4096:
                self._signers.clear()
            signer = (self._header_signer if kind == "h" else self._query_signer)(key, date, region, service)
            self._signers[cache_key] = signer
        return signer

    def caller(self, req, service, now: float) -> Caller:
        headers = req.headers
        auth = headers.get("authorization")
        if auth is not None:
            # Everything before "Signature=" (algorithm, scope, signed header names) repeats across requests.
            cut = auth.rfind("Signature=")
            head = auth[:cut] if cut > 0 else auth
            scope = self._scopes.get(head)
            if scope is None:
                credential, signed_names, _ = _header_fields(auth)
                scope = _scope(credential, signed_names)
                if len(self._scopes) >= 4096:
                    self._scopes.clear()
                self._scopes[head] = scope
            signature = auth[cut + 10 :].strip()
            amz_date = headers.get("x-amz-date")
            if amz_date is None:
                raise AwsError(
                    "IncompleteSignatureException",
                    f"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                    f"Authorization={auth[:256]}",
                )
            token = headers.get("x-amz-security-token")
            query, expires, kind = req.query, None, "h"
        elif "X-Amz-Signature=" in req.query or "X-Amz-Credential=" in req.query:
            credential, signed_names, signature, amz_date, expires, query, token = _query_fields(req.query)
            scope = _scope(credential, signed_names)
            kind = "q"
        else:
            raise AwsError("MissingAuthenticationTokenException", "Missing Authentication Token")
        key = self.keyring.get(scope.access_key)
        if key is None or token != key.token:
            raise AwsError("UnrecognizedClientException", INVALID_TOKEN)
        if key is not scope.key:  # first use of this scope, or the credentials file was reloaded
            scope.signer = self._signer(kind, key, scope.date, scope.region, scope.service)
            scope.caller = Caller(key.account, scope.region, scope.access_key, scope.service)
            scope.key = key
        if scope.service != service.signing_name:
            check_scope(scope.caller, service)
        signed_at = self._dates.get(amz_date)
        if signed_at is None:
            signed_at = self._date(amz_date)
        if scope.date != amz_date[:8]:
            raise AwsError(
                "InvalidSignatureException",
                f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                f"'{scope.date[:16]}' != '{amz_date[:8]}', from '{amz_date}'.",
            )
        if expires is not None or not -SKEW <= now - signed_at <= SKEW:
            _check_clock(amz_date, signed_at, now, expires)
        try:
            values = scope.pick(headers)
        except KeyError:
            raise AwsError("InvalidSignatureException", MISMATCH) from None
        if kind == "q":
            sha = headers.get("x-amz-content-sha256")
            if sha is not None:
                # A presigned request signs its payload only through this header (else UNSIGNED-PAYLOAD): hold the body to it.
                if sha != hashlib.sha256(req.body).hexdigest():
                    raise AwsError("InvalidSignatureException", MISMATCH)
                payload = {"X-Amz-Content-SHA256": sha}
            else:
                payload = {}
        else:
            # The payload line is the hash of the body as received, whatever the client's headers say.
            payload = {"X-Amz-Content-SHA256": hashlib.sha256(req.body).hexdigest()}
        host = values[scope.host]
        received = _Received(req.method, f"http://{host}{req.path}?{query}" if query else f"http://{host}{req.path}",
                             query, req.body, amz_date, scope, values, payload)
        signer = scope.signer
        canonical = signer.canonical_request(received)
        expected = signer.signature(signer.string_to_sign(received, canonical), received)
        if not hmac.compare_digest(expected, signature):
            shown = canonical.replace(token, "<session token>") if token else canonical
            log.info("signature mismatch for key %s; the canonical request should have been:\n%s", scope.access_key, shown)
            raise AwsError("InvalidSignatureException", MISMATCH)
        return scope.caller

    def _date(self, amz_date: str) -> float:
        if not _DATE.fullmatch(amz_date):
            raise AwsError(
                "IncompleteSignatureException",
                f"Date must be in ISO-8601 'basic format'. Got '{amz_date[:32]}'. See http://en.wikipedia.org/wiki/ISO_8601",
            )
        if len(self._dates) >= 1024:
            self._dates.clear()
        value = self._dates[amz_date] = _epoch(amz_date)
        return value



class _Scope:
    """What the Authorization text before "Signature=" names and, once its key is known, its signer and Caller."""

    __slots__ = ("access_key", "date", "region", "service", "names", "pick", "host", "key", "signer", "caller",
                 "signed_text", "canonical")

    def __init__(self, access_key, date, region, service, names: tuple):
        self.access_key, self.date, self.region, self.service, self.names = access_key, date, region, service, names
        # names -> their values in a request's headers, as a tuple (KeyError when one is missing)
        self.pick = operator.itemgetter(*names) if len(names) > 1 else (lambda headers: (headers[names[0]],))
        self.host = names.index("host")
        self.key = self.signer = self.caller = self.signed_text = None
        self.canonical: dict = {}  # header values -> botocore's canonical headers


def _scope(credential: str, signed_names) -> _Scope:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0] or not _REGION.fullmatch(parts[2]):
        raise AwsError("IncompleteSignatureException", f"Credential should be scoped to a valid region. Credential={credential[:128]}")
    if "host" not in signed_names:
        raise AwsError("InvalidSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    return _Scope(parts[0], parts[1], parts[2], parts[3], tuple(signed_names))

def _header_fields(auth: str) -> tuple[str, list, str]:
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        raise AwsError("IncompleteSignatureException", f"Unsupported signing algorithm. Authorization={auth[:64]}")
    fields = {}
    for part in auth[17:].split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value
    missing = [n for n in ("Credential", "SignedHeaders", "Signature") if not fields.get(n)]
    if missing:
        raise AwsError(
            "IncompleteSignatureException",
            " ".join(f"Authorization header requires '{n}' parameter." for n in missing) + f" Authorization={auth[:256]}",
        )
    return fields["Credential"], fields["SignedHeaders"].split(";"), fields["Signature"]


def _query_fields(query: str):
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    values = dict(pairs)
    missing = [n for n in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature") if not values.get(n)]
    if missing:
        raise AwsError("IncompleteSignatureException", " ".join(f"AWS query-string parameters must include '{n}'." for n in missing) + " Re-examine the query-string parameters.")
    if values["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256":
        raise AwsError("IncompleteSignatureException", "Unsupported signing algorithm")
    expires = values.get("X-Amz-Expires")
    try:
        expires = int(expires) if expires is not None else None
    except ValueError:
        raise AwsError("IncompleteSignatureException", "X-Amz-Expires must be a number of seconds") from None
    # botocore's canonical query string is the one received, without the signature.
    unsigned = "&".join(p for p in query.split("&") if not p.startswith("X-Amz-Signature="))
    return (values["X-Amz-Credential"], values["X-Amz-SignedHeaders"].split(";"), values["X-Amz-Signature"],
            values["X-Amz-Date"], expires, unsigned, values.get("X-Amz-Security-Token"))


def _check_clock(amz_date: str, signed_at: float, now: float, expires: int | None) -> None:
    if expires is not None:
        if now > signed_at + expires:
            raise AwsError("InvalidSignatureException", f"Signature expired: {amz_date} is now earlier than {_stamp(now - expires)} ({_stamp(now)} - {expires} sec.)")
    elif now - signed_at > SKEW:
        raise AwsError("InvalidSignatureException", f"Signature expired: {amz_date} is now earlier than {_stamp(now - SKEW)} ({_stamp(now)} - 5 min.)")
    if signed_at - now > SKEW:
        raise AwsError("InvalidSignatureException", f"Signature not yet current: {amz_date} is still later than {_stamp(now + SKEW)} ({_stamp(now)} + 5 min.)")
