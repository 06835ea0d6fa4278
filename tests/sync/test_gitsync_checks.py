"""The pieces of gitsync.checks that the end-to-end tests cannot reach: the parser used without cfn-lint, and which
changed files concern a stack (including a deployment file at the repository root)."""

from __future__ import annotations

import pytest

from codestar_local.gitsync import checks

TEMPLATE = """Parameters:
  Env: {Type: String}
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '${Env}-b'
      Tags:
        - {Key: arn, Value: !GetAtt Bucket.Arn}
        - {Key: joined, Value: !Join ['-', [a, !Ref Env]]}
"""


@pytest.fixture
def without_cfn_lint(monkeypatch):
    monkeypatch.setattr(checks, "cfnlint", None)


def test_short_forms_parse_without_cfn_lint(without_cfn_lint):
    template = checks.parse_template(TEMPLATE, "t.yaml")
    props = template["Resources"]["Bucket"]["Properties"]
    assert props["BucketName"] == {"Fn::Sub": "${Env}-b"}
    assert props["Tags"][0]["Value"] == {"Fn::GetAtt": ["Bucket", "Arn"]}
    assert props["Tags"][1]["Value"] == {"Fn::Join": ["-", ["a", {"Ref": "Env"}]]}
    assert checks.Linter()(template, "us-east-1") == ([], [])  # nothing to lint with


@pytest.mark.parametrize("text, expected", [
    ("Resources:\n  B: {Type: x\n", "Template t.yaml could not be parsed at line 3, column 1"),
    ('{"Resources": {"B": }}', "Template t.yaml could not be parsed at line 1, column 21"),
    ("- a\n- b\n", "Template t.yaml is not valid: a template is a JSON or YAML object"),
    ("Resources: {}\n", "Template t.yaml is not valid: it has no Resources"),
])
def test_parse_errors_without_cfn_lint(without_cfn_lint, text, expected):
    with pytest.raises(checks.Problem) as e:
        checks.parse_template(text, "t.yaml")
    assert str(e.value).startswith(expected)


@pytest.mark.parametrize("config, changed, template, expected", [
    ({"ConfigFile": "deployment.yaml"}, {"README.md"}, "t.yaml", True),  # the root folder holds every file
    ({"ConfigFile": "deployment.yaml", "TriggerResourceUpdateOn": "FILE_CHANGE"}, {"README.md"}, "t.yaml", False),
    ({"ConfigFile": "deployment.yaml", "TriggerResourceUpdateOn": "FILE_CHANGE"}, {"t.yaml"}, "t.yaml", True),
    ({"ConfigFile": "a/deployment.yaml"}, {"ab/x"}, "a/t.yaml", False),  # a folder is not a prefix of a name
    ({"ConfigFile": "a/deployment.yaml"}, {"a/b/x"}, "a/t.yaml", True),
    ({"ConfigFile": "a/deployment.yaml"}, {"shared/t.yaml"}, "shared/t.yaml", True),
    ({"ConfigFile": "a/deployment.yaml"}, set(), "a/t.yaml", False),
])
def test_which_changes_concern_a_stack(config, changed, template, expected):
    assert checks.touches(config, changed, template) is expected


@pytest.mark.parametrize("path, clean", [
    ("stacks/web/t.yaml", "stacks/web/t.yaml"), ("./stacks//t.yaml", "stacks/t.yaml"),
    ("/etc/passwd", None), ("../t.yaml", None), ("a/../../t.yaml", None), ("a\\t.yaml", None), (".", None),
])
def test_template_paths_stay_in_the_repository(path, clean):
    assert checks.clean_path(path) == clean
