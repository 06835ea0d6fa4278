"""What Git sync reads from a pushed commit: the deployment file, the template it names, and their checks.

A stack's sync of a commit fails (a Verdict with outcome FAILED) when its deployment file is missing or
invalid, its template is missing, does not parse or has no Resources, cfn-lint (when installed) reports errors,
or parameters do not match the template's. Each reason names the file and the problem.
"""

from __future__ import annotations

import json
import posixpath
import threading

import yaml
from dulwich.diff_tree import tree_changes
from dulwich.objects import Blob, Commit
from dulwich.object_store import tree_lookup_path

from .attempts import Verdict

DEPLOYMENT_KEYS = ("template-file-path", "parameters", "tags")
MAX_TEMPLATE_BYTES = 1024 * 1024  # CloudFormation's limit for a template read from S3
LINT_SHOWN = 5  # cfn-lint messages kept as events; the reason quotes the first LINT_QUOTED
LINT_QUOTED = 3
SCALARS = (str, int, float, bool)

try:
    import cfnlint.api
    import cfnlint.config
    import cfnlint.decode
    import cfnlint.runner
except ImportError:  # the [gitsync] extra is not installed: templates are parsed, not linted
    cfnlint = None


class Problem(Exception):
    """A reason the stack's sync fails."""


# -- the commit's files ----------------------------------------------------------
def commit_of(repo, sha: str | None):
    """The commit `sha` of repo, or None (unknown, not a commit, or None)."""
    if not sha or set(sha) == {"0"}:
        return None
    try:
        obj = repo[sha.encode()]
    except (KeyError, ValueError):
        return None
    return obj if isinstance(obj, Commit) else None


def changed_files(repo, base, commit) -> set[str]:
    """Paths that differ between two commits (every path of `commit` when base is None)."""
    out = set()
    for change in tree_changes(repo.object_store, base.tree if base is not None else None, commit.tree):
        for entry in (change.old, change.new):
            if entry is not None and entry.path is not None:
                out.add(entry.path.decode("utf-8", "surrogateescape"))
    return out


def read_file(repo, commit, path: str) -> bytes | None:
    try:
        _, sha = tree_lookup_path(repo.__getitem__, commit.tree, path.encode("utf-8"))
        obj = repo[sha]
    except (KeyError, NotADirectoryError):
        return None
    return obj.as_raw_string() if isinstance(obj, Blob) else None


def clean_path(path: str) -> str | None:
    """A repository path as Git stores it, or None when it leaves the repository."""
    path = path.strip()
    if path.startswith("/") or "\\" in path:
        return None
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _where(err) -> str:
    mark = getattr(err, "problem_mark", None)
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


# -- the deployment file ---------------------------------------------------------
def deployment(raw: bytes, path: str) -> dict:
    """The deployment file's template-file-path, parameters and tags, as AWS documents them."""
    try:
        doc = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Problem(f"Deployment file {path} is not UTF-8 text") from None
    except yaml.YAMLError as e:
        raise Problem(f"Deployment file {path} is not valid YAML{_where(e)}: {getattr(e, 'problem', None) or e}") from None
    if type(doc) is not dict:
        raise Problem(f"Deployment file {path} is not valid: it must be a YAML mapping with template-file-path")
    unknown = sorted(str(k) for k in doc if k not in DEPLOYMENT_KEYS)
    if unknown:
        raise Problem(f"Deployment file {path} is not valid: unknown key {', '.join(unknown)} "
                      f"(allowed: {', '.join(DEPLOYMENT_KEYS)})")
    template = doc.get("template-file-path")
    if type(template) is not str or not template.strip():
        raise Problem(f"Deployment file {path} is not valid: template-file-path must name the template file")
    clean = clean_path(template)
    if clean is None:
        raise Problem(f"Deployment file {path} is not valid: template-file-path {template!r} is not a path inside the repository")
    out = {"template": clean}
    for key in ("parameters", "tags"):
        value = doc.get(key)
        if value is None:
            out[key] = {}
            continue
        if type(value) is not dict or not all(type(k) is str and type(v) in SCALARS for k, v in value.items()):
            raise Problem(f"Deployment file {path} is not valid: {key} must be a map of names to single values")
        out[key] = {k: str(v).lower() if type(v) is bool else str(v) for k, v in value.items()}
    return out


# -- the template ----------------------------------------------------------------
class _ShortFormLoader(yaml.SafeLoader):
    """CloudFormation YAML without cfn-lint: !Ref, !Sub, !GetAtt ... as their long forms."""


