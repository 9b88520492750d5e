"""The audit trail: one chained, signed record per statement, durable before a result leaves.

`open_audit(settings, instance)` gives the process's `AuditSink`; `AuditKeys` (`sink.keys`)
makes the subject and parameter fingerprints that go into records; `palata-proxy audit verify`
checks the chains in the store.
"""

from proxy.audit.chain import Chain, ChainProblem, ChainSummary, ChainTail, ChainVerifier
from proxy.audit.errors import AuditStoreUnavailable, AuditUnavailable
from proxy.audit.keys import AuditKeys
from proxy.audit.record import AuditRecord, ColumnAccess, GapFinding
from proxy.audit.sink import AuditMetrics, AuditSink, ChainedAuditSink
from proxy.audit.startup import UnauditedSink, open_audit

__all__ = [
    "AuditKeys",
    "AuditMetrics",
    "AuditRecord",
    "AuditSink",
    "AuditStoreUnavailable",
    "AuditUnavailable",
    "Chain",
    "ChainProblem",
    "ChainSummary",
    "ChainTail",
    "ChainVerifier",
    "ChainedAuditSink",
    "ColumnAccess",
    "GapFinding",
    "UnauditedSink",
    "open_audit",
]
