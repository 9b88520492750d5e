"""policy.csv is refused line by line when wrong, naming the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.errors import ConfigError
from proxy.policy.engine import PolicyEngine
from proxy.policy.rules import PolicyFile
from tests.policy.support import MODEL, write_policies

GRANT = "p, clerk, public.t.*, select, work, allow, allow, 200\n"

BAD = [
    ("unknown-line-type", "x, clerk\n", "line 1: a line starts with p or g"),
    ("short-p-line", "p, clerk, public.t.a, select\n", "line 1: a p line has 7 fields"),
    ("bad-role", "p, Clerk, public.t.a, select, work, allow, allow, 200\n", "role 'Clerk'"),
    ("two-part-object", "p, clerk, public.t, select, work, allow, allow, 200\n", "object"),
    ("double-star", "p, clerk, public.**.a, select, work, allow, allow, 200\n", "object"),
    ("brace-glob", "p, clerk, public.{a;b}.c, select, work, allow, allow, 200\n", "object"),
    ("bad-action", "p, clerk, public.t.a, export, work, allow, allow, 200\n", "action"),
    ("bad-decision", "p, clerk, public.t.a, select, work, allow, show, 200\n", "decision 'show'"),
    (
        "bad-operator",
        "p, clerk, public.t.a, select, work, allow, mask:blur, 200\n",
        "decision 'mask:blur'",
    ),
    (
        "effect-disagrees",
        "p, clerk, public.t.a, select, work, deny, allow, 5\n",
        "effect 'deny' does not agree",
    ),
    ("grant-any-purpose", "p, clerk, public.t.a, select, *, allow, allow, 200\n", "4.4"),
    ("masked-write", "p, clerk, public.t.a, update, work, allow, mask, 200\n", "mask is a way"),
    ("bad-priority", "p, clerk, public.t.a, select, work, allow, allow, high\n", "priority"),
    ("zero-priority", "p, clerk, public.t.a, select, work, allow, allow, 0\n", "priority"),
    ("self-inheritance", "g, clerk, clerk\n", "cannot inherit from itself"),
    ("short-g-line", "g, clerk\n", "a g line is"),
    ("duplicate", GRANT + GRANT, "line 2: repeats line 1"),
    (
        "deny-after-grant",
        GRANT + "p, clerk, public.t.b, *, *, deny, deny, 300\n",
        "line 2: deny priority 300 must be lower",
    ),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_policy_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "policy.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        PolicyFile.load(path)
    assert str(path) in caught.value.message
    assert message in caught.value.message


def test_comments_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "policy.csv"
    path.write_text("# a comment\n\n   \n" + GRANT, encoding="utf-8")
    (rule,) = PolicyFile.load(path).rules
    assert rule.line == 4


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"catalogue\.toml does not exist"):
        PolicyEngine.load(tmp_path, MODEL)


def test_a_model_of_another_shape_is_refused(tmp_path: Path) -> None:
    folder = write_policies(tmp_path / "p", GRANT)
    model = tmp_path / "model.conf"
    model.write_text(
        MODEL.read_text(encoding="utf-8").replace(
            "p = sub, obj, act, purpose, eft, decision, priority",
            "p = sub, obj, act, purpose, eft, priority, decision",
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="policy_definition must be"):
        PolicyEngine.load(folder, model)


_IIN_CATALOGUE = """
[tables."public.t"]
subjects = [{ key = "id", of = "public.t", category = "applicant" }]
[tables."public.t".columns]
iin = { kind = "iin" }
"""


@pytest.mark.parametrize(
    ("policy", "row_filters", "message"),
    [
        (
            "p, clerk, public.*.i*, select, work, allow, mask:year_only, 100\n",
            "",
            "line 1: mask:year_only cannot mask public.t.iin, which the catalogue says holds iin",
        ),
        (
            GRANT,
            '[clerc."public.t"]\nfilter = "a = 1"\n',
            "clerc.public.t: role 'clerc' has no line in policy.csv",
        ),
    ],
    ids=["operator-unfit-for-catalogued-column", "row-filter-of-unknown-role"],
)
def test_files_must_agree(tmp_path: Path, policy: str, row_filters: str, message: str) -> None:
    folder = write_policies(tmp_path, policy, _IIN_CATALOGUE, row_filters)
    with pytest.raises(ConfigError) as caught:
        PolicyEngine.load(folder, MODEL)
    assert message in caught.value.message
