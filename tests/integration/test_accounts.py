"""Accounts on a real database: sign-in, throttling, sessions, tokens, API keys, the append-only audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from civicgrid.adapters.db.account_tables import audit_log, sessions
from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.adapters.passwords import FAST_FOR_TESTS, Argon2Cost, Passwords
from civicgrid.demo.people import WorkerKind, WorkerSpec, generate_people
from civicgrid.domain.accounts import (
    AccountDisabled,
    ApiKeyNameTaken,
    AuditEntry,
    InvalidCredentials,
    NotAllowed,
    TooManyAttempts,
    UnknownApiKey,
    UnknownWorker,
    User,
    UsernameTaken,
    UserSpec,
    WeakPassword,
)
from civicgrid.domain.roles import Actor, Role
from civicgrid.services import accounts, api_keys
from civicgrid.services.reference import seed_reference_data
from civicgrid.services.sign_in import (
    SESSION_MAX_AGE,
    authenticate,
    csrf_ok,
    end_session,
    issue_token,
    purge_expired_sessions,
    resolve_session,
    resolve_token,
    revoke_token,
    secret_hash,
    start_session,
)

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
FAST = Passwords(FAST_FOR_TESTS)
ADMIN = Actor(role=Role.ADMIN, id=1000, name="admin")
PASSWORD = "correct horse battery"

Uow = Callable[[], UnitOfWork]


@pytest.fixture
def uow(engine: Engine) -> Uow:
    return lambda: UnitOfWork(engine)


def make_user(uow: Uow, username: str = "wang", role: Role = Role.OPERATOR, **kw: object) -> User:
    spec = UserSpec(username, role, **kw)  # type: ignore[arg-type]
    return accounts.create_user(uow=uow, actor=ADMIN, spec=spec, password=PASSWORD, now=T0, passwords=FAST)


def sign_in(
    uow: Uow, username: str, password: str, *, at: datetime = T0, client: str | None = "10.0.0.1"
) -> User:
    return authenticate(uow=uow, username=username, password=password, client=client, now=at, passwords=FAST)


def audit(uow: Uow, action: str | None = None) -> list[AuditEntry]:
    with uow() as u:
        return u.accounts.audit_entries(action=action)


# ----------------------------------------------------------------------------------------- sign-in
def test_a_created_user_signs_in_and_both_are_audited(uow: Uow) -> None:
    created = make_user(uow, "Wang", display_name="王受理")
    user = sign_in(uow, " WANG ", PASSWORD)
    assert user == created and user.actor().name == "王受理"
    (made,) = audit(uow, "user.create")
    assert (made.actor_name, made.actor_role, made.target) == ("admin", "admin", "user:wang")
    (signed,) = audit(uow, "sign_in")
    assert (signed.actor_id, signed.client, signed.at) == (user.id, "10.0.0.1", T0)


def test_unknown_user_and_wrong_password_get_the_same_answer(uow: Uow) -> None:
    make_user(uow)
    with pytest.raises(InvalidCredentials) as unknown:
        sign_in(uow, "nobody", PASSWORD)
    with pytest.raises(InvalidCredentials) as wrong:
        sign_in(uow, "wang", "wrong horse battery")
    assert str(unknown.value) == str(wrong.value) == "Wrong user name or password."
    reasons = [e.detail["reason"] for e in audit(uow, "sign_in.failed")]
    assert reasons == ["wrong_password", "unknown_user"]


def test_five_failures_lock_the_name_even_for_the_right_password_until_the_lock_ends(uow: Uow) -> None:
    make_user(uow)
    for i in range(5):
        with pytest.raises(InvalidCredentials):
            sign_in(uow, "wang", "wrong horse battery", at=T0 + timedelta(seconds=i))
    with pytest.raises(TooManyAttempts) as err:
        sign_in(uow, "wang", PASSWORD, at=T0 + timedelta(seconds=10))
    assert err.value.retry_after == 54
    assert audit(uow, "sign_in.throttled")[0].detail == {"retry_after": 54}
    assert sign_in(uow, "wang", PASSWORD, at=T0 + timedelta(seconds=65)).username == "wang"
    # the good sign-in wiped the slate: one more failure does not lock again
    with pytest.raises(InvalidCredentials):
        sign_in(uow, "wang", "wrong horse battery", at=T0 + timedelta(seconds=66))
    assert sign_in(uow, "wang", PASSWORD, at=T0 + timedelta(seconds=67)).username == "wang"


def test_unknown_names_are_throttled_like_known_ones(uow: Uow) -> None:
    for i in range(5):
        with pytest.raises(InvalidCredentials):
            sign_in(uow, "ghost", "whatever-pass", at=T0 + timedelta(seconds=i))
    with pytest.raises(TooManyAttempts):
        sign_in(uow, "ghost", "whatever-pass", at=T0 + timedelta(seconds=5))


def test_one_client_guessing_many_names_is_locked_out_but_others_are_not(uow: Uow) -> None:
    make_user(uow)
    for i in range(20):
        with pytest.raises(InvalidCredentials):
            sign_in(uow, f"guess{i}", "whatever-pass", at=T0 + timedelta(seconds=i), client="6.6.6.6")
    with pytest.raises(TooManyAttempts):
        sign_in(uow, "wang", PASSWORD, at=T0 + timedelta(seconds=21), client="6.6.6.6")
    assert sign_in(uow, "wang", PASSWORD, at=T0 + timedelta(seconds=21), client="10.0.0.2").username == "wang"


def test_a_deactivated_user_cannot_sign_in_and_loses_sessions_and_tokens(uow: Uow) -> None:
    user = make_user(uow)
    secret, _ = start_session(uow=uow, user=user, now=T0)
    token = issue_token(uow=uow, user=user, name="sync", now=T0, ttl=None)
    gone = accounts.deactivate(uow=uow, actor=ADMIN, username="wang", now=T0)
    assert gone.active is False
    with pytest.raises(AccountDisabled):
        sign_in(uow, "wang", PASSWORD)
    with pytest.raises(InvalidCredentials):  # a wrong password still says nothing about the account
        sign_in(uow, "wang", "wrong horse battery")
    assert resolve_session(uow=uow, secret=secret, now=T0) is None
    assert resolve_token(uow=uow, token=token, now=T0) is None
    assert audit(uow, "user.deactivate")[0].detail == {"sessions_ended": 1, "tokens_revoked": 1}


def test_an_outdated_hash_is_upgraded_at_the_next_good_sign_in(uow: Uow) -> None:
    user = make_user(uow)
    stronger = Passwords(Argon2Cost(time_cost=2, memory_kib=16, parallelism=1))
    authenticate(uow=uow, username="wang", password=PASSWORD, client=None, now=T0, passwords=stronger)
    with uow() as u:
        stored = u.accounts.password_hash(user.id)
    assert "m=16,t=2" in stored and not stronger.needs_rehash(stored)


# ------------------------------------------------------------------------------------- user admin
def test_only_administrators_manage_accounts(uow: Uow) -> None:
    operator = make_user(uow).actor()
    with pytest.raises(NotAllowed):
        accounts.create_user(
            uow=uow,
            actor=operator,
            spec=UserSpec("li", Role.ADMIN),
            password=PASSWORD,
            now=T0,
            passwords=FAST,
        )
    with pytest.raises(NotAllowed):
        api_keys.create_api_key(uow=uow, actor=operator, name="x", now=T0)


def test_names_are_unique_and_passwords_follow_the_policy(uow: Uow) -> None:
    make_user(uow)
    with pytest.raises(UsernameTaken):
        make_user(uow, "WANG")
    with pytest.raises(WeakPassword):
        accounts.create_user(
            uow=uow,
            actor=ADMIN,
            spec=UserSpec("li", Role.ADMIN),
            password="12345678901",
            now=T0,
            passwords=FAST,
        )
    assert [u.username for u in accounts.list_users(uow=uow)] == ["wang"]


def test_scoped_roles_must_name_a_real_worker_or_organisation(uow: Uow) -> None:
    seed_reference_data(uow=uow)
    with uow() as u:
        u.reference.save_workers(
            [WorkerSpec("F0001", "张三", "13800000000", WorkerKind.FULLTIME, None, ("G1",))]
        )
        u.commit()
    with pytest.raises(UnknownWorker):
        make_user(uow, "zhang", Role.GRID_WORKER, worker_code="F9999")
    worker = make_user(uow, "zhang", Role.GRID_WORKER, worker_code="F0001")
    assert worker.area_codes == {"G1"}  # defaults to the worker's grids
    assert make_user(uow, "liu", Role.HANDLER, org_code="chengguan").actor().org_code == "chengguan"


def test_a_user_changes_their_own_password_only_with_the_current_one(uow: Uow) -> None:
    user = make_user(uow)
    secret, _ = start_session(uow=uow, user=user, now=T0)
    new = "another long passphrase"
    kw = {
        "uow": uow,
        "actor": user.actor(),
        "username": "wang",
        "password": new,
        "now": T0,
        "passwords": FAST,
    }
    with pytest.raises(NotAllowed):
        accounts.set_password(**kw)  # type: ignore[arg-type]
    with pytest.raises(InvalidCredentials):
        accounts.set_password(current_password="wrong horse battery", **kw)  # type: ignore[arg-type]
    accounts.set_password(current_password=PASSWORD, **kw)  # type: ignore[arg-type]
    assert sign_in(uow, "wang", new).id == user.id
    assert resolve_session(uow=uow, secret=secret, now=T0) is None  # everyone else signed out
    assert audit(uow, "user.password")[0].actor_id == user.id


# --------------------------------------------------------------------------------------- sessions
def test_a_session_slides_its_expiry_and_ends_when_idle_too_long(uow: Uow, engine: Engine) -> None:
    user = make_user(uow)
    secret, csrf = start_session(uow=uow, user=user, now=T0, ttl=timedelta(hours=1))
    with engine.connect() as conn:
        stored = conn.execute(sa.select(sessions.c.id)).scalars().all()
    assert stored == [secret_hash(secret)]  # the secret itself is not stored
    at = T0
    for _ in range(3):
        at += timedelta(minutes=50)
        assert resolve_session(uow=uow, secret=secret, now=at) == (user, csrf)
    assert resolve_session(uow=uow, secret=secret, now=at + timedelta(minutes=61)) is None
    assert resolve_session(uow=uow, secret=secret, now=at) is None  # deleted, not only expired


def test_a_busy_session_still_ends_after_its_maximum_age(uow: Uow) -> None:
    user = make_user(uow)
    secret, _ = start_session(uow=uow, user=user, now=T0, ttl=timedelta(hours=12))
    at = T0
    while at < T0 + SESSION_MAX_AGE - timedelta(hours=6):
        at += timedelta(hours=6)
        assert resolve_session(uow=uow, secret=secret, now=at) is not None
    assert resolve_session(uow=uow, secret=secret, now=T0 + SESSION_MAX_AGE) is None


def test_signing_out_ends_the_session_and_is_audited(uow: Uow) -> None:
    user = make_user(uow)
    secret, csrf = start_session(uow=uow, user=user, now=T0)
    assert csrf_ok(csrf, csrf) and not csrf_ok(csrf, "forged") and not csrf_ok(csrf, None)
    end_session(uow=uow, secret=secret, now=T0)
    end_session(uow=uow, secret=secret, now=T0)  # twice is harmless
    assert resolve_session(uow=uow, secret=secret, now=T0) is None
    assert resolve_session(uow=uow, secret="made-up", now=T0) is None
    assert len(audit(uow, "sign_out")) == 1
    assert purge_expired_sessions(uow=uow, now=T0) == 0


# ----------------------------------------------------------------------------------------- tokens
def test_tokens_act_as_their_user_until_they_expire_or_are_revoked(uow: Uow) -> None:
    user = make_user(uow)
    token = issue_token(uow=uow, user=user, name="sync", now=T0, ttl=timedelta(days=1))
    assert token.startswith("cgt_")
    assert resolve_token(uow=uow, token=token, now=T0 + timedelta(hours=23)) == user
    assert resolve_token(uow=uow, token=token, now=T0 + timedelta(days=1)) is None
    forever = issue_token(uow=uow, user=user, name="etl", now=T0, ttl=None)
    assert resolve_token(uow=uow, token=forever, now=T0 + timedelta(days=999)) == user
    assert revoke_token(uow=uow, token=forever, now=T0) is True
    assert revoke_token(uow=uow, token=forever, now=T0) is False
    assert resolve_token(uow=uow, token=forever, now=T0) is None
    assert resolve_token(uow=uow, token="cgt_made-up", now=T0) is None
    assert [e.detail["name"] for e in audit(uow, "token.issue")] == ["etl", "sync"]
    assert len(audit(uow, "token.revoke")) == 1


# --------------------------------------------------------------------------------------- API keys
def test_api_keys_are_shown_once_verified_by_hash_and_revoked_by_prefix(uow: Uow, engine: Engine) -> None:
    key = api_keys.create_api_key(uow=uow, actor=ADMIN, name="wechat", now=T0)
    assert key.startswith("cgk_") and len(key) > 40
    (listed,) = api_keys.list_api_keys(uow=uow)
    assert (listed.name, listed.prefix, listed.last_used_at) == ("wechat", key[:12], None)
    with engine.connect() as conn:
        assert key not in str(conn.exec_driver_sql("SELECT * FROM api_keys").all())
    found = api_keys.verify_api_key(uow=uow, key=key, now=T0 + timedelta(minutes=5))
    assert found is not None and found.id == listed.id
    assert api_keys.list_api_keys(uow=uow)[0].last_used_at == T0 + timedelta(minutes=5)
    assert api_keys.verify_api_key(uow=uow, key=key[:-1] + "?", now=T0) is None
    with pytest.raises(UnknownApiKey):
        api_keys.revoke_api_key(uow=uow, actor=ADMIN, key_or_prefix="cgk_nothere", now=T0)
    revoked = api_keys.revoke_api_key(
        uow=uow, actor=ADMIN, key_or_prefix=listed.prefix, now=T0 + timedelta(hours=1)
    )
    assert revoked.revoked_at == T0 + timedelta(hours=1) and not revoked.active
    assert api_keys.verify_api_key(uow=uow, key=key, now=T0 + timedelta(hours=2)) is None
    assert [e.action for e in audit(uow)] == ["api_key.revoke", "api_key.create"]


def test_one_active_key_per_name_so_a_form_sent_twice_makes_one_key(uow: Uow) -> None:
    first = api_keys.create_api_key(uow=uow, actor=ADMIN, name="12345 热线平台", now=T0)
    with pytest.raises(ApiKeyNameTaken) as refused:
        api_keys.create_api_key(uow=uow, actor=ADMIN, name="12345 热线平台", now=T0)
    assert refused.value.code == "api_key_name_taken" and "12345 热线平台" in str(refused.value)
    assert len(api_keys.list_api_keys(uow=uow)) == 1
    # Revoked, the name is free again (a key is replaced by revoking it, then creating its successor).
    api_keys.revoke_api_key(uow=uow, actor=ADMIN, key_or_prefix=first, now=T0)
    second = api_keys.create_api_key(uow=uow, actor=ADMIN, name="12345 热线平台", now=T0)
    assert second != first and [k.active for k in api_keys.list_api_keys(uow=uow)] == [False, True]


def test_an_api_key_can_be_revoked_by_the_whole_key(uow: Uow) -> None:
    key = api_keys.create_api_key(uow=uow, actor=ADMIN, name="open311", now=T0)
    assert api_keys.revoke_api_key(uow=uow, actor=ADMIN, key_or_prefix=key, now=T0).revoked_at == T0


# ------------------------------------------------------------------------------------- audit log
def test_the_audit_log_refuses_updates_and_deletes(uow: Uow, engine: Engine) -> None:
    with uow() as u:
        u.accounts.audit(actor=ADMIN, action="case.register", target="case:1", detail={"a": 1}, now=T0)
        u.commit()
    for statement in (sa.update(audit_log).values(action="tampered"), sa.delete(audit_log)):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(statement)
    (entry,) = audit(uow)
    assert (entry.action, entry.detail) == ("case.register", {"a": 1})


def test_an_audit_line_rolls_back_with_the_write_it_records(uow: Uow) -> None:
    with uow() as u:
        u.accounts.audit(actor=None, action="case.register", target="case:1", now=T0)
        # no commit: the write failed, so there is nothing to record
    assert audit(uow) == []


# ------------------------------------------------------------------------------------------- demo
def test_demo_accounts_are_created_once_and_sign_in_with_their_documented_passwords(uow: Uow) -> None:
    seed_reference_data(uow=uow)
    with uow() as u:
        catalogue = u.reference.catalogue()
        people = generate_people(["G1", "G2"], catalogue.organisations, professional_count=3)
        u.reference.save_workers(people)
        u.commit()
    kw = {"uow": uow, "people": people, "catalogue": catalogue, "now": T0, "passwords": FAST}
    created = accounts.ensure_demo_accounts(**kw)  # type: ignore[arg-type]
    assert sorted(created) == ["admin", "handler", "leader", "operator", "resident", "supervisor", "worker"]
    assert accounts.ensure_demo_accounts(**kw) == []  # type: ignore[arg-type]
    worker = sign_in(uow, "worker", "demo-worker-2026")
    assert (worker.role, worker.worker_code, worker.area_codes) == (Role.GRID_WORKER, "F0001", {"G1"})
    assert sign_in(uow, "handler", "demo-handler-2026").org_code == "chengguan"
