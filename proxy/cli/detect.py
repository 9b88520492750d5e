"""`palata-proxy detect`: the proxy's personal-data detector on JSON lines, or its scores.

`--jsonl [FILE]` reads lines `{"text": "..."}` (stdin without FILE) and writes, in order, one
line per input line: `{"entities": [{"type", "start", "end", "score"}]}`, offsets in Python
characters, end exclusive. A line that is not such an object (bad JSON, bad UTF-8, no string
"text", an empty line) gets `{"error": {"line": N, "message": "..."}}` in its place, so output
lines stay aligned with input lines and nothing is lost; the command then ends with status 1.
Messages name the line number and what is wrong, never the line's content. `--evaluate FILE`
prints per-type precision, recall and F1 on a labelled file (`proxy.detection.evaluation`).
The detector is the one the proxy redacts with (`proxy.detection.engine`).

`detect replay` is another detection altogether: the unlawful-access rules over stored audit
history (`proxy.cli.detect_replay`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from proxy.cli import detect_replay
from proxy.errors import ProxyError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "detect",
        help="find personal data in JSON lines, or score the detector on labelled lines",
        usage="%(prog)s [-h] (--jsonl [FILE] | --evaluate FILE)\n"
        "       %(prog)s replay --from T1 --to T2 [options]",
    )
    # not required=True: argparse checks a parent's required group after the action's own
    # parser ran, so `detect replay` would be refused; `run` checks it instead
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--jsonl",
        nargs="?",
        const="-",
        metavar="FILE",
        help='lines {"text": ...} from FILE (default: stdin); one result line per input line',
    )
    mode.add_argument(
        "--evaluate", type=Path, metavar="FILE", help="labelled JSON lines to score against"
    )
    parser.set_defaults(run=run, detect_parser=parser)
    actions = parser.add_subparsers(dest="detect_action", metavar="ACTION")
    detect_replay.add_parser(actions)


def run(args: argparse.Namespace) -> int:
    if args.jsonl is None and args.evaluate is None:
        args.detect_parser.error("one of the arguments --jsonl --evaluate is required")
    from proxy.detection.engine import Detector  # loads Presidio: this command only

    detector = Detector()
    if args.evaluate is not None:
        return _evaluate(detector, args.evaluate)
    if args.jsonl == "-":
        return detect_lines(detector, sys.stdin.buffer, sys.stdout)
    try:
        with open(args.jsonl, "rb") as source:
            return detect_lines(detector, source, sys.stdout)
    except OSError as exc:
        raise ProxyError(
            f"cannot read {args.jsonl}: {exc.strerror or type(exc).__name__}"
        ) from None


def detect_lines(detector: Any, source: Iterable[bytes], out: IO[str]) -> int:
    """Write one result line per input line; 1 if any line was refused, else 0."""
    status = 0
    for number, raw in enumerate(_lines(source), start=1):
        try:
            text = parse_line(raw)
        except ValueError as exc:
            status = 1
            result: dict[str, Any] = {"error": {"line": number, "message": str(exc)}}
        else:
            result = {"entities": [_entity(f) for f in detector.find(text)]}
        out.write(json.dumps(result) + "\n")
        out.flush()  # a caller may feed one line and wait for its answer
    return status


def parse_line(raw: bytes) -> str:
    """The text of an input line; ValueError naming the problem, never quoting the line."""
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8") from None
    if not decoded.strip():
        raise ValueError('empty line; expected {"text": "..."}')
    try:
        record = json.loads(decoded)
    except ValueError:
        raise ValueError("not valid JSON") from None
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise ValueError('expected a JSON object with a string field "text"')
    text: str = record["text"]
    return text


def _lines(source: Iterable[bytes]) -> Iterator[bytes]:
    for raw in source:
        yield raw.rstrip(b"\r\n")


def _entity(finding: Any) -> dict[str, Any]:
    return {
        "type": finding.entity_type,
        "start": finding.start,
        "end": finding.end,
        "score": round(finding.score, 3),
    }


def _evaluate(detector: Any, path: Path) -> int:
    from proxy.detection.evaluation import evaluate, format_table, load_examples

    try:
        examples = load_examples(path)
    except OSError as exc:
        raise ProxyError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    except ValueError as exc:
        raise ProxyError(str(exc)) from None
    print(format_table(evaluate(examples, detector.find), str(path)))
    return 0
