"""Discovery: find the personal-data columns of a database and propose catalogue entries.

Beside the request path, not on it: `palata-proxy scan` samples every column (`sampling`, the
only module that touches the database), turns each sampled value into counts of what it looks
like (`evidence`, with the proxy's Presidio detector and the value shapes it lacks), decides a
kind per column from those counts and the column's name and type (`classify`), compares the
verdicts with the existing catalogue (`review`) and writes a file a person reads and merges
(`report`). Only counts leave the scan; no sampled value is kept, logged or written.
"""

from proxy.discovery.classify import Verdict, classify_column
from proxy.discovery.evidence import ColumnEvidence, ColumnInfo, gather_evidence
from proxy.discovery.review import Review, review_verdicts
from proxy.discovery.scan import ScanResult, scan_database

__all__ = [
    "ColumnEvidence",
    "ColumnInfo",
    "Review",
    "ScanResult",
    "Verdict",
    "classify_column",
    "gather_evidence",
    "review_verdicts",
    "scan_database",
]
