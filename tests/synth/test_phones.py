"""Written forms of Kazakh phone numbers."""

from __future__ import annotations

from random import Random

import pytest

from proxy.synth.phones import (
    LANDLINE_STYLES,
    MOBILE_PREFIXES,
    MOBILE_STYLES,
    mobile_number,
    write_landline,
    write_mobile,
)


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        pytest.param(0, "+7 701 123 45 67", id="international-spaced"),
        pytest.param(1, "8 (701) 123-45-67", id="trunk-parentheses"),
        pytest.param(2, "87011234567", id="trunk-digits"),
        pytest.param(3, "+77011234567", id="e164"),
        pytest.param(4, "+7 (701) 123-45-67", id="international-parentheses"),
        pytest.param(5, "8 701 123 4567", id="trunk-spaced"),
        pytest.param(6, "+7-701-123-45-67", id="international-dashes"),
        pytest.param(7, "8-701-123-45-67", id="trunk-dashes"),
        pytest.param(8, "+7 701 1234567", id="international-grouped"),
    ],
)
def test_write_mobile(style: int, expected: str) -> None:
    assert write_mobile("7011234567", style) == expected


@pytest.mark.parametrize(
    ("national", "area_len", "style", "expected"),
    [
        pytest.param("7172556677", 4, 0, "8 (7172) 55-66-77", id="astana-trunk"),
        pytest.param("7172556677", 4, 1, "+7 7172 55 66 77", id="astana-international"),
        pytest.param("7272501234", 3, 0, "8 (727) 250-12-34", id="almaty-trunk"),
        pytest.param("7272501234", 3, 2, "87272501234", id="almaty-digits"),
        pytest.param("7253351234", 5, 0, "8 (72533) 5-12-34", id="turkestan-trunk"),
        pytest.param("7172556677", 4, 4, "8 7172 556677", id="astana-plain"),
    ],
)
def test_write_landline(national: str, area_len: int, style: int, expected: str) -> None:
    assert write_landline(national, area_len, style) == expected


def test_every_written_form_keeps_the_ten_digits() -> None:
    rng = Random(7)
    for _ in range(200):
        national = mobile_number(rng)
        assert national[:3] in MOBILE_PREFIXES and len(national) == 10
        for style in range(MOBILE_STYLES):
            digits = "".join(ch for ch in write_mobile(national, style) if ch.isdigit())
            assert digits[-10:] == national and digits[:-10] in ("7", "8")
    for style in range(LANDLINE_STYLES):
        digits = "".join(ch for ch in write_landline("7172556677", 4, style) if ch.isdigit())
        assert digits[-10:] == "7172556677"
