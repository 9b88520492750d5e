"""Benchmark: how fast the proxy's detector finds personal data, cold and warm.

It sits beside the data path: it builds the same `Detector` redaction uses and times it on two
shapes of input, ≈100-character sentences with names and numbers (free-text columns) and short
column values (phones, IINs, names), with every type and with the structured types only (no
name tagger). Each shape is timed cold (distinct texts, the cache empty, so every call runs the
analyzer) and warm (the same texts again, answered from the cache). The one-time load
(natasha's model on the first call) is reported apart. Figures to read, not to
assert. Run from the repository: `.venv/bin/python -m bench.detection [--count N] [--seed S]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from random import Random

from proxy.detection.engine import Detector
from proxy.detection.recognizers import STRUCTURED_TYPES
from proxy.synth.identifiers import make_iin
from proxy.synth.names import random_name
from proxy.synth.phones import random_mobile

SENTENCES = (
    "Должник {name}, ИИН {iin}, тел. {phone}, просит рассрочку по договору № {contract}.",
    "Қарыз алушы {name} ({iin}) {phone} нөміріне хабарласуды сұрады, сомасы 450 000 теңге.",
    "Звонок {date}: {name} обещал оплатить до конца месяца, номер для связи {phone}.",
)


def person(rng: Random) -> str:
    name = random_name(rng, rng.random() < 0.5)
    return f"{name.last} {name.first}"


def iin(rng: Random) -> str:
    return make_iin(
        rng.randrange(1950, 2005),
        rng.randrange(1, 13),
        rng.randrange(1, 29),
        rng.random() < 0.5,
        rng.randrange(5000),
    )


def sentence(rng: Random) -> str:
    return rng.choice(SENTENCES).format(
        name=person(rng),
        iin=iin(rng),
        phone=random_mobile(rng),
        contract=f"{rng.randrange(10**12):012d}",
        date=f"{rng.randrange(1, 29):02d}.{rng.randrange(1, 13):02d}.2025",
    )


def value(rng: Random) -> str:
    return rng.choice((random_mobile, iin, person))(rng)


def per_second(find: Callable[[str], object], texts: Sequence[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        find(text)
    return len(texts) / (time.perf_counter() - started)


def distinct(make: Callable[[Random], str], rng: Random, count: int) -> list[str]:
    texts: dict[str, None] = {}
    while len(texts) < count:
        texts[make(rng)] = None
    return list(texts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=3000, help="distinct texts per shape")
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args(argv)
    rng = Random(args.seed)
    shapes = {
        "sentences (~100 chars)": distinct(sentence, rng, args.count),
        "column values": distinct(value, rng, args.count),
    }
    started = time.perf_counter()
    detector = Detector()
    detector.find("Звонил Сергей Петров")  # loads natasha's model
    print(f"engine build + first call (model load): {time.perf_counter() - started:.2f} s")
    structured = Detector(entities=STRUCTURED_TYPES)  # what a column tagged non-name runs
    print(f"{'shape':<24}{'types':<12}{'chars':>6}{'cold /s':>10}{'warm /s':>12}")
    for name, texts in shapes.items():
        chars = sum(map(len, texts)) / len(texts)
        for label, engine in (("all", detector), ("structured", structured)):
            engine.clear_cache()
            cold = per_second(engine.find, texts)
            warm = per_second(engine.find, texts)
            print(f"{name:<24}{label:<12}{chars:>6.0f}{cold:>10,.0f}{warm:>12,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
