"""Check digits of Kazakh identifiers against published worked examples."""

from __future__ import annotations

import pytest

from proxy.kz.checksums import check_digit, has_valid_check_digit, is_valid_kz_iban


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        pytest.param("850101300124", True, id="iin-valid"),
        pytest.param("850101300123", False, id="iin-wrong-digit"),
        pytest.param("940140000385", True, id="bin-stdnum-example"),
        pytest.param("990140004654", True, id="bin-stdnum-example-2"),
        pytest.param("160540019486", True, id="bin-kgd-sample"),
        pytest.param("201040000013", True, id="bin-4"),
        pytest.param("85010130012", False, id="eleven-digits"),
        pytest.param("8501013001245", False, id="thirteen-digits"),
        pytest.param("85010130012a", False, id="letter"),
        pytest.param("８５０１０１３００１２４", False, id="full-width-digits"),
    ],
)
def test_iin_bin_check_digit(number: str, valid: bool) -> None:
    assert has_valid_check_digit(number) is valid


def test_bodies_whose_both_passes_give_ten_are_never_issued() -> None:
    never = [f"9005153{n:04d}" for n in range(10_000) if check_digit(f"9005153{n:04d}") is None]
    assert never, "the rules leave some bodies unissued"
    for body in never[:20]:
        assert not any(has_valid_check_digit(body + str(d)) for d in range(10))


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        pytest.param("KZ86125KZT5004100100", True, id="nbrk-example"),
        pytest.param("KZ86 125K ZT50 0410 0100", True, id="grouped"),
        pytest.param("kz86125kzt5004100100", True, id="lower-case"),
        pytest.param("KZ87125KZT5004100100", False, id="wrong-check"),
        pytest.param("KZ86125KZT500410010", False, id="short"),
        pytest.param("DE86125KZT5004100100", False, id="other-country"),
        pytest.param("KZ8612AKZT5004100100", False, id="bank-code-letter"),
    ],
)
def test_kz_iban(iban: str, valid: bool) -> None:
    assert is_valid_kz_iban(iban) is valid
