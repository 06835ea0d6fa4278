"""The server bugs the fuzzers found, each as the request that showed it (issue 10).

- A null member of a list (or value of a map) passed validation and reached the provider: CreateConnection with
  `Tags: [null]` and CreateProject with `sourceCode: [null]` were 500 InternalFailure. The models' lists and maps
  are dense, so a null member is now a ValidationException ("Member must not be null"), as a null required member.
- Patterns were compiled with regex.ASCII, which also narrowed \\p{L}, \\p{Z} and \\p{N} to ASCII: CodeStar tags
  with keys or values like "équipe", "日本" or a no-break space were refused, though AWS (java.util.regex) takes
  them. And `.` matched \\r, \\u0085, \\u2028 and \\u2029, which Java's dot does not.
"""

from __future__ import annotations

import pytest
from spine_http import JSON_11, call

ACCOUNT = "777777777777"
NULL_RULE = "failed to satisfy constraint: Member must not be null"


def codestar(server, operation, params):
    return call(server.endpoint_url, "codestar", operation, params, account=ACCOUNT, content_type=JSON_11)


@pytest.mark.parametrize("service", ["codestar-connections", "codeconnections"])
def test_null_tag_in_a_list_is_a_validation_error(fuzz_server, service):
    reply = call(fuzz_server.endpoint_url, service, "CreateConnection",
                 {"ConnectionName": "c", "ProviderType": "GitHub", "Tags": [{"Key": "k", "Value": "v"}, None]}, account=ACCOUNT)
    assert reply.status == 400, reply
    assert reply.error_code() == "ValidationException"
    assert reply.document()["message"] == f"1 validation error detected: Value null at 'tags.2.member' {NULL_RULE}"


def test_null_source_code_is_a_validation_error(fuzz_server):
    reply = codestar(fuzz_server, "CreateProject", {"name": "n", "id": "null-source", "sourceCode": [None],
                                                    "toolchain": {"source": {"s3": {"bucketName": "bucket"}}}})
    assert reply.status == 400, reply
    assert reply.document()["message"] == f"1 validation error detected: Value null at 'sourceCode.1.member' {NULL_RULE}"


def test_null_map_value_is_a_validation_error(fuzz_server):
    reply = codestar(fuzz_server, "CreateProject", {"name": "n", "id": "null-tag", "tags": {"k": None}})
    assert reply.status == 400, reply
    assert reply.document()["message"] == f"1 validation error detected: Value null at 'tags.k' {NULL_RULE}"


@pytest.mark.parametrize("key,value", [("équipe", "café"), ("日本", "東京"), ("a\u00a0b", "٣"), ("Ωmega", "\u2028")])
def test_codestar_tags_take_unicode_letters_numbers_and_spaces(fuzz_server, key, value):
    # ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ : any Unicode letter, separator or number.
    reply = codestar(fuzz_server, "CreateProject", {"name": "n", "id": f"tags-{len(key)}{ord(key[0]) % 100}", "tags": {key: value}})
    assert reply.status == 200, reply
    project = reply.document()["id"]
    assert codestar(fuzz_server, "ListTagsForProject", {"id": project}).document()["tags"] == {key: value}


@pytest.mark.parametrize("terminator", ["\r", "\u0085", "\u2028", "\u2029", "\n"])
def test_java_dot_matches_no_line_terminator(fuzz_server, terminator):
    # HostName is '.*': Java's dot matches anything but a line terminator.
    reply = call(fuzz_server.endpoint_url, "codeconnections", "CreateHost",
                 {"Name": f"a{terminator}b", "ProviderType": "GitHubEnterpriseServer", "ProviderEndpoint": "https://h"}, account=ACCOUNT)
    assert reply.status == 400, reply
    assert "at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: .*" in reply.document()["message"]


def test_ascii_classes_and_literal_hyphens_keep_their_java_meaning(fuzz_server):
    # Email is ^[\w-.+]+@[\w-.+]+$: \w is ASCII, and '-' after \w is a literal.
    user = f"arn:aws:iam::{ACCOUNT}:user/regression"
    ok = codestar(fuzz_server, "CreateUserProfile", {"userArn": user, "displayName": "d", "emailAddress": "a-b.c+d@x-y.z"})
    assert ok.status == 200, ok
    bad = codestar(fuzz_server, "UpdateUserProfile", {"userArn": user, "emailAddress": "é@x.y"})
    assert bad.status == 400 and "at 'emailAddress'" in bad.document()["message"], bad


def test_cbor_bytes_after_the_map_are_a_serialization_error(fuzz_server):
    """cbor2.loads ignores what follows the first item; a JSON body with trailing junk is refused, so is this."""
    import cbor2
    from spine_http import cbor_call

    body = cbor2.dumps({"ProviderType": "GitHub", "ConnectionName": "trailing"})
    assert cbor_call(fuzz_server.endpoint_url, "CreateConnection", account=ACCOUNT, body=body).status == 200
    reply = cbor_call(fuzz_server.endpoint_url, "ListConnections", account=ACCOUNT, body=cbor2.dumps({}) + b"\xff\x00junk")
    assert reply.status == 400 and reply.error_code() == "SerializationException", reply
