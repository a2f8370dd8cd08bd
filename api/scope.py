"""Who may call a route, and over what: scope as data, checked in one dependency.

Every route declares its access with :func:`access` (or :data:`Public`): for each role it
admits, the scope that role has over the route's data.

- ``own_account``: the logged-in user's own records (the service filters by user id);
- ``own_street``: records of the reviewer's own street in their own district;
- ``own_district``: records of the user's own district;
- ``all``: every district, for roles meant to span them (notaries, auditors).

Where a route names a resource in its path or query (a round, an applicant, a window, a
plan's district), a *locator* dependency finds where that resource lives and the check
compares it with the user's district and street before the route body runs. Routes that
list data without naming a resource pass the user's district or street to the service,
which filters by it. ``tests/integration/test_route_scope.py`` walks the app's route table:
a route without a declaration fails it.

This module deliberately does not use ``from __future__ import annotations``: the
dependency functions are built in closures, and FastAPI must see their annotations as
objects, not as strings to resolve in module globals.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from fastapi import Depends, Request

from api.deps import CSRF_FORM_FIELD, CSRF_HEADER, FORM_TYPES, SAFE_METHODS, current_user
from paiwei.accounts.models import Role
from paiwei.accounts.service import AuthUser
from paiwei.intake.errors import IntakeError
from paiwei.problems import ProblemError


class Scope(StrEnum):
    PUBLIC = "public"
    OWN_ACCOUNT = "own_account"
    OWN_STREET = "own_street"
    OWN_DISTRICT = "own_district"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class Place:
    """Where a resource lives: a district code (``110105``) and, for applicants, a street."""

    district: str
    street: str | None = None


@dataclass
class AccessError(ProblemError):
    CATALOGUE: ClassVar[Mapping[str, tuple[int, str]]] = {
        "out_of_district": (403, "该记录不属于您所在的区"),
        "out_of_street": (403, "该记录不属于您所在的街道"),
    }
    code: str
    field: str | None = None
    detail: str | None = None


Locator = Callable[..., Place]
"""A dependency returning the :class:`Place` of the resource a request names (it raises the
domain's not-found error when there is none)."""


@dataclass(frozen=True, slots=True)
class Access:
    """A route's declared access: the scope of each admitted role, and its locator."""

    rules: Mapping[Role, Scope]
    locator: Locator | None

    @property
    def public(self) -> bool:
        return not self.rules


ACCESS_ATTRIBUTE = "paiwei_access"


async def _check_csrf(request: Request, user: AuthUser) -> None:
    # Synchronizer token: the X-CSRF-Token header (API) or a csrf_token form field (HTML
    # forms); SameSite=Strict on the cookie is a second line of defence.
    if request.method in SAFE_METHODS:
        return
    token = request.headers.get(CSRF_HEADER)
    if token is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
        value = (await request.form()).get(CSRF_FORM_FIELD)
        token = value if isinstance(value, str) else None
    import hmac  # noqa: PLC0415 - tiny, kept next to its one use

    if token is None or not hmac.compare_digest(token, user.csrf_token):
        raise IntakeError("csrf_failed")


def _check_place(user: AuthUser, scope: Scope, place: Place | None) -> None:
    if scope in (Scope.ALL, Scope.OWN_ACCOUNT):
        return
    # own_district / own_street: a staff account without a district sees nothing.
    if user.district is None:
        raise AccessError("out_of_district")
    if scope == Scope.OWN_STREET and user.street is None:
        raise AccessError("out_of_street")
    if place is None:
        return  # a listing: the service filters by the user's district and street
    if place.district != user.district:
        raise AccessError("out_of_district")
    if scope == Scope.OWN_STREET and place.street != user.street:
        raise AccessError("out_of_street")


def access(rules: Mapping[Role, Scope], *, locate: Locator | None = None) -> Any:
    """``Depends`` for a route admitting ``rules``' roles, each with its scope.

    The dependency yields the :class:`AuthUser`. Order of refusals: 401 not logged in,
    403 ``forbidden`` (role), 403 ``csrf_failed`` (unsafe method without the token), then
    the locator (404 for a missing resource), then 403 ``out_of_district`` /
    ``out_of_street``.
    """
    if not rules or Scope.PUBLIC in rules.values():
        raise ValueError("use Public for routes without login")
    declared = Access(rules=dict(rules), locator=locate)

    async def role_and_csrf(request: Request,
                            user: Annotated[AuthUser, Depends(current_user)]) -> AuthUser:
        if user.role not in declared.rules:
            raise IntakeError("forbidden")
        await _check_csrf(request, user)
        return user

    # Async: a comparison of values, run on the event loop (no trip through the threadpool).
    if locate is None:
        async def check(user: Annotated[AuthUser, Depends(role_and_csrf)]) -> AuthUser:
            _check_place(user, declared.rules[user.role], None)
            return user
    else:
        async def check(user: Annotated[AuthUser, Depends(role_and_csrf)],  # type: ignore[misc]
                  place: Annotated[Place, Depends(locate)]) -> AuthUser:
            _check_place(user, declared.rules[user.role], place)
            return user

    setattr(check, ACCESS_ATTRIBUTE, declared)
    check.__name__ = "access_" + "_".join(f"{r}_{s}" for r, s in sorted(declared.rules.items()))
    return Depends(check)


def _public() -> None:
    """Anyone, without login (registration, login, captchas, public statements)."""


setattr(_public, ACCESS_ATTRIBUTE, Access(rules={}, locator=None))
Public = Depends(_public)
"""For ``dependencies=[Public]``: the route is open to anyone, deliberately."""


def declared_access(dependant: Any) -> list[Access]:
    """Every access declaration in a route's dependency tree (the route-table test)."""
    found: list[Access] = []
    stack = [dependant]
    while stack:
        node = stack.pop()
        declared = getattr(node.call, ACCESS_ATTRIBUTE, None) if node.call else None
        if declared is not None:
            found.append(declared)
        stack.extend(node.dependencies)
    return found


# The annotations most routes use; routes naming a resource build theirs with a locator.
ParentUser = Annotated[AuthUser, access({Role.PARENT: Scope.OWN_ACCOUNT})]
"""A parent, over their own account, child and choices."""
AnyUser = Annotated[AuthUser, access(dict.fromkeys(Role, Scope.OWN_ACCOUNT))]
"""Any logged-in user, over their own account (log out, who am I)."""
DistrictStaff = Annotated[AuthUser, access({Role.DISTRICT_STAFF: Scope.OWN_DISTRICT})]
"""District staff over their own district: the service filters by ``user.district``."""
