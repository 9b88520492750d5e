"""The closed vocabularies of the policy: kinds of personal data and mask operators.

Sits under the decide step of the pipeline: the catalogue says which kind of personal data a
column holds, the policy says whether a role sees it masked, and the mask operator named here is
what the SQL rewriter (which turns each operator into a type-preserving SQL expression inside the
masking subquery) must apply. Nothing here touches SQL; it only names and constrains.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType


class MaskOperator(StrEnum):
    """What a masked column must produce. Every mask keeps the column's type and typmod.

    - ``null``: SQL NULL cast to the column's type (`NULL::bpchar(12)`). The safe default for
      anything key-like or identifying: a constant would make joins on the column explode.
    - ``partial_last4``: text/char values with every character but the last four replaced by
      ``*`` (length kept, so char(12) stays char(12)); NULL stays NULL; values of four characters
      or fewer become all ``*``. Reveals at most the last four characters, nothing else.
    - ``year_only``: a date or timestamp truncated to 1 January of its year (00:00); NULL stays
      NULL. Only for date kinds.
    - ``redact``: free text returned with the personal data in it replaced by Presidio
      (``<PERSON>``, ``<KZ_IIN>``, ``<PHONE_NUMBER>``, …). The database still computes on the
      clear text, so such a column may only be projected as it is: using it in a predicate,
      expression, join, grouping, ordering or aggregate must be denied by the analyser.
    - ``redact_partial``: as ``redact``, but each finding keeps its shape and a little of
      itself (the last four digits, a name's initials); see `proxy.detection.operators`.
    - ``pseudonym``: each finding (in free text) or the whole value (in an identifier or name
      column) becomes ``<TYPE:token>``, a keyed HMAC-SHA256 that is the same wherever the value
      appears, so analysts can count and join without seeing it. Needs
      ``redaction.pseudonym_key``.

    The last three are applied by the proxy to the values the database returns
    (`applied_by_proxy`), with the same restriction as ``redact``.
    """

    NULL = "null"
    PARTIAL_LAST4 = "partial_last4"
    YEAR_ONLY = "year_only"
    REDACT = "redact"
    REDACT_PARTIAL = "redact_partial"
    PSEUDONYM = "pseudonym"

    @property
    def applied_by_proxy(self) -> bool:
        """Whether the database returns the clear value and the proxy masks it on the way out
        (so the column may only be projected as it is)."""
        return self in _APPLIED_BY_PROXY


class Kind(StrEnum):
    """What kind of personal data a column holds (the names of proxy.synth.catalogue.KINDS)."""

    IIN = "iin"
    BIN = "bin"
    LAST_NAME = "last_name"
    FIRST_NAME = "first_name"
    PATRONYMIC = "patronymic"
    FULL_NAME = "full_name"
    BIRTH_DATE = "birth_date"
    SEX = "sex"
    ID_DOCUMENT = "id_document"
    ADDRESS = "address"
    POSTCODE = "postcode"
    PHONE = "phone"
    EMAIL = "email"
    IBAN = "iban"
    SALARY = "salary"
    EMPLOYMENT = "employment"
    FREE_TEXT = "free_text"


class Category(StrEnum):
    """Whose data it is (regulation clause 3.1)."""

    EMPLOYEE = "employee"
    COUNTERPARTY = "counterparty"
    APPLICANT = "applicant"


_APPLIED_BY_PROXY = frozenset(
    {MaskOperator.REDACT, MaskOperator.REDACT_PARTIAL, MaskOperator.PSEUDONYM}
)
_TEXT_IDENTIFIERS = frozenset({Kind.IIN, Kind.BIN, Kind.IBAN, Kind.PHONE, Kind.ID_DOCUMENT})
_NAMES = frozenset({Kind.LAST_NAME, Kind.FIRST_NAME, Kind.PATRONYMIC, Kind.FULL_NAME})

# The detector's entity type a whole value of each kind is, for pseudonyms of whole values: the
# same IIN gets the same token in an `iin` column and inside a note.
ENTITY_OF_KIND: MappingProxyType[Kind, str] = MappingProxyType(
    {
        Kind.IIN: "KZ_IIN",
        Kind.BIN: "KZ_BIN",
        Kind.IBAN: "IBAN_CODE",
        Kind.PHONE: "PHONE_NUMBER",
        Kind.ID_DOCUMENT: "KZ_ID_DOCUMENT",
        Kind.EMAIL: "EMAIL_ADDRESS",
        **{kind: "PERSON" for kind in _NAMES},
    }
)

# The mask a column gets when the policy says `mask` and neither the rule nor the catalogue names
# one. Identifiers reveal at most their last four characters; everything else is withheld.
DEFAULT_MASKS: MappingProxyType[Kind, MaskOperator] = MappingProxyType(
    {
        **{kind: MaskOperator.NULL for kind in Kind},
        Kind.IIN: MaskOperator.PARTIAL_LAST4,
        Kind.BIN: MaskOperator.PARTIAL_LAST4,
        Kind.FREE_TEXT: MaskOperator.REDACT,
    }
)

# Which operators make sense for which kinds; the loader refuses the others, so a policy cannot
# ask the rewriter for `year_only` on a phone or `redact` on an IIN.
_ALLOWED: MappingProxyType[MaskOperator, frozenset[Kind]] = MappingProxyType(
    {
        MaskOperator.NULL: frozenset(Kind),
        MaskOperator.PARTIAL_LAST4: _TEXT_IDENTIFIERS,
        MaskOperator.YEAR_ONLY: frozenset({Kind.BIRTH_DATE}),
        MaskOperator.REDACT: frozenset({Kind.FREE_TEXT}),
        MaskOperator.REDACT_PARTIAL: frozenset({Kind.FREE_TEXT}),
        MaskOperator.PSEUDONYM: frozenset({Kind.FREE_TEXT, *ENTITY_OF_KIND}),
    }
)


def mask_fits(operator: MaskOperator, kind: Kind | None) -> bool:
    """Whether `operator` may be applied to a column of `kind` (None: not personal data)."""
    if kind is None:
        return operator is MaskOperator.NULL
    return kind in _ALLOWED[operator]


def parse_mask(text: str) -> MaskOperator | None:
    """The operator named `text`, or None if it names none."""
    try:
        return MaskOperator(text)
    except ValueError:
        return None
