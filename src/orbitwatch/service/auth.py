"""Bearer-token authentication and role checks.

Every API request carries ``Authorization: Bearer TOKEN``.  The token's
SHA-256 digest is looked up in the ``tokens`` table
(:func:`orbitwatch.store.shared.lookup_token`); a missing, malformed,
unknown or revoked token gets **401**.  Roles are ordered
``viewer < analyst < admin``: viewers read, analysts also contribute
(ingest, screening jobs, findings), admins also see partners and the audit
log.  A role that is too low gets **403**.

Releasability is by *partner*, never by role: an admin of FR sees exactly
the records FR may see.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, status

from orbitwatch.store.shared_models import ROLES

ROLE_RANK = {r: i for i, r in enumerate(ROLES)}


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: partner code (what it may see), role (what it may do), token id (audit)."""

    partner: str
    role: str
    token_id: int

    def at_least(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": 'Bearer realm="orbitwatch"'},
    )


def bearer_token(header: str | None) -> str:
    """The token text of an ``Authorization`` header value; 401 when absent or not Bearer."""
    if not header:
        raise unauthorized("missing Authorization header: send 'Authorization: Bearer TOKEN'")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("Authorization header must be 'Bearer TOKEN'")
    return token.strip()


def forbidden(role: str) -> HTTPException:
    return HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=f"needs role {role} or higher")
