"""Loans and payments: the debts the Chamber's members collect.

Contract numbers are mostly 12 digits that start with the contract date, like an IIN, but whose
last digit fails the IIN check: a realistic trap for personal-data detection, which must not
take them for IINs. Amounts are integers in tiyn until they are written.
"""

from __future__ import annotations

from datetime import date
from random import Random

from proxy.synth import rowfmt as f
from proxy.synth.identifiers import check_digit
from proxy.synth.organisations import random_iban
from proxy.synth.subjects import Debtor, Loan
from proxy.synth.world import Creditor, World

_FIRST_CONTRACT = date(2016, 1, 1).toordinal()
_BANK_PRODUCTS = (
    ("consumer_loan", 300_000, 5_000_000),
    ("credit_card", 100_000, 1_500_000),
    ("auto_loan", 2_000_000, 12_000_000),
    ("mortgage", 8_000_000, 40_000_000),
)
_MFO_PRODUCTS = (("microcredit", 30_000, 600_000), ("online_microcredit", 10_000, 250_000))
_STATUSES = (
    ("overdue", 70),
    ("restructured", 8),
    ("in_court", 7),
    ("written_off", 5),
    ("closed", 10),
)
_PAYMENT_METHODS = ("kaspi", "halyk_homebank", "cash_desk", "bank_transfer", "payment_terminal")


def failing_contract_number(rng: Random, signed: int) -> str:
    """12 digits: the contract date YYMMDD, a 5-digit serial and a WRONG IIN check digit."""
    when = date.fromordinal(signed)
    body = f"{when.year % 100:02d}{when.month:02d}{when.day:02d}{rng.randrange(100_000):05d}"
    right = check_digit(body)
    if right is None:  # no IIN has this body, so any last digit fails the check
        return body + str(rng.randrange(10))
    return body + str((right + rng.randrange(1, 10)) % 10)


def contract_number(rng: Random, signed: int, creditor: Creditor) -> str:
    pick = rng.random()
    if pick < 0.7:
        return failing_contract_number(rng, signed)
    year = date.fromordinal(signed).year
    if pick < 0.85:
        prefix = "КД" if creditor.kind == "bank" else "МК"
        return f"{prefix}-{year % 100:02d}/{rng.randrange(10**7):07d}"
    if pick < 0.95:
        return f"{year}{rng.randrange(10**8):08d}"  # twelve digits that start with a year
    return f"№ {rng.randrange(1, 99):02d}-{rng.randrange(10**6):06d}"


def new_loan(rng: Random, world: World, debtor: Debtor, loan_id: int) -> Loan:
    creditors = world.creditors
    creditor = creditors[rng.randrange(len(creditors))]
    product, low, high = rng.choice(_BANK_PRODUCTS if creditor.kind == "bank" else _MFO_PRODUCTS)
    earliest = max(_FIRST_CONTRACT, f.years_after(debtor.identity.birth, 18))
    signed = rng.randrange(earliest, f.AS_OF - 120)
    principal = rng.randrange(low // 1000, high // 1000) * 100_000  # whole thousands, in tiyn
    status = _status(rng)
    overdue = rng.randrange(signed + 35, max(signed + 36, f.AS_OF - 30))
    outstanding = 0 if status == "closed" else principal * rng.randrange(25, 135) // 100
    return Loan(
        loan_id,
        creditor.id,
        creditor.name,
        contract_number(rng, signed, creditor),
        signed,
        product,
        principal,
        outstanding,
        overdue,
        status,
        random_iban(rng, creditor.bank_code),
    )


def _status(rng: Random) -> str:
    pick = rng.randrange(100)
    for status, weight in _STATUSES:
        if pick < weight:
            return status
        pick -= weight
    return "overdue"


def loan_row(loan: Loan, debtor_id: int) -> str:
    return (
        f"{loan.id}\t{debtor_id}\t{loan.creditor_id}\t{loan.contract_number}\t"
        f"{f.day(loan.contract_date)}\t{loan.product}\t{f.money(loan.principal)}\t"
        f"{f.money(loan.outstanding)}\tKZT\t{f.day(loan.overdue_since)}\t{loan.days_past_due}\t"
        f"{loan.iban}\t{loan.status}"
    )


def payment_row(rng: Random, payment_id: int, loan: Loan, debtor_id: int) -> str:
    """A payment of a few per cent of the principal, after the contract date."""
    paid = rng.randrange(loan.contract_date + 30, f.AS_OF)
    amount = max(100_000, loan.principal * rng.randrange(2, 12) // 100 // 10_000 * 10_000)
    return (
        f"{payment_id}\t{loan.id}\t{debtor_id}\t{f.day(paid)}\t{f.money(amount)}\t"
        f"{rng.choice(_PAYMENT_METHODS)}\t{rng.randrange(10**9, 10**10)}"
    )
