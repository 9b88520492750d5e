"""Purpose limitation: the stated purpose must be one the principal may use."""

from __future__ import annotations

import pytest

from proxy.errors import AccessDenied
from proxy.identity.principals import Principal
from proxy.pipeline import resolve_purpose

WITH_DEFAULT = Principal(
    "c", ("collector",), ("debt_collection", "complaint_handling"), "debt_collection"
)
NO_DEFAULT = Principal("d", ("dpo",), ("dpo_review",), None)
NO_PURPOSE = Principal("i", ("intern",), (), None)


@pytest.mark.parametrize(
    ("principal", "stated", "expected"),
    [
        pytest.param(WITH_DEFAULT, None, "debt_collection", id="default"),
        pytest.param(WITH_DEFAULT, "complaint_handling", "complaint_handling", id="stated"),
        pytest.param(NO_DEFAULT, "dpo_review", "dpo_review", id="stated-no-default"),
    ],
)
def test_allowed_purposes(principal: Principal, stated: str | None, expected: str) -> None:
    assert resolve_purpose(principal, stated) == expected


@pytest.mark.parametrize(
    ("principal", "stated", "expected"),
    [
        pytest.param(WITH_DEFAULT, "marketing", "purpose 'marketing' is not allowed", id="other"),
        pytest.param(NO_DEFAULT, None, "has no default purpose", id="missing"),
        pytest.param(NO_PURPOSE, "anything", "(allowed: none)", id="no-purposes"),
        pytest.param(WITH_DEFAULT, "", "the stated purpose is not allowed", id="empty"),
        pytest.param(WITH_DEFAULT, "ИИН 850215312345", "the stated purpose is not", id="data"),
    ],
)
def test_refused_purposes(principal: Principal, stated: str | None, expected: str) -> None:
    with pytest.raises(AccessDenied) as caught:
        resolve_purpose(principal, stated)
    assert expected in caught.value.message
    assert caught.value.sqlstate == "42501"
