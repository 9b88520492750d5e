"""What a column's name and type suggest: weak evidence, used two ways.

For kinds no value can show (a birth date is a date like any other; sex is one letter; a salary
is an amount; a position is a phrase), the name and type are the only evidence, and a proposal
made on them says "by name only". For kinds the values can show, a matching name lowers the
share of values that must match (natasha, say, misses many surnames written alone), and stands
in for the values when the sample is too small to decide.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from proxy.policy.masks import Kind

# Name tokens (the column name split on `_` and case changes) -> the kind they suggest.
_TOKEN_HINTS: MappingProxyType[str, Kind] = MappingProxyType(
    {
        "iin": Kind.IIN,
        "bin": Kind.BIN,
        "surname": Kind.LAST_NAME,
        "patronymic": Kind.PATRONYMIC,
        "fio": Kind.FULL_NAME,
        "phone": Kind.PHONE,
        "mobile": Kind.PHONE,
        "email": Kind.EMAIL,
        "iban": Kind.IBAN,
        "address": Kind.ADDRESS,
        "postcode": Kind.POSTCODE,
        "zip": Kind.POSTCODE,
        "sex": Kind.SEX,
        "gender": Kind.SEX,
        "salary": Kind.SALARY,
        "wage": Kind.SALARY,
        "position": Kind.EMPLOYMENT,
        "department": Kind.EMPLOYMENT,
        "occupation": Kind.EMPLOYMENT,
    }
)
# Whole-name patterns, for hints made of several tokens.
_NAME_HINTS: tuple[tuple[re.Pattern[str], Kind], ...] = (
    (re.compile(r"(^|_)(last_name|family_name)$"), Kind.LAST_NAME),
    (re.compile(r"(^|_)(first_name|given_name)$"), Kind.FIRST_NAME),
    (re.compile(r"(^|_)(middle_name)$"), Kind.PATRONYMIC),
    (re.compile(r"(^|_)(full_name|head_name|person_name)$"), Kind.FULL_NAME),
    (re.compile(r"(^|_)(birth_date|date_of_birth|birthday|dob|born_on)$"), Kind.BIRTH_DATE),
    (re.compile(r"(^|_)(hire_date|hired_on|job_title)$"), Kind.EMPLOYMENT),
    (re.compile(r"(^|_)(id_doc_number|passport_number|document_number)$"), Kind.ID_DOCUMENT),
)

# Kinds only a name can reveal, and the type categories (pg_type.typcategory) they fit.
NAME_ONLY_KINDS: MappingProxyType[Kind, frozenset[str]] = MappingProxyType(
    {
        Kind.BIRTH_DATE: frozenset({"D", "S"}),  # date/timestamp, or a date kept as text
        Kind.SEX: frozenset({"S", "B"}),
        Kind.SALARY: frozenset({"N"}),
        Kind.EMPLOYMENT: frozenset({"S", "D"}),  # a position, a department, a hire date
    }
)


def name_hint(column: str) -> Kind | None:
    """The kind a column's name suggests, if any."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", column).lower()
    for pattern, kind in _NAME_HINTS:
        if pattern.search(name):
            return kind
    for token in reversed(name.split("_")):  # the last word names the thing: home_address
        if token in _TOKEN_HINTS:
            return _TOKEN_HINTS[token]
    return None


def name_only_hint(column: str, type_category: str) -> Kind | None:
    """A kind no value can show, suggested by the name and fitting the column's type."""
    kind = name_hint(column)
    if kind is None or type_category not in NAME_ONLY_KINDS.get(kind, frozenset()):
        return None
    return kind
