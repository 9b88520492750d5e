"""What one value looks like: the detector's entities mapped to catalogue kinds, and the shapes
the detector does not know yet (KZ IBAN, identity documents, postcodes, address lines, the parts
of a person's name). Pure functions over a single value; `evidence` counts them per column.

The kind names are the catalogue's (`proxy.policy.masks.Kind`), so a proposal can be merged as
it is. An entity with no catalogue kind (a card number, say) is still counted as personal data
found in the value, which is what makes a column free text.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from proxy.kz.checksums import is_valid_kz_iban
from proxy.policy.masks import Kind

# Detector entity types -> catalogue kinds. KZ_IIN covers BINs too: `identifier_kind` splits them.
ENTITY_KINDS: MappingProxyType[str, Kind] = MappingProxyType(
    {
        "KZ_IIN": Kind.IIN,
        "KZ_BIN": Kind.BIN,
        "PHONE_NUMBER": Kind.PHONE,
        "EMAIL_ADDRESS": Kind.EMAIL,
        "IBAN_CODE": Kind.IBAN,
        "KZ_IBAN": Kind.IBAN,
        "PERSON": Kind.FULL_NAME,  # which part of a name: `name_part`
        "LOCATION": Kind.ADDRESS,
        "KZ_ADDRESS": Kind.ADDRESS,
        "KZ_ID_DOCUMENT": Kind.ID_DOCUMENT,
    }
)

NAME_KINDS = frozenset({Kind.LAST_NAME, Kind.FIRST_NAME, Kind.PATRONYMIC, Kind.FULL_NAME})

_ID_DOCUMENT = re.compile(r"\d{9}|N\d{8}")  # identity card: 9 digits; passport: N + 8 digits
_POSTCODE = re.compile(r"\d{6}|[A-Z]\d{2}[A-Z]\d[A-Z]\d")  # old 6-digit or 7-character Kazpost
_STREET = re.compile(
    r"(?<!\w)(ул|улица|пр|пр-т|проспект|пер|переулок|б-р|бульвар|шоссе|мкр|микрорайон|"
    r"көшесі|даңғылы|шағын\s+ауданы|ықшамауданы|street|st|ave|avenue)(?!\w)",
    re.IGNORECASE,
)
_HOUSE_NUMBER = re.compile(r"(?<!\d)\d{1,4}(?!\d)")
ADDRESS_MAX_WORDS = 20  # an address line, not a letter that quotes one

_PATRONYMIC_ENDINGS = ("ович", "евич", "ьич", "овна", "евна", "ична", "инична", "ұлы", "улы")
_PATRONYMIC_ENDINGS_F = ("қызы", "кызы")
_SURNAME_ENDINGS = (
    "ов", "ова", "ев", "ева", "ёв", "ёва", "ин", "ина", "ын", "ына", "ский", "ская", "цкий",
    "цкая", "енко", "ук", "юк", "ян", "дзе", "швили",
)  # fmt: skip


def identifier_kind(value: str) -> Kind:
    """IIN or BIN: both pass the same check; a BIN's fifth digit (4-6) names a legal entity
    kind, where an IIN has the first digit of a day of the month (0-3)."""
    digits = value.strip()
    return Kind.BIN if len(digits) == 12 and digits[4] in "456" else Kind.IIN


def shape_kind(value: str) -> Kind | None:
    """The kind a whole text value has by its shape alone, for kinds the detector lacks."""
    text = value.strip()
    if is_valid_kz_iban(text):
        return Kind.IBAN
    if _ID_DOCUMENT.fullmatch(text):
        return Kind.ID_DOCUMENT
    if _POSTCODE.fullmatch(text):
        return Kind.POSTCODE
    if is_address_line(text):
        return Kind.ADDRESS
    return None


def is_address_line(text: str) -> bool:
    """A short line naming a street (or microdistrict) and a house number."""
    if len(text.split()) > ADDRESS_MAX_WORDS:
        return False
    street = _STREET.search(text)
    return street is not None and _HOUSE_NUMBER.search(text, street.end()) is not None


def name_part(value: str) -> Kind:
    """Which part of a person's name a value that is a name looks like."""
    words = value.split()
    if len(words) >= 2 and not (len(words) == 2 and words[1].lower() in ("ұлы", "қызы")):
        return Kind.FULL_NAME
    word = value.strip().lower()
    if word.endswith(_PATRONYMIC_ENDINGS + _PATRONYMIC_ENDINGS_F):
        return Kind.PATRONYMIC
    if word.endswith(_SURNAME_ENDINGS):
        return Kind.LAST_NAME
    return Kind.FIRST_NAME
