"""Purpose limitation (regulation clause 4.4): a request states a purpose its principal may use."""

from __future__ import annotations

from proxy.errors import AccessDenied
from proxy.identity.principals import Principal


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
        raise AccessDenied(
            f"purpose '{stated}' is not allowed for principal '{principal.name}' "
            f"(allowed: {_listing(principal)})"
        )
    return stated


def _listing(principal: Principal) -> str:
    return ", ".join(principal.purposes) or "none"
