"""Free-text templates: every one renders, and the texts carry personal data as people write it."""

from __future__ import annotations

import re
from random import Random

import pytest

from proxy.synth.chunk import generate_chunk
from proxy.synth.loans import new_loan
from proxy.synth.people import IdentitySource
from proxy.synth.subjects import new_debtor
from proxy.synth.texts import TextContext, application_templates, render, templates
from proxy.synth.world import build_world

from .kz_checks import iin_is_valid


@pytest.fixture(scope="module")
def contexts() -> list[TextContext]:
    """Text contexts for a few debtors of a tiny dataset, with loans and relatives."""
    world, _ = build_world(5, 50)
    rng = Random(3)
    people = IdentitySource(5)
    out = []
    for debtor_id in range(1, 6):
        debtor = new_debtor(rng, people, debtor_id)
        debtor.loans.append(new_loan(rng, world, debtor, debtor_id))
        out.append(TextContext(rng, debtor, debtor.loans[0], "Сейтова А.Б."))
    return out


@pytest.mark.parametrize("kind", ["complaint", "call_note"])
def test_every_template_renders(kind: str, contexts: list[TextContext]) -> None:
    for template in templates(kind):
        for context in contexts:
            text = render(template, context)
            assert "{" not in text and "¶" not in text


def test_every_application_template_renders(contexts: list[TextContext]) -> None:
    kinds = set()
    for kind, template in application_templates():
        kinds.add(kind)
        for context in contexts:
            assert "{" not in render(template, context)
    assert {"restructuring", "consent_withdrawal", "subject_access"} <= kinds


def test_templates_are_in_russian_and_kazakh() -> None:
    every = templates("complaint") + templates("call_note")
    assert sum("ЖСН" in t or "Мен" in t for t in every) >= 5
    assert sum("ИИН" in t for t in every) >= 5


def test_chunk_texts_embed_iins() -> None:
    world, _ = build_world(9, 400)
    complaints = generate_chunk(world, 0)["complaints"].decode().splitlines()
    with_iin = sum(
        any(iin_is_valid(m) for m in re.findall(r"(?<!\d)\d{12}(?!\d)", line))
        for line in complaints
    )
    assert with_iin >= len(complaints) // 3
