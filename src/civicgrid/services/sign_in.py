"""Signing in: password checks (throttled), page sessions and machine tokens; all audited.

Session ids and tokens are handed out once and stored only as sha256 digests. They are 256-bit random
strings, so a fast hash is enough (passwords, which people choose, get argon2id).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.adapters.passwords import Passwords, default_passwords
from civicgrid.domain.accounts import (
    DEFAULT_THROTTLE,
    AccountDisabled,
    InvalidCredentials,
    ThrottlePolicy,
    TooManyAttempts,
    User,
    check_name,
    check_throttle,
    normalise_username,
)
from civicgrid.domain.roles import Actor
from civicgrid.services.accounts import user_target

UowFactory = Callable[[], UnitOfWork]

SESSION_TTL = timedelta(hours=12)  # idle time after which a page session ends (sliding)
SESSION_MAX_AGE = timedelta(days=7)  # a session ends this long after sign-in however busy it is
TOUCH_EVERY = timedelta(minutes=1)  # store last-seen times at most this often: a write per request is waste
TOKEN_PREFIX = "cgt_"


def secret_hash(secret: str) -> str:
    """How a session id, token or API key is stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def csrf_ok(expected: str, given: str | None) -> bool:
    """Whether a form's CSRF token is the session's (compared in constant time)."""
    return given is not None and hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


# -------------------------------------------------------------------------------------------- sign-in
def authenticate(
    *,
    uow: UowFactory,
    username: str,
    password: str,
    client: str | None,
    now: datetime,
    policy: ThrottlePolicy = DEFAULT_THROTTLE,
    passwords: Passwords | None = None,
) -> User:
    """Check a user name and password; throttled per user name and per client address, always audited.

    Two short transactions around the slow hash check, so sign-ins do not hold the write lock for 0.15 s.
    The attempt is stored as a failure in the first one and corrected on success, so concurrent guesses
    already count against each other.
    """
    hasher = passwords or default_passwords()
    name = normalise_username(username)[:64]
    since = now - policy.lookback
    with uow() as u:
        u.accounts.forget_attempts_before(since)
        try:
            check_throttle(
                username_failures=u.accounts.username_failures(name, since),
                client_failures=u.accounts.client_failures(client, since) if client else (),
                now=now,
                policy=policy,
            )
        except TooManyAttempts as refused:
            u.accounts.audit(
                actor=None,
                action="sign_in.throttled",
                target=f"user:{name}",
                detail={"retry_after": refused.retry_after},
                client=client,
                now=now,
            )
            u.commit()
            raise
        attempt = u.accounts.record_attempt(username=name, client=client, ok=False, now=now)
        user = u.accounts.user_by_username(name)
        stored = u.accounts.password_hash(user.id) if user is not None else None
        u.commit()
    if stored is None:
        hasher.dummy_verify(password)  # same time as a real check: the answer must not reveal the name exists
        matched = False
    else:
        matched = hasher.verify(stored, password)
    # The cost was raised since this hash was made: store a new one (hashed here, outside the transaction).
    upgraded = hasher.hash(password) if matched and stored and hasher.needs_rehash(stored) else None
    with uow() as u:
        if user is None or not matched:
            reason = "unknown_user" if user is None else "wrong_password"
            u.accounts.audit(
                actor=None,
                action="sign_in.failed",
                target=f"user:{name}",
                detail={"reason": reason},
                client=client,
                now=now,
            )
            u.commit()
            raise InvalidCredentials()
        u.accounts.mark_attempt_ok(attempt)
        if not user.active:
            u.accounts.audit(
                actor=user.actor(),
                action="sign_in.refused",
                target=user_target(user),
                detail={"reason": "deactivated"},
                client=client,
                now=now,
            )
            u.commit()
            raise AccountDisabled()
        if upgraded is not None:
            u.accounts.set_password_hash(user.id, upgraded)
        u.accounts.audit(
            actor=user.actor(), action="sign_in", target=user_target(user), client=client, now=now
        )
        u.commit()
    return user


