"""One error type for everything a client may see.

The HTTP status comes from the service model (codeconnections declares
httpStatusCode on its errors; codestar-connections and codestar use the AWS JSON
convention of 400). Framework errors (validation, serialization, unknown
operation, auth) carry their own status and Coral namespace.
"""

from __future__ import annotations

# code -> (Coral namespace, fixed status or None for "ask the service")
FRAMEWORK = {
    "ValidationException": ("com.amazon.coral.validate", 400),
    "SerializationException": ("com.amazon.coral.service", 400),
    "UnknownOperationException": ("com.amazon.coral.service", 400),
    "InternalFailure": ("com.amazon.coral.service", 500),
    "InvalidSignatureException": ("com.amazon.coral.service", 400),
    "IncompleteSignatureException": ("com.amazon.coral.service", 400),
    "MissingAuthenticationTokenException": ("com.amazon.coral.service", 403),
    "UnrecognizedClientException": ("com.amazon.coral.service", 403),
    "RequestEntityTooLargeException": ("com.amazon.coral.service", 413),
}

# Answered by AWS's shared front end before any protocol handling: these carry x-amzn-ErrorType on every protocol,
# Smithy RPC v2 CBOR included (whose own errors SHOULD NOT, FACTS 7.4).
FRONT_END = frozenset(
    {"MissingAuthenticationTokenException", "UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignatureException"}
)


class AwsError(Exception):
    """An error answered to the client as AWS would answer it."""

    __slots__ = ("code", "message", "status")

    def __init__(self, code: str, message: str | None = None, status: int | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    @property
    def framework(self) -> bool:
        return self.code in FRAMEWORK

    def status_for(self, service) -> int:
        if self.status is not None:
            return self.status
        fw = FRAMEWORK.get(self.code)
        if fw is not None:
            return fw[1]
        if service is None:
            return 400
        return service.status_for(self.code)

    def type_for(self, service) -> str:
        """The absolute shape id used as __type."""
        fw = FRAMEWORK.get(self.code)
        if fw is not None:
            return f"{fw[0]}#{self.code}"
        if service is None:
            return self.code
        return service.shape_id(self.code)


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message)
