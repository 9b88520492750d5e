"""The Chamber's work on a debtor: case assignments to collectors of the debtor's region,
contact events with notes, complaints and applications with free text, and the debtor's consent.

Assignments only ever name collectors of the debtor's own region, so a collector's row filter
"debtors of my region or assigned to me" agrees with the data.
"""

from __future__ import annotations

from random import Random

from proxy.synth import rowfmt as f
from proxy.synth.fastrandom import weighted_choice
from proxy.synth.subjects import Debtor
from proxy.synth.texts import TextContext, application_templates, render, templates
from proxy.synth.world import World

_CHANNELS = (("call", 70), ("sms", 15), ("whatsapp", 8), ("visit", 4), ("email", 3))
_CALL_OUTCOMES = (
    "no_answer",
    "promise_to_pay",
    "refused",
    "wrong_number",
    "third_party",
    "callback_requested",
    "unreachable",
    "payment_confirmed",
)
_COMPLAINT_CHANNELS = ("web_portal", "email", "post", "egov", "in_person")
_COMPLAINT_STATUSES = ("new", "in_review", "answered", "answered", "rejected")


def assignment_rows(
    rng: Random, world: World, debtor: Debtor, first_id: int, count: int
) -> tuple[list[str], list[int]]:
    """`count` assignments over time, the last one active; also the collectors, oldest first."""
    pool = world.collectors[debtor.region.index]
    start = min(loan.overdue_since for loan in debtor.loans) + rng.randrange(10, 60)
    moments = [min(f.AS_OF - 2, start)]
    for _ in range(count - 1):
        moments.append(min(f.AS_OF - 2, moments[-1] + rng.randrange(30, 240)))
    collectors = [pool[rng.randrange(len(pool))] for _ in range(count)]
    rows = []
    for n, (when, collector) in enumerate(zip(moments, collectors, strict=True)):
        active = n == count - 1
        released = f.NULL if active else f.local_time(moments[n + 1], 32400)
        rows.append(
            f"{first_id + n}\t{debtor.id}\t{collector}\t{debtor.region.name}\t"
            f"{f.local_time(when, 32400 + rng.randrange(28800))}\t{released}\t{f.flag(active)}"
        )
    debtor.collector = collectors[-1]
    return rows, collectors


def contact_event_row(
    rng: Random, world: World, debtor: Debtor, event_id: int, collectors: list[int]
) -> str:
    loan = rng.choice(debtor.loans)
    collector = debtor.collector if rng.random() < 0.85 else rng.choice(collectors)
    day = rng.randrange(min(loan.overdue_since, f.AS_OF - 2), f.AS_OF - 1)
    seconds = rng.randrange(9 * 3600, 20 * 3600)
    if rng.random() < 0.03:  # outside the hours the collection law allows
        seconds = rng.choice(
            (rng.randrange(7 * 3600, 9 * 3600), rng.randrange(20 * 3600, 23 * 3600))
        )
    channel = weighted_choice(rng, _CHANNELS)
    dialled, outcome = _dialled_and_outcome(rng, debtor, channel)
    note = f.NULL
    if rng.random() < 0.7:
        context = TextContext(rng, debtor, loan, world.employee_short[collector - 1])
        note = f.text(render(rng.choice(templates("call_note")), context))
    direction = "inbound" if channel == "call" and rng.random() < 0.1 else "outbound"
    return (
        f"{event_id}\t{debtor.id}\t{loan.id}\t{collector}\t{f.local_time(day, seconds)}\t"
        f"{channel}\t{direction}\t{dialled}\t{outcome}\t{note}"
    )


def _dialled_and_outcome(rng: Random, debtor: Debtor, channel: str) -> tuple[str, str]:
    if channel == "visit":
        return f.NULL, rng.choice(("not_home", "met_debtor", "notice_left"))
    if channel == "email":
        return f.NULL, "sent"
    pick = rng.random()
    if pick < 0.7 or (pick < 0.85 and debtor.phone_alt_written is None):
        number = debtor.phone_written
    elif pick < 0.85 and debtor.phone_alt_written is not None:
        number = debtor.phone_alt_written
    elif pick < 0.95 and debtor.relatives:
        number = rng.choice(debtor.relatives).phone_written
    elif debtor.employer is not None:
        number = debtor.employer[2]
    else:
        number = debtor.phone_written
    if channel == "call":
        return number, rng.choice(_CALL_OUTCOMES)
    return number, rng.choice(("sent", "delivered", "delivered"))


def complaint_row(rng: Random, world: World, debtor: Debtor, row_id: int) -> str:
    loan = rng.choice(debtor.loans)
    received = rng.randrange(min(loan.overdue_since, f.AS_OF - 2), f.AS_OF - 1)
    context = TextContext(rng, debtor, loan, world.employee_short[debtor.collector - 1])
    body = f.text(render(rng.choice(templates("complaint")), context))
    return (
        f"{row_id}\t{debtor.id}\t{loan.creditor_id}\t"
        f"{f.local_time(received, rng.randrange(0, 86400))}\t{rng.choice(_COMPLAINT_CHANNELS)}\t"
        f"{rng.choice(_COMPLAINT_STATUSES)}\t{body}"
    )


def application_row(rng: Random, world: World, debtor: Debtor, row_id: int) -> str:
    loan = rng.choice(debtor.loans)
    kind, template = rng.choice(application_templates())
    received = rng.randrange(min(loan.overdue_since, f.AS_OF - 2), f.AS_OF - 1)
    context = TextContext(rng, debtor, loan, world.employee_short[debtor.collector - 1])
    return (
        f"{row_id}\t{debtor.id}\t{f.local_time(received, rng.randrange(28800, 72000))}\t{kind}\t"
        f"{rng.choice(_COMPLAINT_STATUSES)}\t{f.text(render(template, context))}"
    )


def consent_row(rng: Random, debtor: Debtor, consent_id: int) -> str:
    """Electronic consent of an applicant (clause 5.3); withdrawal locked while a debt is open."""
    open_debt = any(loan.status != "closed" for loan in debtor.loans)
    given = min(loan.contract_date for loan in debtor.loans) + rng.randrange(0, 3)
    until = f.day(f.years_after(given, 5)) if rng.random() < 0.5 else f.NULL
    withdrawn = f.NULL
    if not open_debt and rng.random() < 0.3:
        withdrawn = f.local_time(rng.randrange(given + 30, f.AS_OF), rng.randrange(28800, 72000))
    return (
        f"{consent_id}\tapplicant\t{f.NULL}\t{f.NULL}\t{debtor.id}\tcomplaint_handling\t"
        f"electronic\t{f.local_time(given, rng.randrange(28800, 72000))}\t{until}\t{withdrawn}\t"
        f"{f.flag(open_debt)}\t{'unfulfilled_obligation' if open_debt else f.NULL}\t"
        f"egov:{rng.getrandbits(48):012x}"
    )
