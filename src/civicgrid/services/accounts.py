"""Account use cases: users (created, listed, re-passworded, deactivated) and who acts from the command line.

Passwords, which people choose, are hashed with argon2id, outside the transaction. Signing in lives in
``civicgrid.services.sign_in``, API keys in ``civicgrid.services.api_keys``.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.adapters.passwords import Passwords, default_passwords
from civicgrid.demo.accounts import demo_accounts
from civicgrid.demo.people import WorkerSpec
from civicgrid.domain.accounts import (
    InvalidCredentials,
    NotAllowed,
    UnknownAreas,
    UnknownUser,
    UnknownWorker,
    User,
    UsernameTaken,
    UserSpec,
    check_password,
    check_spec,
    normalise_username,
)
from civicgrid.domain.catalogue import Catalogue, UnknownOrganisation
from civicgrid.domain.errors import N_
from civicgrid.domain.roles import Actor, Role

UowFactory = Callable[[], UnitOfWork]

ACCOUNT_ADMINS = frozenset({Role.ADMIN, Role.SYSTEM})


def command_line_actor() -> Actor:
    """Who acts when an administrator runs ``civicgrid`` on the server (named so in the audit log)."""
    try:
        who = getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        who = "?"
    return Actor(role=Role.SYSTEM, name=f"cli:{who}")


# ---------------------------------------------------------------------------------------------- users
def create_user(
    *,
    uow: UowFactory,
    actor: Actor,
    spec: UserSpec,
    password: str,
    now: datetime,
    client: str | None = None,
    passwords: Passwords | None = None,
) -> User:
    """Create an account (administrators only); the password must pass the policy."""
    require_admin(actor)
    spec = check_spec(spec)
    check_password(password, username=spec.username)
    # Hash before the transaction: argon2 takes ~0.15 s and must not hold SQLite's write lock.
    password_hash = (passwords or default_passwords()).hash(password)
    with uow() as u:
        user = _add_user(u, actor, spec, password_hash, now, client)
        u.commit()
    return user


def list_users(*, uow: UowFactory, role: Role | None = None) -> list[User]:
    """Every account (active or not), by user name."""
    with uow() as u:
        return u.accounts.users(role=role)


def set_password(
    *,
    uow: UowFactory,
    actor: Actor,
    username: str,
    password: str,
    now: datetime,
    current_password: str | None = None,
    client: str | None = None,
    passwords: Passwords | None = None,
) -> None:
    """Set a user's password: an administrator for anyone, a user for themself with the current one.

    Every session of the user ends: whoever knew the old password is signed out.
    """
    hasher = passwords or default_passwords()
    name = normalise_username(username)
    check_password(password, username=name)
    new_hash = hasher.hash(password)
    with uow() as u:
        user = _user(u, name)
        if actor.role not in ACCOUNT_ADMINS:
            own = actor.id is not None and actor.id == user.id
            if not own or current_password is None:
                raise NotAllowed(action=N_("change this password"))
            if not hasher.verify(u.accounts.password_hash(user.id), current_password):
                raise InvalidCredentials()
        u.accounts.set_password_hash(user.id, new_hash)
        ended = u.accounts.delete_sessions_of(user.id)
        u.accounts.audit(
            actor=actor,
            action="user.password",
            target=user_target(user),
            detail={"sessions_ended": ended},
            client=client,
            now=now,
        )
        u.commit()


def deactivate(
    *, uow: UowFactory, actor: Actor, username: str, now: datetime, client: str | None = None
) -> User:
    """Stop an account from signing in: its sessions end and its tokens are revoked (administrators only)."""
    require_admin(actor)
    with uow() as u:
        user = _user(u, normalise_username(username))
        if actor.id is not None and actor.id == user.id:
            raise NotAllowed(action=N_("deactivate your own account"))
        u.accounts.set_active(user.id, False)
        ended = u.accounts.delete_sessions_of(user.id)
        revoked = u.accounts.revoke_tokens_of(user.id, now)
        u.accounts.audit(
            actor=actor,
            action="user.deactivate",
            target=user_target(user),
            detail={"sessions_ended": ended, "tokens_revoked": revoked},
            client=client,
            now=now,
        )
        u.commit()
        found = u.accounts.user_by_id(user.id)
    assert found is not None
    return found


# ---------------------------------------------------------------------------------------------- demo
def ensure_demo_accounts(
    *,
    uow: UowFactory,
    people: Sequence[WorkerSpec],
    catalogue: Catalogue,
    now: datetime,
    passwords: Passwords | None = None,
) -> list[str]:
    """Create the demo district's accounts (one per role) that are missing; returns the new user names."""
    hasher = passwords or default_passwords()
    wanted = demo_accounts(people, catalogue)
    with uow() as u:
        missing = [(spec, pw) for spec, pw in wanted if u.accounts.user_by_username(spec.username) is None]
    hashed = [(check_spec(spec), hasher.hash(pw)) for spec, pw in missing]
    created = []
    with uow() as u:
        for spec, password_hash in hashed:
            if u.accounts.user_by_username(spec.username) is None:
                created.append(_add_user(u, Actor.system(), spec, password_hash, now, None).username)
        u.commit()
    return created


# ------------------------------------------------------------------------------------------- helpers
def require_admin(actor: Actor) -> None:
    """Refuse anyone but an administrator (or the system) the management of accounts and API keys."""
    if actor.role not in ACCOUNT_ADMINS:
        raise NotAllowed(action=N_("manage accounts and API keys"))


def user_target(user: User) -> str:
    """How a user is named as the target of an audit entry."""
    return f"user:{user.username}"


def _user(u: UnitOfWork, username: str) -> User:
    user = u.accounts.user_by_username(username)
    if user is None:
        raise UnknownUser(username=username)
    return user


def _add_user(
    u: UnitOfWork, actor: Actor, spec: UserSpec, password_hash: str, now: datetime, client: str | None
) -> User:
    if u.accounts.user_by_username(spec.username) is not None:
        raise UsernameTaken(username=spec.username)
    if spec.worker_code is not None and not u.reference.worker_exists(spec.worker_code):
        raise UnknownWorker(code=spec.worker_code)
    if spec.org_code is not None and not u.reference.organisation_exists(spec.org_code):
        raise UnknownOrganisation(code=spec.org_code)
    if unknown := u.reference.unknown_areas(spec.area_codes):
        raise UnknownAreas(codes=", ".join(unknown))
    if spec.role is Role.GRID_WORKER and not spec.area_codes and spec.worker_code is not None:
        # A grid worker's scope defaults to the grids the worker serves.
        spec = replace(spec, area_codes=u.accounts.grids_of_worker(spec.worker_code))
    user = u.accounts.add_user(spec, password_hash, now)
    u.accounts.audit(
        actor=actor,
        action="user.create",
        target=user_target(user),
        detail={
            "role": user.role.value,
            "worker_code": user.worker_code,
            "org_code": user.org_code,
            "area_codes": sorted(user.area_codes),
        },
        client=client,
        now=now,
    )
    return user
