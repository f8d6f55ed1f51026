"""FastAPI dependencies: database session per request, the caller, role guards, audit.

Routes are plain ``def`` functions (run in Starlette's thread pool) using a
synchronous SQLAlchemy ``Session``; each request gets its own session from
``app.state.sessions`` and closes it at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from orbitwatch.service.auth import Principal, bearer_token, forbidden, unauthorized
from orbitwatch.service.settings import ServiceSettings
from orbitwatch.store import shared


def get_settings(request: Request) -> ServiceSettings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    """One session per request (rolled back if the route did not commit)."""
    with request.app.state.sessions() as session:
        yield session


_bearer = HTTPBearer(auto_error=False, description="API token from 'orbitwatch token create'")


def get_principal(
    creds: HTTPAuthorizationCredentials | None = Depends(_bearer),
    db: Session = Depends(get_db),
) -> Principal:
    if creds is None:
        raise unauthorized("missing or malformed Authorization header: send 'Authorization: Bearer TOKEN'")
    token = bearer_token(f"{creds.scheme} {creds.credentials}")
    info = shared.lookup_token(db, token=token)
    if info is None:
        raise unauthorized("unknown or revoked token")
    return Principal(partner=info.partner, role=info.role, token_id=info.id)


def principal_now(request: Request, authorization: str | None) -> Principal:
    """The caller, looked up in a session closed at once (for long-lived responses)."""
    token = bearer_token(authorization)
    with request.app.state.sessions() as db:
        info = shared.lookup_token(db, token=token)
    if info is None:
        raise unauthorized("unknown or revoked token")
    return Principal(partner=info.partner, role=info.role, token_id=info.id)


def require(role: str):
    """Dependency factory: the caller, who must have ``role`` or higher (403 otherwise)."""

    def check(principal: Principal = Depends(get_principal)) -> Principal:
        if not principal.at_least(role):
            raise forbidden(role)
        return principal

    return check


viewer = require("viewer")
analyst = require("analyst")
admin = require("admin")


@dataclass
class Paging:
    limit: int
    offset: int


def paging(
    request: Request,
    limit: int | None = Query(None, ge=0, description="page size (default 100, max 1000)"),
    offset: int = Query(0, ge=0, description="records to skip"),
) -> Paging:
    s: ServiceSettings = request.app.state.settings
    lim = s.default_page_limit if limit is None else min(limit, s.max_page_limit)
    return Paging(limit=lim, offset=offset)


@dataclass
class Audit:
    """Writes audit entries for the current request into its session and commits."""

    db: Session
    principal: Principal
    request: Request

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A write transaction: ends the request's read snapshot, takes the app's
        write lock (SQLite: one writer at a time, so a transaction never has to
        upgrade from a stale read snapshot), commits on success, rolls back on error."""
        self.db.rollback()
        with self.request.app.state.write_lock:
            try:
                yield self.db
                self.db.commit()
            except BaseException:
                self.db.rollback()
                raise

    def __call__(
        self,
        action: str,
        resource: str,
        record_ids: Iterable | None = None,
        *,
        count: int | None = None,
        status: int = 200,
        commit: bool = True,
    ) -> None:
        if commit:
            with self.writing():
                self(action, resource, record_ids, count=count, status=status, commit=False)
            return
        url = self.request.url
        path = url.path + (f"?{url.query}" if url.query else "")
        shared.record_audit(
            self.db,
            partner=self.principal.partner,
            token_id=self.principal.token_id,
            role=self.principal.role,
            action=action,
            method=self.request.method,
            path=path,
            resource=resource,
            record_ids=record_ids,
            count=count,
            status=status,
        )


def audit_for(role: str):
    """Dependency factory: an :class:`Audit` bound to the caller (who must have ``role``)."""
    guard = require(role)

    def make(
        request: Request,
        principal: Principal = Depends(guard),
        db: Session = Depends(get_db),
    ) -> Audit:
        return Audit(db=db, principal=principal, request=request)

    return make


def not_found(what: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"{what} not found")
