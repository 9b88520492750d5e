"""Rules that turn tokens into person-name spans, and that judge the NER tagger's spans.

`person_spans` in `names.py` runs natasha and hands its spans here. The rules keep a tagged span
only when a word in it is a name part (a known given name, a surname or patronymic by its ending,
an initial) and it does not name a street, town or organisation; they add the names the tagger
missed (a given name beside a surname or patronymic, "Ахметов Е.К.", a word after "гр."/"г-н" or
before "мырза"/"ханым"), join pieces of one name and widen a span to the name parts beside it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from itertools import pairwise

from proxy.detection.name_lexicon import NameLexicon
from proxy.detection.name_tokens import Kind, Token, joined

Span = tuple[int, int]
MAX_NAME_WORDS = 4


def candidate_runs(tokens: list[Token], text: str) -> list[list[Token]]:
    """Maximal runs of capitalised words set apart by spaces only, split at words never names."""
    runs: list[list[Token]] = []
    current: list[Token] = []
    for token in tokens:
        usable = token.kind.may_join_a_name
        if usable and current and joined(current[-1], token, text):
            current.append(token)
            continue
        if current:
            runs.append(current)
        current = [token] if usable else []
    if current:
        runs.append(current)
    return runs


def name_in_run(run: list[Token]) -> Span | None:
    """The name inside a run of capitalised words, when its parts make one."""
    parts = [i for i, token in enumerate(run) if token.kind.is_name_part]
    if not parts:
        return None
    core = run[parts[0] : parts[-1] + 1]
    if len(parts) >= 2 and len(core) <= MAX_NAME_WORDS and _parts_make_a_name(core):
        return core[0].start, core[-1].end
    if len(parts) == 1 and len(run) == 2 and _pairs_with_unknown_word(run[parts[0]].kind):
        return run[0].start, run[1].end  # "Ахметов Ерсайын", "Ерсін Болатұлы": one part unknown
    return None


def _pairs_with_unknown_word(kind: Kind) -> bool:
    surname = Kind.SURNAME in kind and Kind.ADJECTIVAL not in kind
    return surname or Kind.PATRONYMIC in kind


def _parts_make_a_name(core: list[Token]) -> bool:
    kinds = Kind.NONE
    for token in core:
        kinds |= token.kind
    if kinds & (Kind.GIVEN | Kind.PATRONYMIC):
        return True
    return Kind.SURNAME in kinds and Kind.INITIALS in kinds


def rule_spans(tokens: list[Token], text: str) -> list[Span]:
    spans = []
    for run in candidate_runs(tokens, text):
        span = name_in_run(run)
        if span is None and len(run) == 1 and stands_alone(run[0].kind):
            span = run[0].start, run[0].end
        if span is not None:
            spans.append(span)
    return spans + opening_word_with_patronymic(tokens, text)


def stands_alone(kind: Kind) -> bool:
    """A single word taken for a name: a listed or Kazakh-built given name (Бекжанға, Динара),
    or a surname in the middle of a sentence or with a Kazakh case (Қалиевке). An everyday word
    that is also a name (Бақыт, Жеңіс) does not count when it only opens the sentence."""
    if Kind.NOT_NAME in kind or Kind.ADJECTIVAL in kind:
        return False
    if Kind.GIVEN in kind and Kind.LISTED in kind:
        return not _everyday_word_first(kind)
    if Kind.SURNAME in kind and Kind.GIVEN not in kind:
        return Kind.KAZAKH_CASE in kind or Kind.OPENS_SENTENCE not in kind
    return False


def opening_word_with_patronymic(tokens: list[Token], text: str) -> list[Span]:
    """ "Тоқтарәлі Жақыпбекұлы": a sentence's first word before a patronymic is its given name,
    however rare (the first word is otherwise not trusted to be part of a name)."""
    spans = []
    for left, right in pairwise(tokens):
        opening = Kind.OPENS_SENTENCE in left.kind and Kind.CAPITALISED in left.kind
        if (
            opening
            and Kind.NOT_NAME not in left.kind
            and Kind.PATRONYMIC in right.kind
            and joined(left, right, text)
        ):
            spans.append((left.start, right.end))
    return spans


def titled_spans(tokens: list[Token], text: str, lexicon: NameLexicon) -> list[Span]:
    """Names after a title ("гр. Ахметов", "г-жа Ким") or before "мырза"/"ханым"."""
    spans = []
    for index, token in enumerate(tokens):
        if token.bare in lexicon.titles:
            following = _capitalised_neighbours(tokens, index, +1, text)
            if following:
                spans.append((following[0].start, following[-1].end))
        if token.bare in lexicon.honorifics_after and index > 0:
            preceding = _capitalised_neighbours(tokens, index, -1, text)
            if preceding:
                spans.append((preceding[-1].start, preceding[0].end))
    return spans


def _capitalised_neighbours(tokens: list[Token], index: int, step: int, text: str) -> list[Token]:
    found: list[Token] = []
    previous = tokens[index]
    position = index + step
    while 0 <= position < len(tokens) and len(found) < 3:
        token = tokens[position]
        left, right = (previous, token) if step > 0 else (token, previous)
        usable = Kind.CAPITALISED in token.kind and Kind.NOT_NAME not in token.kind
        if not usable or not joined(left, right, text):
            break
        found.append(token)
        previous = token
        position += step
    return found


def vetted_tagger_spans(spans: Iterable[Span], tokens: list[Token]) -> list[Span]:
    """The tagger's spans cut at words that are not names (a kinship word between two names:
    "Жасұланның әкесі Серік Омаров"), each piece kept only if a word in it is a name part."""
    kept = []
    for start, end in spans:
        inside = [t for t in tokens if t.start >= start and t.end <= end]
        for words in _pieces(inside):
            if len(words) == 1 and _everyday_word_first(words[0].kind):
                continue  # "Бақыт пен денсаулық тілеймін!"
            if any(token.kind.is_name_part for token in words):
                kept.append((words[0].start, words[-1].end))
    return kept


def _everyday_word_first(kind: Kind) -> bool:
    return Kind.COMMON_WORD in kind and Kind.OPENS_SENTENCE in kind


def _pieces(words: list[Token]) -> list[list[Token]]:
    pieces: list[list[Token]] = [[]]
    for token in words:
        if token.kind.may_join_a_name:
            pieces[-1].append(token)
        elif pieces[-1]:
            pieces.append([])
    return [piece for piece in pieces if piece]


def merged(spans: Iterable[Span], text: str) -> list[Span]:
    """Overlapping spans, and spans set apart by spaces only, become one."""
    result: list[Span] = []
    for start, end in sorted(spans):
        if result and (start <= result[-1][1] or text[result[-1][1] : start].isspace()):
            result[-1] = (result[-1][0], max(end, result[-1][1]))
        else:
            result.append((start, end))
    return result


def widened(span: Span, tokens: list[Token], text: str) -> Span:
    """The span grown over name parts right beside it (a cut patronymic, a missed surname)."""
    starts = [t.start for t in tokens]
    first = bisect_left(starts, span[0])
    last = bisect_left(starts, span[1]) - 1
    if first > last:
        return span
    while first > 0 and _extends(tokens[first - 1], tokens[first], tokens[first - 1], text):
        first -= 1
    while last + 1 < len(tokens) and _extends(
        tokens[last], tokens[last + 1], tokens[last + 1], text
    ):
        last += 1
    return tokens[first].start, tokens[last].end


def _extends(left: Token, right: Token, candidate: Token, text: str) -> bool:
    is_part = candidate.kind.is_name_part and Kind.NOT_NAME not in candidate.kind
    return is_part and joined(left, right, text)
