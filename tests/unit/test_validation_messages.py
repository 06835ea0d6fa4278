"""ValidationException texts in AWS's (Coral's) format, one row per constraint kind.

The rows run directly against the compiled validators of codestar_local.validate,
and a few of them again through boto3 against the running server.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from codestar_local import spec
from codestar_local.errors import AwsError

CSC = "codestar-connections"
CC = "codeconnections"
ARN = "arn:aws:codestar-connections:us-east-1:123456789012:connection/6f1c1d0e-8f55-4a52-9f1d-0c8e2b7a1a11"
HOST_PATTERN_OLD = r"arn:aws(-[\w]+)*:codestar-connections:.+:[0-9]{12}:host\/.+"
HOST_PATTERN_NEW = r"arn:aws(-[\w]+)*:(codestar-connections|codeconnections):.+:[0-9]{12}:host\/.+"
TYPES_OLD = "[Bitbucket, GitHub, GitHubEnterpriseServer, GitLab, GitLabSelfManaged]"
TYPES_NEW = "[Bitbucket, GitHub, GitHubEnterpriseServer, GitLab, GitLabSelfManaged, AzureDevOps]"
HOST = {"Name": "h", "ProviderType": "GitHubEnterpriseServer", "ProviderEndpoint": "https://h"}
VPC_OK = {"VpcId": "vpc-01234567", "SubnetIds": ["subnet-01234567"], "SecurityGroupIds": ["sg-01234567"]}
SMILE = "\U0001f600"  # two UTF-16 code units, as Java counts length


def one(path, rule, value=None):
    shown = "null" if value is None else f"'{value}'"
    return f"Value {shown} at '{path}' failed to satisfy constraint: Member must {rule}"


def detected(*parts):
    n = len(parts)
    return f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(parts)


# (id, service, operation, params, expected message)
ROWS = [
    # max length; the observed AWS text (FACTS 4.5)
    ("max-length-observed", CSC, "CreateConnection",
     {"ConnectionName": "futureim-ecommerce-ai-platform-github-dev", "ProviderType": "GitHub"},
     "1 validation error detected: Value 'futureim-ecommerce-ai-platform-github-dev' at 'connectionName' "
     "failed to satisfy constraint: Member must have length less than or equal to 32"),
    ("max-length-tag-value", CC, "TagResource", {"ResourceArn": ARN, "Tags": [{"Key": "k", "Value": "v" * 257}]},
     detected(one("tags.1.member.value", "have length less than or equal to 256", "v" * 257))),
    ("max-length-utf16", CSC, "CreateConnection", {"ConnectionName": SMILE * 17},
     detected(one("connectionName", "have length less than or equal to 32", SMILE * 17))),
    ("max-length-next-token", CC, "ListHosts", {"NextToken": "t" * 1025},
     detected(one("nextToken", "have length less than or equal to 1024", "t" * 1025))),
    # min length
    ("min-length", CSC, "CreateHost", {**HOST, "Name": ""}, detected(one("name", "have length greater than or equal to 1", ""))),
    ("min-length-two", CC, "CreateHost", {**HOST, "Name": "", "ProviderEndpoint": ""},
     detected(one("name", "have length greater than or equal to 1", ""),
              one("providerEndpoint", "have length greater than or equal to 1", ""))),
    ("min-length-list-member", CSC, "UntagResource", {"ResourceArn": ARN, "TagKeys": ["ok", ""]},
     detected(one("tagKeys.2.member", "have length greater than or equal to 1", ""))),
    # pattern; the observed AWS text (FACTS 4.6)
    ("pattern-observed", CSC, "UpdateHost", {"HostArn": "github-enterprise-host"},
     "1 validation error detected: Value 'github-enterprise-host' at 'hostArn' failed to satisfy constraint: "
     "Member must satisfy regular expression pattern: arn:aws(-[\\w]+)*:codestar-connections:.+:[0-9]{12}:host\\/.+"),
    ("pattern-new-service", CC, "GetHost", {"HostArn": "arn:aws:s3:::bucket"},
     detected(one("hostArn", f"satisfy regular expression pattern: {HOST_PATTERN_NEW}", "arn:aws:s3:::bucket"))),
    ("pattern-old-prefix-only", CSC, "ListConnections", {"HostArnFilter": "arn:aws:codeconnections:us-east-1:123456789012:host/h-1"},
     detected(one("hostArnFilter", f"satisfy regular expression pattern: {HOST_PATTERN_OLD}",
                  "arn:aws:codeconnections:us-east-1:123456789012:host/h-1"))),
    ("pattern-account-digits", CSC, "GetConnection", {"ConnectionArn": "arn:aws:codestar-connections:us-east-1:1234:connection/x"},
     detected(one("connectionArn", r"satisfy regular expression pattern: arn:aws(-[\w]+)*:.+:.+:[0-9]{12}:.+",
                  "arn:aws:codestar-connections:us-east-1:1234:connection/x"))),
    ("pattern-and-min-length", CSC, "CreateHost", {**HOST, "VpcConfiguration": {**VPC_OK, "VpcId": "vpc-1"}},
     detected(one("vpcConfiguration.vpcId", r"satisfy regular expression pattern: vpc-\w{8}(\w{9})?", "vpc-1"),
              one("vpcConfiguration.vpcId", "have length greater than or equal to 12", "vpc-1"))),
    # enum
    ("enum-old", CSC, "CreateConnection", {"ConnectionName": "c", "ProviderType": "Gitea"},
     detected(one("providerType", f"satisfy enum value set: {TYPES_OLD}", "Gitea"))),
    ("enum-new", CC, "CreateConnection", {"ConnectionName": "c", "ProviderType": "Gitea"},
     detected(one("providerType", f"satisfy enum value set: {TYPES_NEW}", "Gitea"))),
    ("enum-case", CC, "ListConnections", {"ProviderTypeFilter": "github"},
     detected(one("providerTypeFilter", f"satisfy enum value set: {TYPES_NEW}", "github"))),
    ("enum-azure-old", CSC, "CreateHost", {**HOST, "ProviderType": "AzureDevOps"},
     detected(one("providerType", f"satisfy enum value set: {TYPES_OLD}", "AzureDevOps"))),
    # integer range
    ("int-max", CSC, "ListConnections", {"MaxResults": 101}, detected(one("maxResults", "have value less than or equal to 100", "101"))),
    ("int-min", CC, "ListHosts", {"MaxResults": -1}, detected(one("maxResults", "have value greater than or equal to 0", "-1"))),
    # list size
    ("list-min", CSC, "CreateHost", {**HOST, "VpcConfiguration": {**VPC_OK, "SubnetIds": []}},
     detected(one("vpcConfiguration.subnetIds", "have length greater than or equal to 1", "[]"))),
    ("list-max", CC, "UpdateHost",
     {"HostArn": "arn:aws:codeconnections:us-east-1:123456789012:host/h-0123abcd",
      "VpcConfiguration": {**VPC_OK, "SecurityGroupIds": ["sg-01234567"] * 11}},
     detected(one("vpcConfiguration.securityGroupIds", "have length less than or equal to 10", "[" + ", ".join(["sg-01234567"] * 11) + "]"))),
    # required / null
    ("required", CSC, "GetConnection", {}, detected(one("connectionArn", "not be null"))),
    ("explicit-null", CC, "DeleteConnection", {"ConnectionArn": None}, detected(one("connectionArn", "not be null"))),
    ("required-three", CC, "CreateHost", {},
     detected(one("name", "not be null"), one("providerType", "not be null"), one("providerEndpoint", "not be null"))),
    ("required-nested", CSC, "CreateHost", {**HOST, "VpcConfiguration": {}},
     detected(one("vpcConfiguration.vpcId", "not be null"), one("vpcConfiguration.subnetIds", "not be null"),
              one("vpcConfiguration.securityGroupIds", "not be null"))),
    ("required-two-of-tag-resource", CSC, "TagResource", {},
     detected(one("resourceArn", "not be null"), one("tags", "not be null"))),
    # nested list member paths
    ("member-key", CSC, "TagResource", {"ResourceArn": ARN, "Tags": [{"Key": "k" * 129, "Value": "v"}]},
     detected(one("tags.1.member.key", "have length less than or equal to 128", "k" * 129))),
    ("member-null", CC, "CreateConnection", {"ConnectionName": "c", "ProviderType": "GitHub", "Tags": [{"Key": "a", "Value": "b"}, {"Key": "c"}]},
     detected(one("tags.2.member.value", "not be null"))),
    ("member-vpc-subnet", CSC, "CreateHost", {**HOST, "VpcConfiguration": {**VPC_OK, "SubnetIds": ["subnet-01234567", "net-1"]}},
     detected(one("vpcConfiguration.subnetIds.2.member", r"satisfy regular expression pattern: subnet-\w{8}(\w{9})?", "net-1"),
              one("vpcConfiguration.subnetIds.2.member", "have length greater than or equal to 15", "net-1"))),
    # several kinds at once, joined with "; "
    ("two-kinds", CSC, "CreateConnection", {"ConnectionName": "x" * 33, "ProviderType": "Nope"},
     detected(one("connectionName", "have length less than or equal to 32", "x" * 33),
              one("providerType", f"satisfy enum value set: {TYPES_OLD}", "Nope"))),
    ("three-kinds", CC, "ListConnections", {"ProviderTypeFilter": "x", "MaxResults": 500, "NextToken": ""},
     detected(one("providerTypeFilter", f"satisfy enum value set: {TYPES_NEW}", "x"),
              one("maxResults", "have value less than or equal to 100", "500"),
              one("nextToken", "have length greater than or equal to 1", ""))),
]

# Inputs that are valid: the limits themselves.
VALID = [
    (CSC, "CreateConnection", {"ConnectionName": "x" * 32, "ProviderType": "GitHub"}),
    (CSC, "CreateConnection", {"ConnectionName": SMILE * 16}),
    (CC, "ListConnections", {"MaxResults": 0}),
    (CC, "ListConnections", {"MaxResults": 100, "HostArnFilter": "arn:aws:codeconnections:us-east-1:123456789012:host/h-1"}),
    (CSC, "TagResource", {"ResourceArn": ARN, "Tags": [{"Key": "k" * 128, "Value": ""}] * 200}),
    (CSC, "CreateHost", {**HOST, "VpcConfiguration": {**VPC_OK, "SubnetIds": ["subnet-0123456789abcdef0"] * 10}}),
    (CC, "ListHosts", {"Unknown": 1}),  # unknown members are ignored
]

# Wrong JSON types never reach the constraints: the front end cannot read them.
SERIALIZATION = [
    (CSC, "ListConnections", {"MaxResults": "5"}, "STRING_VALUE can not be converted to an Integer"),
    (CC, "ListConnections", {"MaxResults": True}, "TRUE_VALUE can not be converted to an Integer"),
    (CSC, "CreateConnection", {"ConnectionName": 5}, "NUMBER_VALUE can not be converted to a String"),
    (CC, "CreateConnection", {"ConnectionName": False}, "FALSE_VALUE can not be converted to a String"),
    (CSC, "TagResource", {"ResourceArn": ARN, "Tags": {}}, "Start of structure or map found where not expected."),
    (CC, "TagResource", {"ResourceArn": ARN, "Tags": "x"}, "STRING_VALUE can not be converted to a List"),
    (CSC, "TagResource", {"ResourceArn": ARN, "Tags": ["x"]}, "STRING_VALUE can not be converted to a Structure or Map"),
    (CC, "GetConnection", {"ConnectionArn": [ARN]}, "Start of list found where not expected."),
    (CSC, "CreateHost", {**HOST, "VpcConfiguration": 1}, "NUMBER_VALUE can not be converted to a Structure or Map"),
]


def run(service, operation, params):
    spec.services()[service].operations[operation].validator(params)


@pytest.mark.parametrize("service,operation,params,expected", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_message(service, operation, params, expected):
    with pytest.raises(AwsError) as info:
        run(service, operation, params)
    assert info.value.code == "ValidationException"
    assert info.value.message == expected


@pytest.mark.parametrize("service,operation,params", VALID)
def test_limits_are_valid(service, operation, params):
    run(service, operation, params)


@pytest.mark.parametrize("service,operation,params,expected", SERIALIZATION)
def test_wrong_types_are_serialization_errors(service, operation, params, expected):
    with pytest.raises(AwsError) as info:
        run(service, operation, params)
    assert (info.value.code, info.value.message) == ("SerializationException", expected)


def test_every_row_has_a_distinct_id():
    assert len({r[0] for r in ROWS}) == len(ROWS)


THROUGH_BOTO3 = ["max-length-observed", "pattern-observed", "required-three", "member-key", "two-kinds", "int-max", "enum-new"]


@pytest.mark.parametrize("row_id", THROUGH_BOTO3)
def test_message_through_boto3(server, account, row_id):
    _, service, operation, params, expected = next(r for r in ROWS if r[0] == row_id)
    client = server.client(service, account=account, validate=False)
    method = getattr(client, spec.xform_name(operation))
    with pytest.raises(ClientError) as info:
        method(**params)
    response = info.value.response
    assert response["Error"] == {"Code": "ValidationException", "Message": expected}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_value_just_over_max_gets_pattern_and_length_errors():
    value = "x" * 1012
    with pytest.raises(AwsError) as info:
        run(CSC, "ListTagsForResource", {"ResourceArn": value})
    assert info.value.message == detected(
        one("resourceArn", r"satisfy regular expression pattern: arn:aws(-[\w]+)*:.+:.+:[0-9]{12}:.+", value),
        one("resourceArn", "have length less than or equal to 1011", value),
    )


@pytest.mark.parametrize("value", ["arn:aws:" + ":" * 2_000_000, "arn:aws:" + "a:" * 500_000 + "123456789012:x"])
def test_huge_values_report_only_their_length(value):
    """The ARN patterns backtrack quadratically on ':'; far over the max only the length is checked."""
    with pytest.raises(AwsError) as info:
        run(CSC, "TagResource", {"ResourceArn": value, "Tags": []})
    assert info.value.message == detected(one("resourceArn", "have length less than or equal to 1011", value))


def test_catastrophic_pattern_is_reported_not_stalled():
    """A pattern with exponential backtracking and no max length still answers (as a pattern failure)."""
    from codestar_local.errors import AwsError
    from codestar_local.validate import Compiler

    shapes = {
        "In": {"type": "structure", "members": {"Name": {"shape": "Evil"}}},
        "Evil": {"type": "string", "pattern": "(a+)+b"},
    }
    check = Compiler(shapes).compile("In")
    with pytest.raises(AwsError) as e:
        check({"Name": "a" * 40 + "c"})
    assert e.value.code == "ValidationException"
    assert "Member must satisfy regular expression pattern: (a+)+b" in e.value.message
    check({"Name": "aaab"})  # a matching value passes
