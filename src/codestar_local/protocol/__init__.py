"""Wire codecs: AWS JSON 1.0/1.1 and Smithy RPC v2 CBOR.

Each codec decodes a request body into plain values and encodes an output or an
AwsError; nothing else in the product knows about the wire format.
"""

from .cbor import CborCodec
from .json import JsonCodec

JSON = JsonCodec()
CBOR = CborCodec()

__all__ = ["JSON", "CBOR", "JsonCodec", "CborCodec"]
