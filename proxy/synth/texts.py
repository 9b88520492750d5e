"""Free text with personal data embedded the way people write it: complaints, applications and
collectors' call notes, in Russian, Kazakh and a mix of both.

Templates live in data/templates/*.txt. A `TextContext` fills their placeholders on demand from
one debtor (names in Russian and Kazakh case forms, IIN, phones in varied written forms, IBAN,
e-mail, address) and also non-personal numbers (contract numbers, amounts, dates).
"""

from __future__ import annotations

from functools import cache
from random import Random

from proxy.synth import rowfmt as f
from proxy.synth.declension import ACC, DAT, GEN, INS, kk_case, ru_given, ru_patronymic, ru_surname
from proxy.synth.names import FullName, relative_name
from proxy.synth.organisations import company_name, random_iban
from proxy.synth.people import email
from proxy.synth.phones import MOBILE_STYLES, mobile_number, write_mobile
from proxy.synth.subjects import Debtor, Loan, Relative
from proxy.synth.wordlists import lines, rows

_RELATION_WORDS = {
    # relation: (Russian, Kazakh "his/her X", Kazakh "I am X's ...")
    "father": ("отец", "әкесі", "әкесімін"),
    "mother": ("мать", "анасы", "анасымын"),
    "brother": ("брат", "ағасы", "ағасымын"),
    "sister": ("сестра", "әпкесі", "әпкесімін"),
    "son": ("сын", "ұлы", "ұлымын"),
    "daughter": ("дочь", "қызы", "қызымын"),
    "husband": ("супруг", "күйеуі", "күйеуімін"),
    "wife": ("супруга", "әйелі", "әйелімін"),
}


@cache
def templates(kind: str) -> tuple[str, ...]:
    """Templates of one kind: complaint, call_note."""
    return lines(f"templates/{kind}.txt")


@cache
def application_templates() -> tuple[tuple[str, str], ...]:
    """(application kind, template) pairs."""
    return tuple((kind, text) for kind, text in rows("templates/application.txt"))


def render(template: str, context: TextContext) -> str:
    return template.format_map(context).replace(" ¶ ", "\n")


def ru_full(name: FullName, case: str) -> str:
    parts = [ru_surname(name.last, case, name.male), ru_given(name.first, case, name.male)]
    if name.patronymic:
        parts.append(ru_patronymic(name.patronymic, case))
    return " ".join(parts)


class TextContext:
    """Placeholder values for one text about one debtor, computed only when a template asks."""

    def __init__(self, rng: Random, debtor: Debtor, loan: Loan, collector: str) -> None:
        self._rng, self._debtor, self._loan = rng, debtor, loan
        self._collector_name = collector
        self._relative: Relative | None = None

    def __getitem__(self, key: str) -> str:
        return str(getattr(self, "_" + key)())

    # --- the debtor's name -------------------------------------------------------------
    def _fio(self) -> str:
        return self._debtor.name.full

    def _fio_gen(self) -> str:
        return ru_full(self._debtor.name, GEN)

    def _fio_dat(self) -> str:
        return ru_full(self._debtor.name, DAT)

    def _fio_ins(self) -> str:
        return ru_full(self._debtor.name, INS)

    def _fio_acc(self) -> str:
        return ru_full(self._debtor.name, ACC)

    def _short(self) -> str:
        return self._debtor.name.short

    def _first(self) -> str:
        return self._debtor.name.first

    def _last(self) -> str:
        return self._debtor.name.last

    def _first_patr(self) -> str:
        name = self._debtor.name
        return f"{name.first} {name.patronymic}" if name.patronymic else name.first

    def _kk_fio(self) -> str:
        return f"{self._debtor.name.last} {self._debtor.name.first}"

    def _kk_fio_gen(self) -> str:
        return f"{self._debtor.name.last} {kk_case(self._debtor.name.first, GEN)}"

    def _kk_fio_dat(self) -> str:
        return f"{self._debtor.name.last} {kk_case(self._debtor.name.first, DAT)}"

    # --- identifiers and contacts ------------------------------------------------------
    def _iin(self) -> str:
        return self._debtor.identity.iin

    def _iin_spaced(self) -> str:
        iin = self._debtor.identity.iin
        return (
            f"{iin[:6]} {iin[6:]}"
            if self._rng.random() < 0.5
            else f"{iin[:4]} {iin[4:8]} {iin[8:]}"
        )

    def _phone(self) -> str:
        return write_mobile(self._debtor.phone, self._rng.randrange(MOBILE_STYLES))

    def _phone2(self) -> str:
        alt = self._debtor.phone_alt_written
        return alt if alt else write_mobile(mobile_number(self._rng), self._rng.randrange(4))

    def _email(self) -> str:
        debtor = self._debtor
        return debtor.email or email(self._rng, debtor.name, debtor.identity.birth)

    def _address(self) -> str:
        return self._debtor.address

    def _doc_number(self) -> str:
        return self._debtor.doc_number

    def _birth(self) -> str:
        return f.dotted(self._debtor.identity.birth)

    def _iban(self) -> str:
        return self._loan.iban if self._rng.random() < 0.7 else random_iban(self._rng)

    # --- the loan (not personal data on its own) ----------------------------------------
    def _contract(self) -> str:
        return self._loan.contract_number

    def _contract_date(self) -> str:
        return f.dotted(self._loan.contract_date)

    def _creditor(self) -> str:
        return self._loan.creditor_name

    def _dpd(self) -> int:
        return self._loan.days_past_due

    def _amount(self) -> str:
        tiyn = max(self._loan.outstanding, self._loan.principal // 3)
        return f.tenge(tiyn // 10_000 * 10_000, self._rng.randrange(3))

    def _payment_amount(self) -> str:
        return f.tenge(self._loan.principal // 10 // 10_000 * 10_000, self._rng.randrange(3))

    def _payment_date(self) -> str:
        return f.dotted(self._rng.randrange(self._loan.contract_date + 30, f.AS_OF))

    def _date(self) -> str:
        return f.dotted(f.AS_OF + self._rng.randrange(-60, 30))

    # --- people around the debtor -------------------------------------------------------
    def _relative_now(self) -> Relative:
        """One of the debtor's recorded relatives, or (if none) a mother named in passing."""
        if self._relative is None:
            if self._debtor.relatives:
                self._relative = self._rng.choice(self._debtor.relatives)
            else:
                name = relative_name(self._rng, self._debtor.name, False, True)
                phone = mobile_number(self._rng)
                self._relative = Relative("mother", name, phone, phone)
        return self._relative

    def _rel_fio(self) -> str:
        return self._relative_now().name.full

    def _rel_fio_ins(self) -> str:
        return ru_full(self._relative_now().name, INS)

    def _rel_phone(self) -> str:
        return write_mobile(self._relative_now().phone, self._rng.randrange(MOBILE_STYLES))

    def _rel_words(self) -> tuple[str, str, str]:
        relative = self._relative_now()
        relation = relative.relation
        if relation == "spouse":
            relation = "husband" if relative.name.male else "wife"
        return _RELATION_WORDS[relation]

    def _rel_ru(self) -> str:
        return self._rel_words()[0]

    def _rel_kk(self) -> str:
        return self._rel_words()[1]

    def _rel_kk_self(self) -> str:
        return self._rel_words()[2]

    def _collector(self) -> str:
        return self._collector_name

    def _employer(self) -> str:
        employer = self._debtor.employer
        return employer[0] if employer else company_name(self._rng)

    def _employer_bin(self) -> str:
        employer = self._debtor.employer
        return employer[1] if employer else "—"

    def _position(self) -> str:
        return self._debtor.position or "менеджер"
