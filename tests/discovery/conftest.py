"""What the discovery tests share: the proxy's detector, built once per session (it loads the
name tagger), and the scan command's own parser."""

from __future__ import annotations

import argparse

import pytest

from proxy.cli import scan
from proxy.discovery.detector import ScanDetector


@pytest.fixture(scope="session")
def detector() -> ScanDetector:
    return ScanDetector()


def scan_args(*argv: str) -> argparse.Namespace:
    """`palata-proxy scan ARGV` parsed as the command would parse it."""
    parser = argparse.ArgumentParser()
    scan.add_parser(parser.add_subparsers())
    return parser.parse_args(["scan", *argv])
