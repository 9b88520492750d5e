"""IIN, BIN and KZ IBAN construction: published examples and the check-digit rules."""

from __future__ import annotations

import pytest

from proxy.synth.identifiers import (
    check_digit,
    iban_check_digits,
    issued_number,
    make_bin,
    make_iin,
    make_kz_iban,
    with_check_digit,
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("85021531234", 6, id="first-pass-850215312346"),
        pytest.param("90010140056", 9, id="first-pass-900101400569"),
        pytest.param("90051530090", 8, id="second-pass-900515300908"),
        pytest.param("94014000038", 5, id="bin-940140000385"),
        pytest.param("16054001948", 6, id="bin-160540019486"),
        pytest.param("90051530091", None, id="never-issued-both-passes-10"),
    ],
)
def test_check_digit(body: str, expected: int | None) -> None:
    assert check_digit(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("77070734321", "770707343214", id="issued"),
        pytest.param("90051530091", None, id="never-issued"),
    ],
)
def test_with_check_digit(body: str, expected: str | None) -> None:
    assert with_check_digit(body) == expected


@pytest.mark.parametrize(
    ("birth", "male", "serial", "expected_prefix"),
    [
        pytest.param((1985, 2, 15), True, 0, "8502153", id="male-1900s"),
        pytest.param((1990, 1, 1), False, 1234, "9001014", id="female-1900s"),
        pytest.param((2001, 12, 31), True, 4999, "0112315", id="male-2000s"),
        pytest.param((2005, 11, 19), False, 17, "0511196", id="female-2000s"),
        pytest.param((1964, 2, 29), False, 2500, "6402294", id="leap-day"),
    ],
)
def test_make_iin_encodes_birth_date_and_sex(
    birth: tuple[int, int, int], male: bool, serial: int, expected_prefix: str
) -> None:
    iin = make_iin(*birth, male, serial)
    assert iin.startswith(expected_prefix)
    assert len(iin) == 12 and iin.isdigit()
    assert check_digit(iin[:11]) == int(iin[11])


def test_every_serial_gives_a_distinct_issued_iin() -> None:
    numbers = {make_iin(1985, 2, 15, True, serial) for serial in range(5000)}
    assert len(numbers) == 5000
    assert all(check_digit(n[:11]) == int(n[11]) for n in numbers)


@pytest.mark.parametrize(
    "prefix10",
    ["9005153009", "0000000000", "8808084888", "1234567890", "5555555555"],
    ids=lambda p: f"prefix-{p}",
)
def test_issued_number_never_returns_a_never_issued_body(prefix10: str) -> None:
    numbers = {issued_number(prefix10, last) for last in range(5)}
    assert len(numbers) == 5
    assert all(check_digit(n[:11]) == int(n[11]) for n in numbers)


@pytest.mark.parametrize(
    ("args", "prefix"),
    [
        pytest.param((1994, 1, 4, 0, 38), "940140", id="resident-head-office"),
        pytest.param((2019, 7, 5, 1, 777), "190751", id="non-resident-branch"),
        pytest.param((2022, 11, 6, 0, 42), "221160", id="joint-entrepreneurship"),
        pytest.param((2010, 10, 4, 4, 0), "101044", id="farm-holding"),
    ],
)
def test_make_bin_structure(args: tuple[int, int, int, int, int], prefix: str) -> None:
    number = make_bin(*args)
    assert number.startswith(prefix)
    assert check_digit(number[:11]) == int(number[11])


@pytest.mark.parametrize(
    "args",
    [
        pytest.param((1994, 1, 3, 0, 1), id="kind-3"),
        pytest.param((1994, 1, 4, 5, 1), id="division-5"),
        pytest.param((1994, 1, 4, 0, 50_000), id="serial-too-big"),
    ],
)
def test_make_bin_rejects_bad_structure(args: tuple[int, int, int, int, int]) -> None:
    with pytest.raises(ValueError):
        make_bin(*args)


@pytest.mark.parametrize(
    ("bank", "account", "expected"),
    [
        pytest.param("125", "KZT5004100100", "KZ86125KZT5004100100", id="nbrk-published"),
        pytest.param("722", "C000012345678", "KZ84722C000012345678", id="kaspi"),
        pytest.param("601", "KZT0000012345", "KZ23601KZT0000012345", id="halyk"),
        pytest.param("856", "0000098765432", "KZ148560000098765432", id="bcc-digits"),
    ],
)
def test_make_kz_iban(bank: str, account: str, expected: str) -> None:
    assert make_kz_iban(bank, account) == expected


@pytest.mark.parametrize(
    ("bank", "account"),
    [
        pytest.param("12", "KZT5004100100", id="short-bank-code"),
        pytest.param("125", "KZT500410010", id="short-account"),
        pytest.param("A25", "KZT5004100100", id="letter-in-bank-code"),
    ],
)
def test_make_kz_iban_rejects_bad_parts(bank: str, account: str) -> None:
    with pytest.raises(ValueError):
        make_kz_iban(bank, account)


def test_iban_check_digits_are_in_the_valid_range() -> None:
    digits = {iban_check_digits("KZ", f"601{n:013d}") for n in range(0, 10_000, 7)}
    assert all("02" <= d <= "98" for d in digits)
