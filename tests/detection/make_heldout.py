"""Writes `heldout.jsonl`: labelled sentences the detector was not tuned on (run by hand).

`python -m tests.detection.make_heldout` rebuilds the file deterministically. Templates are
complaints, call notes and registry extracts in Russian and Kazakh, with names and phrasings
absent from ../shared/pii_eval/public.jsonl. Structured values are generated valid with the
project's own generators (IIN, BIN, IBAN, phones) and checksums (cards); distractors that are not
personal data stay unlabelled: contract numbers failing the check digit, Russian +7 9xx/495
numbers, card-length numbers failing Luhn, amounts, dates and case numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from random import Random

from proxy.detection.payments import has_valid_luhn
from proxy.kz.checksums import has_valid_check_digit
from proxy.synth.identifiers import make_bin, make_iin, make_kz_iban
from proxy.synth.phones import landline_number, mobile_number, write_landline, write_mobile

OUT = Path(__file__).with_name("heldout.jsonl")
SEED = 20261126
COUNT = 160

NAMES = [
    "Кенжебаев Мақсат Ерболатұлы",
    "Сапарова Алмагүл",
    "Тұрсынов Ерғали",
    "Байжанова Гаухар",
    "Оразбаев Нұрсұлтан Қуанышұлы",
    "Ысқақова Жансая",
    "Досмұхамбетов Бахытжан",
    "Құрманғалиева Айжан Сабитқызы",
    "Лебедев Роман Викторович",
    "Козлова Виктория",
    "Егоров Артём Павлович",
    "Зайцева Ксения",
    "Орлов Денис Игоревич",
    "Белова Людмила",
    "Григорьев Константин",
    "Яковлева Полина Андреевна",
    "Мамыров Олжас",
    "Нұрпейісова Меруерт",
    "Әлімжанов Динмұхамед",
    "Жүнісова Бақытгүл Маратқызы",
    "Есенов Ильяс",
    "Тәжібаева Перизат",
    "Сыздықов Бекжан Жомартұлы",
    "Ким Виталий",
    "Пак Анастасия Олеговна",
    "Цой Эдуард",
    "Шевченко Галина Петровна",
    "Бондаренко Максим",
    "Алтынбек Шәріпов",
    "Гүлназ Рахымжанова",
    "Ержігіт Қалиев",
    "Индира Мусина",
    "Вадим Кравченко",
    "Эльмира Садыкова",
]
DOMAINS = ["inbox.kz", "mail.ru", "list.ru", "gmail.com", "outlook.com", "kaspi.kz", "rambler.ru"]
LOGINS = [
    "m.kenzhebaev",
    "almagul_s",
    "ergali.t",
    "gaukhar84",
    "nursultan.o",
    "zhansaya_98",
    "r.lebedev",
    "vika.kozlova",
    "artem_egorov",
    "orlov.d",
    "olzhas.m",
    "meruert_n",
    "ilyas.esenov",
    "perizat77",
    "vitaliy.kim",
    "e.tsoy",
    "galina.sh",
    "maks.bond",
]
BANKS = ["601", "722", "856", "965", "998", "886", "948", "849", "826", "914", "551"]
CARD_PREFIXES = ["4400", "4405", "5169", "2200", "5355", "4263", "6250"]
AREA_CODES = ["7172", "727", "7252", "7212", "7132", "7122", "7182", "7232", "7142"]


class Sentence:
    """A sentence under construction: text pieces and the labelled spans among them."""

    def __init__(self) -> None:
        self.text = ""
        self.entities: list[dict[str, object]] = []

    def add(self, piece: str, entity_type: str | None = None) -> None:
        if entity_type is not None:
            self.entities.append(
                {"type": entity_type, "start": len(self.text), "end": len(self.text) + len(piece)}
            )
        self.text += piece


def iin(rng: Random) -> str:
    year = rng.randrange(1950, 2006)
    return make_iin(
        year, rng.randrange(1, 13), rng.randrange(1, 29), rng.random() < 0.5, rng.randrange(5000)
    )


def bin_(rng: Random) -> str:
    return make_bin(
        rng.randrange(1996, 2025),
        rng.randrange(1, 13),
        rng.choice((4, 4, 5, 6)),
        rng.randrange(0, 3),
        rng.randrange(50000),
    )


def iban(rng: Random) -> str:
    if rng.random() < 0.5:
        account = "KZT" + "".join(rng.choice("0123456789") for _ in range(10))
    else:
        account = "".join(rng.choice("0123456789") for _ in range(13))
    value = make_kz_iban(rng.choice(BANKS), account)
    return " ".join(value[i : i + 4] for i in range(0, 20, 4)) if rng.random() < 0.4 else value


def card(rng: Random) -> str:
    body = rng.choice(CARD_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(11))
    full = next(body + d for d in "0123456789" if has_valid_luhn(body + d))
    style = rng.randrange(3)
    if style == 0:
        return full
    sep = " " if style == 1 else "-"
    return sep.join(full[i : i + 4] for i in range(0, 16, 4))


def not_a_card(rng: Random) -> str:
    while True:
        value = "4" + "".join(rng.choice("0123456789") for _ in range(15))
        if not has_valid_luhn(value):
            return value


def phone(rng: Random) -> str:
    if rng.random() < 0.25:
        area = rng.choice(AREA_CODES)
        return write_landline(landline_number(rng, area), len(area), rng.randrange(5))
    return write_mobile(mobile_number(rng), rng.randrange(9))


def russian_phone(rng: Random) -> str:
    code = rng.choice(["916", "903", "925", "495", "812", "383", "927"])
    digits = f"{rng.randrange(10**7):07d}"
    return rng.choice(["+7 ({c}) {a}-{b}-{d}", "8 {c} {a} {b} {d}", "+7{c}{a}{b}{d}"]).format(
        c=code, a=digits[:3], b=digits[3:5], d=digits[5:]
    )


def contract(rng: Random) -> str:
    while True:
        value = f"{rng.randrange(10**12):012d}"
        if not has_valid_check_digit(value):
            return value


def email(rng: Random) -> str:
    return (
        f"{rng.choice(LOGINS)}{rng.choice(['', str(rng.randrange(1, 99))])}@{rng.choice(DOMAINS)}"
    )


def id_card(rng: Random) -> str:
    return f"0{rng.randrange(10**8):08d}"


def passport(rng: Random) -> str:
    return f"N{rng.randrange(10**8):08d}"


def amount(rng: Random) -> str:
    return f"{rng.randrange(15, 4000) * 1000:,}".replace(",", " ")


def date(rng: Random) -> str:
    return f"{rng.randrange(1, 29):02d}.{rng.randrange(1, 13):02d}.20{rng.randrange(18, 26)}"


def case_number(rng: Random) -> str:
    return f"{rng.randrange(1000, 9999)}-{rng.randrange(18, 26)}-00-2/{rng.randrange(10, 999)}"


LABELLED: dict[str, tuple[str, Callable[[Random], str]]] = {
    "PERSON": ("PERSON", lambda rng: rng.choice(NAMES)),
    "IIN": ("KZ_IIN", iin),
    "BIN": ("KZ_BIN", bin_),
    "IBAN": ("IBAN_CODE", iban),
    "CARD": ("CREDIT_CARD", card),
    "PHONE": ("PHONE_NUMBER", phone),
    "EMAIL": ("EMAIL_ADDRESS", email),
    "IDCARD": ("KZ_ID_DOCUMENT", id_card),
    "PASSPORT": ("KZ_ID_DOCUMENT", passport),
}
DISTRACTORS: dict[str, Callable[[Random], str]] = {
    "CONTRACT": contract,
    "RUPHONE": russian_phone,
    "NOTCARD": not_a_card,
    "AMOUNT": amount,
    "DATE": date,
    "CASE": case_number,
}

TEMPLATES = [
    "Жалоба от {PERSON}: коллектор звонил на номер {PHONE} после 22:00, ИИН заявителя {IIN}.",
    "Звонок {DATE}: должник {PERSON} обещал внести {AMOUNT} тенге по договору № {CONTRACT}.",
    "Қарыз алушы {PERSON}, ЖСН {IIN}, {DATE} күні {PHONE} нөмірінен хабарласты.",
    "Выписка: ТОО «Алтын Кредит», БИН {BIN}, ИИК {IBAN}, дело № {CASE}.",
    "Просьба направлять ответ на {EMAIL}; мой рабочий телефон {PHONE}. {PERSON}",
    "Поручитель {PERSON} сообщил, что его номер в России {RUPHONE}, казахстанский — {PHONE}.",
    "Сумма задолженности {AMOUNT} тенге по договору {CONTRACT} от {DATE} передана агентству.",
    "Өтініш беруші {PERSON}, жеке куәлік № {IDCARD}, ЖСН {IIN}.",
    "Документ: удостоверение личности {IDCARD} выдано МВД РК {DATE}, владелец {PERSON}.",
    "Паспорт {PASSPORT}, гражданин {PERSON}, ИИН:{IIN}, e-mail: {EMAIL}",
    "Должник оплатил картой {CARD}, назначение платежа — погашение по договору № {CONTRACT}.",
    "Номер лицевого счёта {NOTCARD} не является номером карты; клиент {PERSON}.",
    "Коллектор агентства (БИН {BIN}) требовал перевести {AMOUNT} тенге на счёт {IBAN}.",
    "Арыз: {PERSON} ({IIN}) коллекторлардың {PHONE} нөмірінен қоңырау шалғанына шағымданады.",
    "Электрондық пошта: {EMAIL}, байланыс телефоны {PHONE}.",
    "Клиент {PERSON} просит не звонить на {PHONE}, связь только по почте{EMAIL}",
    "Исполнительное производство № {CASE}: взыскатель БИН {BIN}, должник ИИН {IIN}.",
    "ИИН/БИН контрагента {BIN}, р/с {IBAN}, тел. бухгалтерии {PHONE}.",
    "Сотрудник {PERSON} (ИИН {IIN}) уволен {DATE}, расчёт перечислен на карту {CARD}.",
    "Төлқұжат {PASSPORT}, иесі {PERSON}, мекенжайы Қонаев қ., Наурыз көшесі 7.",
    "Звонили с московского номера {RUPHONE}, представились сотрудниками банка.",
    "Қарыз сомасы {AMOUNT} теңге, шарт № {CONTRACT}, іс № {CASE}.",
    "Заявитель {PERSON}, тел.{PHONE}, просит рассрочку на {AMOUNT} тенге до {DATE}.",
    "Банк-кредитор: АО, БСН {BIN}; шот {IBAN}; хат {EMAIL} мекенжайына жіберілді.",
    "Родственник должника {PERSON} сообщил, что карта {CARD} утеряна, просил её заблокировать.",
    "ИИН{IIN} указан в жалобе неверно, верный номер договора {CONTRACT}.",
    "По решению суда № {CASE} от {DATE} с {PERSON} взыскано {AMOUNT} тенге.",
    "Жұмыс беруші ЖШС, БСН {BIN}, байланыс: {PHONE}, {EMAIL}.",
    "Контактное лицо {PERSON}, WhatsApp {PHONE}, запасной номер РФ {RUPHONE}.",
    "уд. личности № {IDCARD}, ИИН {IIN}, выдано {DATE}.",
]


def fill(template: str, rng: Random) -> Sentence:
    sentence = Sentence()
    for piece in re.split(r"(\{[A-Z]+\})", template):
        key = piece.strip("{}")
        if piece.startswith("{") and key in LABELLED:
            entity_type, make = LABELLED[key]
            sentence.add(make(rng), entity_type)
        elif piece.startswith("{"):
            sentence.add(DISTRACTORS[key](rng))
        else:
            sentence.add(piece)
    return sentence


def main() -> None:
    rng = Random(SEED)
    lines = []
    for index in range(COUNT):
        sentence = fill(TEMPLATES[index % len(TEMPLATES)], rng)
        lines.append(
            json.dumps({"text": sentence.text, "entities": sentence.entities}, ensure_ascii=False)
        )
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
