"""validate.linear: which model patterns match without the regex module's timeout (it costs ~1.6 us a match)."""

from __future__ import annotations

from codestar_local.validate import linear

LINEAR = [r"^.*$", r".*", r"[\s\S]*", r"[0-9]{12}", r"^[\w:/-]+$", r"^[\w/+=]+$", r"^[a-z][a-z0-9-]+$",
          r"^\S[\w.-]*$", r"^[\t\r\n\u0020-\u00FF]*$"]
# Groups, alternations, two or more quantifiers, \p{..}: these can backtrack, so they keep the timeout.
TIMED = [r"^\S(.*\S)?$", r"arn:aws(-[\w]+)*:.+:.+:[0-9]{12}:.+", r"^[0-9A-Za-z]+[0-9A-Za-z_\\-]*$",
         r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$", r"^[\w-.+]+@[\w-.+]+$", r"^(Owner|Viewer|Contributor)$", r"^$|^\S(.*\S)?$",
         r"a{2,3}b*", r".*.*", r"[[a]b]*"]


def test_single_quantifier_patterns_are_linear():
    assert [p for p in LINEAR if not linear(p)] == []


def test_patterns_that_can_backtrack_keep_the_timeout():
    assert [p for p in TIMED if linear(p)] == []
