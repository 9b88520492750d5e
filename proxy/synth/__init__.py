"""The synthetic Palata database: realistic, deterministic, scalable test data.

Builds the Chamber's database as the regulation describes it (employees, counterparties,
debtors with relatives and employers, loans, payments, contact events, complaints, public
register extracts, consents, case assignments) with valid Kazakh identifiers and free text in
Russian and Kazakh. `catalogue` says which columns hold which personal data, and whose.
"""

from proxy.synth.build import (
    DEFAULT_DEBTORS,
    DEFAULT_SEED,
    GENERATOR_VERSION,
    DatasetReport,
    build_dataset,
    existing_dataset,
)
from proxy.synth.catalogue import PERSONAL_COLUMNS, SUBJECT_KEYS, SubjectKey
from proxy.synth.errors import DatasetError
from proxy.synth.plan import TABLES

__all__ = [
    "DEFAULT_DEBTORS",
    "DEFAULT_SEED",
    "GENERATOR_VERSION",
    "PERSONAL_COLUMNS",
    "SUBJECT_KEYS",
    "TABLES",
    "DatasetError",
    "DatasetReport",
    "SubjectKey",
    "build_dataset",
    "existing_dataset",
]
