"""Which generated columns hold personal data, of what kind, and whose (regulation clause 3.1).

The personal-data catalogue and the discovery scanner are checked against these maps: a scanner
run over a freshly generated database must find exactly the columns of PERSONAL_COLUMNS (for
the kinds it can recognise from values, see VALUE_KINDS). SUBJECT_KEYS says, per table, which
column identifies the data subject a row belongs to — what a per-subject block, a subject access
report or a destruction job filters on.

Not listed, on purpose: organisation names, contract and case numbers (12-digit contract numbers
look like IINs but fail the check digit), amounts, dates of events, regions and cities.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import NamedTuple

EMPLOYEE, COUNTERPARTY, APPLICANT = "employee", "counterparty", "applicant"
CATEGORIES = (EMPLOYEE, COUNTERPARTY, APPLICANT)

KINDS = MappingProxyType(
    {
        "iin": "individual identification number (ИИН/ЖСН), 12 digits with a check digit",
        "bin": "business identification number (БИН/БСН) of an organisation linked to a subject",
        "last_name": "surname",
        "first_name": "given name",
        "patronymic": "patronymic (-ович/-овна, -ұлы/-қызы)",
        "full_name": "surname, given name and patronymic in one value",
        "birth_date": "date of birth",
        "sex": "sex (M/F)",
        "id_document": "identity card or passport number",
        "address": "postal address",
        "postcode": "postcode (6 digits or 7-character Kazpost code)",
        "phone": "phone number in any written form",
        "email": "e-mail address",
        "iban": "KZ IBAN (bank account)",
        "salary": "salary",
        "employment": "position, department or hire date",
        "free_text": "free text that embeds names, IINs, phones, IBANs, e-mails and addresses",
    }
)

# Kinds a scanner can recognise from the values alone (the others need the column's meaning).
VALUE_KINDS = frozenset(
    {
        "iin",
        "bin",
        "last_name",
        "first_name",
        "patronymic",
        "full_name",
        "id_document",
        "address",
        "postcode",
        "phone",
        "email",
        "iban",
        "free_text",
    }
)


def _columns(table: str, category: str, **kinds: str) -> dict[str, tuple[str, str]]:
    return {f"{table}.{column}": (kind, category) for column, kind in kinds.items()}


_NAME = {"last_name": "last_name", "first_name": "first_name", "patronymic": "patronymic"}

PERSONAL_COLUMNS: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {
        **_columns(
            "employees",
            EMPLOYEE,
            iin="iin",
            **_NAME,
            birth_date="birth_date",
            sex="sex",
            position="employment",
            department="employment",
            hire_date="employment",
            phone="phone",
            email="email",
            home_address="address",
            salary="salary",
            id_doc_number="id_document",
        ),
        **_columns(
            "counterparties",
            COUNTERPARTY,
            bin="bin",
            address="address",
            iban="iban",
            phone="phone",
            email="email",
        ),
        **_columns(
            "counterparty_contacts",
            COUNTERPARTY,
            **_NAME,
            position="employment",
            iin="iin",
            phone="phone",
            email="email",
        ),
        **_columns("employers", APPLICANT, bin="bin", address="address", phone="phone"),
        **_columns(
            "debtors",
            APPLICANT,
            iin="iin",
            **_NAME,
            birth_date="birth_date",
            sex="sex",
            id_doc_number="id_document",
            address="address",
            postcode="postcode",
            phone="phone",
            phone_alt="phone",
            email="email",
        ),
        **_columns("relatives", APPLICANT, **_NAME, phone="phone", iin="iin"),
        **_columns("employments", APPLICANT, position="employment", work_phone="phone"),
        **_columns("loans", APPLICANT, iban="iban"),
        **_columns("contact_events", APPLICANT, phone_dialled="phone", note="free_text"),
        **_columns("complaints", APPLICANT, text="free_text"),
        **_columns("applications", APPLICANT, text="free_text"),
        **_columns(
            "tax_arrears", APPLICANT, taxpayer_bin="bin", head_iin="iin", head_name="full_name"
        ),
    }
)


class SubjectKey(NamedTuple):
    """A column of a table that points at a data subject: `subject_table`.id, of `category`."""

    column: str
    subject_table: str
    category: str


_DEBTOR = (SubjectKey("debtor_id", "debtors", APPLICANT),)

SUBJECT_KEYS: MappingProxyType[str, tuple[SubjectKey, ...]] = MappingProxyType(
    {
        "employees": (SubjectKey("id", "employees", EMPLOYEE),),
        "counterparties": (SubjectKey("id", "counterparties", COUNTERPARTY),),
        # contact persons are covered by their counterparty's contract and consent (clause 5.2)
        "counterparty_contacts": (SubjectKey("counterparty_id", "counterparties", COUNTERPARTY),),
        # an employer may be shared by many debtors, so it is a subject of its own
        "employers": (SubjectKey("id", "employers", APPLICANT),),
        "debtors": (SubjectKey("id", "debtors", APPLICANT),),
        "relatives": _DEBTOR,
        "employments": _DEBTOR,
        "loans": _DEBTOR,
        "payments": _DEBTOR,
        "contact_events": _DEBTOR,
        "complaints": _DEBTOR,
        "applications": _DEBTOR,
        "enforcement_proceedings": _DEBTOR,
        "court_cases": _DEBTOR,
        "tax_arrears": _DEBTOR,
        # exactly one of the three is set, the one matching consents.subject_category
        "consents": (
            SubjectKey("employee_id", "employees", EMPLOYEE),
            SubjectKey("counterparty_id", "counterparties", COUNTERPARTY),
            SubjectKey("debtor_id", "debtors", APPLICANT),
        ),
        "case_assignments": _DEBTOR,
    }
)


def columns_of_kind(*kinds: str) -> list[str]:
    """`table.column` names holding any of the given kinds, in catalogue order."""
    return [name for name, (kind, _) in PERSONAL_COLUMNS.items() if kind in kinds]