# ------------------------------------------------------------------------------------- page sessions
def start_session(
    *, uow: UowFactory, user: User, now: datetime, ttl: timedelta = SESSION_TTL
) -> tuple[str, str]:
    """A new page session: (secret for the HttpOnly cookie, CSRF token for the session's forms)."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with uow() as u:
        u.accounts.add_session(
            session_id=secret_hash(secret),
            user_id=user.id,
            csrf_token=csrf,
            now=now,
            expires_at=min(now + ttl, now + SESSION_MAX_AGE),
        )
        u.commit()
    return secret, csrf


def resolve_session(*, uow: UowFactory, secret: str, now: datetime) -> tuple[User, str] | None:
    """The user and CSRF token of a live session; None when unknown, expired or the user is deactivated.

    Expiry slides: each use pushes it ``ttl`` (as given at start) past now, never past SESSION_MAX_AGE.
    """
    session_id = secret_hash(secret)
    with uow() as u:
        found = u.accounts.session(session_id)
        if found is None:
            return None
        user = u.accounts.user_by_id(found.user_id)
        hard_end = found.created_at + SESSION_MAX_AGE
        if found.expires_at <= now or hard_end <= now or user is None or not user.active:
            u.accounts.delete_session(session_id)
            u.commit()
            return None
        if now - found.last_seen_at >= TOUCH_EVERY:
            ttl = found.expires_at - found.last_seen_at
            u.accounts.touch_session(session_id, now=now, expires_at=min(now + ttl, hard_end))
            u.commit()
    return user, found.csrf_token


def end_session(*, uow: UowFactory, secret: str, now: datetime, client: str | None = None) -> None:
    """Sign out: the session is gone whatever state it was in."""
    session_id = secret_hash(secret)
    with uow() as u:
        found = u.accounts.session(session_id)
        if found is None:
            return
        user = u.accounts.user_by_id(found.user_id)
        u.accounts.delete_session(session_id)
        if user is not None:
            u.accounts.audit(
                actor=user.actor(), action="sign_out", target=user_target(user), client=client, now=now
            )
        u.commit()


def purge_expired_sessions(*, uow: UowFactory, now: datetime) -> int:
    """Delete sessions past their expiry (a periodic job); returns how many."""
    with uow() as u:
        count = u.accounts.delete_expired_sessions(now)
        u.commit()
    return count


# ------------------------------------------------------------------------------------ machine tokens
def issue_token(
    *,
    uow: UowFactory,
    user: User,
    name: str,
    now: datetime,
    ttl: timedelta | None,
    client: str | None = None,
) -> str:
    """A bearer token acting as ``user`` (None ttl: until revoked). Shown once; only its hash is kept."""
    name = check_name(name)
    if not user.active:
        raise AccountDisabled()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow() as u:
        u.accounts.add_token(
            token_hash=secret_hash(token),
            user_id=user.id,
            name=name,
            now=now,
            expires_at=now + ttl if ttl is not None else None,
        )
        u.accounts.audit(
            actor=user.actor(),
            action="token.issue",
            target=user_target(user),
            detail={"name": name},
            client=client,
            now=now,
        )
        u.commit()
    return token


def resolve_token(*, uow: UowFactory, token: str, now: datetime) -> User | None:
    """The user a bearer token acts as; None when unknown, expired, revoked or the user is deactivated."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with uow() as u:
        found = u.accounts.token(secret_hash(token))
        if found is None or found.revoked_at is not None:
            return None
        if found.expires_at is not None and found.expires_at <= now:
            return None
        user = u.accounts.user_by_id(found.user_id)
    return user if user is not None and user.active else None


def revoke_token(
    *, uow: UowFactory, token: str, now: datetime, actor: Actor | None = None, client: str | None = None
) -> bool:
    """Revoke a bearer token (by its owner, when ``actor`` is None); False when it was unknown or revoked."""
    with uow() as u:
        found = u.accounts.token(secret_hash(token))
        if found is None or not u.accounts.revoke_token(secret_hash(token), now):
            return False
        owner = u.accounts.user_by_id(found.user_id)
        who = actor or (owner.actor() if owner is not None else Actor.system())
        target = user_target(owner) if owner is not None else f"user#{found.user_id}"
        u.accounts.audit(
            actor=who,
            action="token.revoke",
            target=target,
            detail={"name": found.name},
            client=client,
            now=now,
        )
        u.commit()
    return True