def _short_form(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Fn::" + suffix: value}


_ShortFormLoader.add_multi_constructor("!", _short_form)


def parse_template(text: str, path: str) -> dict:
    if cfnlint is not None:
        template, matches = cfnlint.decode.decode_str(text)
        if matches:
            m = matches[0]
            raise Problem(f"Template {path} could not be parsed at line {m.linenumber}, column {m.columnnumber}: {m.message}")
    else:
        try:
            template = json.loads(text) if text.lstrip().startswith("{") else yaml.load(text, Loader=_ShortFormLoader)
        except json.JSONDecodeError as e:
            raise Problem(f"Template {path} could not be parsed at line {e.lineno}, column {e.colno}: {e.msg}") from None
        except yaml.YAMLError as e:
            raise Problem(f"Template {path} could not be parsed{_where(e)}: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(template, dict):
        raise Problem(f"Template {path} is not valid: a template is a JSON or YAML object")
    if not isinstance(template.get("Resources"), dict) or not template["Resources"]:
        raise Problem(f"Template {path} is not valid: it has no Resources (a template needs at least one resource)")
    return template


class Linter:
    """cfn-lint with its rules loaded once per region: loading them takes ~0.2 s, a run on a small template ~15 ms."""

    def __init__(self):
        self._lock = threading.Lock()  # the rules are shared: one run at a time
        self._regions: dict = {}

    def __call__(self, template: dict, region: str) -> tuple[list, list]:
        """(errors, warnings) as 'E3006 line 11, column 5: message'; nothing without cfn-lint."""
        if cfnlint is None:
            return [], []
        with self._lock:
            if region not in self._regions:
                config = cfnlint.config.ConfigMixIn(regions=[region])
                self._regions[region] = (config, cfnlint.runner.Runner(config).rules)
            config, rules = self._regions[region]
            matches = list(cfnlint.api.run_template_by_data(template, config, rules))
        errors, warnings = [], []
        for m in matches:
            line = f"{m.rule.id} line {m.linenumber}, column {m.columnnumber}: {m.message}"
            (errors if m.rule.id.startswith("E") else warnings).append(line)
        return errors, warnings


def check_parameters(template: dict, given: dict, path: str, deployment_path: str) -> None:
    declared = template.get("Parameters") or {}
    if not isinstance(declared, dict):
        raise Problem(f"Template {path} is not valid: Parameters must be an object")
    missing = [n for n, p in declared.items() if not (isinstance(p, dict) and "Default" in p) and n not in given]
    if missing:
        raise Problem(f"Template {path} needs parameter{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                      f"without a Default, and deployment file {deployment_path} does not give {'them' if len(missing) > 1 else 'it'}")
    unknown = [n for n in given if n not in declared]
    if unknown:
        raise Problem(f"Deployment file {deployment_path} gives parameter{'s' if len(unknown) > 1 else ''} "
                      f"{', '.join(unknown)} that template {path} does not declare")


# -- one stack's verdict ---------------------------------------------------------
def touches(config: dict, changed: set[str], template: str | None) -> bool:
    """Whether a push concerns the stack: its deployment file or template changed, or (unless
    TriggerResourceUpdateOn is FILE_CHANGE) any file of the deployment file's folder."""
    config_file = config["ConfigFile"]
    if config_file in changed or (template is not None and template in changed):
        return True
    if config.get("TriggerResourceUpdateOn") == "FILE_CHANGE":
        return False
    folder = posixpath.dirname(config_file)
    return not folder and bool(changed) or any(f.startswith(folder + "/") for f in changed)


def judge(repo, config: dict, commit, base, region: str, lint: Linter) -> Verdict:
    """How the stack of `config` syncs `commit`, against `base` (the commit it last synced, or None)."""
    changed = changed_files(repo, base, commit)
    config_file = clean_path(config["ConfigFile"]) or config["ConfigFile"]
    short = commit.id.decode()[:7]
    raw = read_file(repo, commit, config_file)
    spec = None
    problem = None
    if raw is None:
        problem = f"Deployment file {config_file} does not exist in commit {short}"
    else:
        try:
            spec = deployment(raw, config_file)
        except Problem as e:
            problem = str(e)
    if not touches({**config, "ConfigFile": config_file}, changed, spec and spec["template"]):
        return Verdict(relevant=False, skip_reason=f"No change to {config_file}, its folder or its template since the last sync")
    if problem:
        return Verdict("FAILED", problem)
    template_path = spec["template"]
    raw = read_file(repo, commit, template_path)
    if raw is None:
        return Verdict("FAILED", f"Template {template_path} (template-file-path of {config_file}) does not exist in commit {short}")
    if len(raw) > MAX_TEMPLATE_BYTES:
        return Verdict("FAILED", f"Template {template_path} is larger than {MAX_TEMPLATE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
        template = parse_template(text, template_path)
    except UnicodeDecodeError:
        return Verdict("FAILED", f"Template {template_path} is not UTF-8 text")
    except Problem as e:
        return Verdict("FAILED", str(e))
    errors, warnings = lint(template, region)
    details = [("LINT_ERROR", f"{template_path}: {m}") for m in errors[:LINT_SHOWN]]
    details += [("LINT_WARNING", f"{template_path}: {m}") for m in warnings[:LINT_SHOWN]]
    if errors:
        quoted = "; ".join(errors[:LINT_QUOTED]) + ("; …" if len(errors) > LINT_QUOTED else "")
        return Verdict("FAILED", f"Template {template_path} failed cfn-lint with {len(errors)} error{'s' if len(errors) > 1 else ''}: {quoted}",
                       details=details)
    try:
        check_parameters(template, spec["parameters"], template_path, config_file)
    except Problem as e:
        return Verdict("FAILED", str(e), details=details)
    return Verdict("SUCCEEDED", details=details)
