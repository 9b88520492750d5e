"""Watching the audit trail for unlawful access (regulation 7.2.2): rules over the stored
records, alerts for the security team, and the measures the proxy takes itself (suspension).

`model` holds what the parts share: a rule's query and its findings, a stored alert, a
suspension. The rules (`rules/`, configured by `policies/detection.toml` through `config`) are
SQL windows over `palata_audit.records`, so several proxy instances writing one audit store
are watched as one; `engine` runs them on a schedule under an advisory lock and a watermark,
`store` keeps alerts, `suspensions` keeps and enforces suspensions, `webhook` tells monitoring.
Nothing here holds raw personal data: subjects are the audit trail's keyed fingerprints.
"""
