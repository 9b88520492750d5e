"""Extracts from public registers, each with its source (regulation clause 3.1.3):
enforcement proceedings (aisoip.adilet.gov.kz), court cases (office.sud.kz) and tax arrears of
companies the debtor heads (kgd.gov.kz). Fields follow kz_domain.md §4.
"""

from __future__ import annotations

from datetime import date
from random import Random

from proxy.synth import rowfmt as f
from proxy.synth.organisations import BinSource, company_name
from proxy.synth.subjects import Debtor, Loan

MCI_2025 = 3_932  # monthly calculation index, KZT; a travel ban needs a debt above 40 MCI
_COURT_CATEGORIES = (
    ("142030001200010000", "О взыскании задолженности по договору займа"),
    ("142030001200020000", "О взыскании задолженности по кредитному договору"),
    ("142040000300010000", "Об оспаривании действий (бездействия) частного судебного исполнителя"),
    ("142030001400030000", "О защите прав потребителей финансовых услуг"),
)
_ENFORCEMENT_STATUSES = ("active", "active", "active", "suspended", "terminated", "completed")
_COURT_STATUSES = ("pending", "decided", "decided", "appealed", "closed")


def _retrieved(rng: Random) -> str:
    return f.local_time(f.AS_OF - rng.randrange(1, 90), rng.randrange(3600, 82800))


def enforcement_row(rng: Random, row_id: int, debtor: Debtor, loan: Loan) -> str:
    """An entry of the unified register of debtors."""
    started = min(f.AS_OF - 5, loan.overdue_since + rng.randrange(120, 900))
    city = debtor.city.name
    if rng.random() < 0.7:
        licence = rng.randrange(10**4, 10**5)
        body = (
            f"Частный судебный исполнитель исполнительного округа г. {city}, лицензия № {licence}"
        )
    else:
        body = f"Департамент юстиции г. {city}"
    if rng.random() < 0.6:
        issuer = "Нотариус (исполнительная надпись)"
    else:
        issuer = f"Специализированный межрайонный суд по гражданским делам г. {city}"
    amount = max(loan.outstanding, loan.principal // 2)
    ban = amount > 40 * MCI_2025 * 100 and rng.random() < 0.6
    ban_from = f.day(started + rng.randrange(3, 30)) if ban else f.NULL
    number = f"{rng.randrange(10**6, 10**7)}/{date.fromordinal(started).year % 100:02d}"
    return (
        f"{row_id}\t{debtor.id}\taisoip.adilet.gov.kz\t{number}\t{f.day(started)}\t{body}\t"
        f"{issuer}\t{loan.creditor_name}\t{f.money(amount)}\t{f.flag(ban)}\t{ban_from}\t"
        f"{rng.choice(_ENFORCEMENT_STATUSES)}\t{_retrieved(rng)}"
    )


def court_row(rng: Random, row_id: int, debtor: Debtor, loan: Loan) -> str:
    """A case from the court cabinet; the debtor is usually the defendant."""
    filed = min(f.AS_OF - 10, loan.overdue_since + rng.randrange(90, 700))
    category, title = rng.choice(_COURT_CATEGORIES)
    role = "plaintiff" if category.startswith("14204") or rng.random() < 0.05 else "defendant"
    status = rng.choice(_COURT_STATUSES)
    decided = (
        f.NULL if status == "pending" else f.day(min(f.AS_OF - 1, filed + rng.randrange(20, 200)))
    )
    court = (
        f"Специализированный межрайонный экономический суд г. {debtor.city.name}"
        if rng.random() < 0.3
        else f"Районный суд № {rng.randrange(1, 5)} г. {debtor.city.name}"
    )
    year = date.fromordinal(filed).year % 100
    case_number = f"{rng.randrange(7000, 8000)}-{year:02d}-00-2/{rng.randrange(1, 20000)}"
    return (
        f"{row_id}\t{debtor.id}\toffice.sud.kz\t{case_number}\t{court}\t{category}\t{title}\t"
        f"{role}\t{f.money(max(loan.outstanding, loan.principal // 2))}\t{f.day(filed)}\t"
        f"{status}\t{decided}\t{_retrieved(rng)}"
    )


def tax_row(rng: Random, row_id: int, debtor: Debtor, bins: BinSource, organisation: int) -> str:
    """A TAX_ARREARS_150 line: a company headed by the debtor owes more than 150 MCI."""
    main = rng.randrange(150 * MCI_2025, 30_000_000) * 100
    late_fee = main * rng.randrange(3, 40) // 100
    fine = main * rng.randrange(0, 20) // 100
    head = debtor.name
    return (
        f"{row_id}\t{debtor.id}\tkgd.gov.kz\t{bins.bin(organisation)}\t{company_name(rng)}\t"
        f"{debtor.identity.iin}\t{head.full}\t{debtor.region.name}\t"
        f"{f.money(main + late_fee + fine)}\t{f.money(main)}\t{f.money(late_fee)}\t"
        f"{f.money(fine)}\t{f.day(f.AS_OF - rng.randrange(1, 40))}"
    )
