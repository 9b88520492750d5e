"""Purpose limitation (regulation clause 4.4): a request states a purpose its principal may use."""

from __future__ import annotations

import re

from proxy.errors import AccessDenied
from proxy.identity.principals import Principal

# A purpose is an identifier; anything else is repeated in no message (it could carry data).
PURPOSE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def resolve_purpose(principal: Principal, stated: str | None) -> str:
    """The purpose of this request: the stated one if allowed, else the principal's default."""
    if stated is None:
        if principal.default_purpose is None:
            raise AccessDenied(
                f"principal '{principal.name}' has no default purpose: state one in 'purpose' "
                f"(allowed: {_listing(principal)})"
            )
        return principal.default_purpose
    if stated not in principal.purposes:
        shown = f"purpose '{stated}'" if PURPOSE_NAME.fullmatch(stated) else "the stated purpose"
        raise AccessDenied(
            f"{shown} is not allowed for principal '{principal.name}' "
            f"(allowed: {_listing(principal)})"
        )
    return stated


def _listing(principal: Principal) -> str:
    return ", ".join(principal.purposes) or "none"
