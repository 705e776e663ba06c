"""Account rules without a database: names, passwords, role scopes, throttling, demo accounts, hashing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from civicgrid.adapters.passwords import FAST_FOR_TESTS, PRODUCTION, Passwords
from civicgrid.demo.accounts import demo_accounts
from civicgrid.demo.people import generate_people
from civicgrid.domain.accounts import (
    ROLE_LABELS,
    InvalidName,
    InvalidRole,
    InvalidUsername,
    MissingScope,
    ThrottlePolicy,
    TooManyAttempts,
    User,
    UserSpec,
    WeakPassword,
    check_password,
    check_spec,
    check_throttle,
    check_username,
    locked_for,
    parse_role,
)
from civicgrid.domain.catalogue import load_catalogue
from civicgrid.domain.roles import Role
from civicgrid.i18n import translate

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
POLICY = ThrottlePolicy()


def minutes(*offsets: float) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in offsets]


@pytest.mark.parametrize("name", ["wang.li", "op_01", "f0001-zhang", "ABC"])
def test_user_names_are_normalised_to_lower_case(name: str) -> None:
    assert check_username(f"  {name} ") == name.lower()


@pytest.mark.parametrize("name", ["a", "1abc", "wang li", "王丽", "a" * 33, "", "x;drop"])
def test_odd_user_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidUsername):
        check_username(name)


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("short-pw", "at least 10"),
        ("1234567890123", "digits only"),
        ("Wang.Li.2026", "user name"),
        ("x" * 2000, "at most"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, fragment: str) -> None:
    with pytest.raises(WeakPassword) as err:
        check_password(password, username="wang.li.2026")
    assert fragment in str(err.value)


def test_a_long_mixed_password_passes() -> None:
    check_password("correct horse battery", username="wang.li")


def test_weak_password_messages_are_translated() -> None:
    with pytest.raises(WeakPassword) as err:
        check_password("short", username="wang.li")
    assert translate(err.value.message, "zh_CN", **err.value.params) == "密码至少须有 10 个字符。"


def test_system_and_unknown_roles_cannot_be_given_to_an_account() -> None:
    assert parse_role(" Grid_Worker ") is Role.GRID_WORKER
    for value in ("system", "boss"):
        with pytest.raises(InvalidRole):
            parse_role(value)


def test_a_grid_worker_needs_a_worker_code_and_a_handler_an_organisation() -> None:
    with pytest.raises(MissingScope, match="worker code"):
        check_spec(UserSpec("zhang", Role.GRID_WORKER))
    with pytest.raises(MissingScope, match="organisation code"):
        check_spec(UserSpec("liu", Role.HANDLER))
    spec = check_spec(UserSpec("Liu", Role.HANDLER, org_code="chengguan"))
    assert (spec.username, spec.display_name) == ("liu", "liu")


def test_display_names_have_a_length_limit() -> None:
    with pytest.raises(InvalidName):
        check_spec(UserSpec("liu", Role.OPERATOR, display_name="x" * 101))


def test_a_user_acts_with_its_role_and_scope() -> None:
    user = User(7, "zhang", "张网格", Role.GRID_WORKER, "F0001", None, frozenset({"G1"}), True)
    actor = user.actor()
    assert (actor.role, actor.id, actor.name, actor.worker_code, actor.area_codes) == (
        Role.GRID_WORKER,
        7,
        "张网格",
        "F0001",
        frozenset({"G1"}),
    )


def test_every_role_has_a_label() -> None:
    assert set(ROLE_LABELS) == set(Role)


# --------------------------------------------------------------------------------------------- throttling
def test_four_failures_do_not_lock_a_user_name() -> None:
    assert locked_for(minutes(0, 1, 2, 3), T0 + timedelta(minutes=3), limit=5, policy=POLICY) == 0


def test_five_failures_within_fifteen_minutes_lock_for_a_minute() -> None:
    failures = minutes(0, 1, 2, 3, 4)
    assert locked_for(failures, T0 + timedelta(minutes=4), limit=5, policy=POLICY) == 60
    assert locked_for(failures, T0 + timedelta(minutes=4, seconds=59), limit=5, policy=POLICY) == 1
    assert locked_for(failures, T0 + timedelta(minutes=5), limit=5, policy=POLICY) == 0


def test_five_failures_spread_over_an_hour_lock_nothing() -> None:
    assert locked_for(minutes(0, 15, 30, 45, 60), T0 + timedelta(minutes=60), limit=5, policy=POLICY) == 0


def test_each_further_failure_doubles_the_lock_up_to_an_hour() -> None:
    locks = []
    failures = minutes(0, 0, 0, 0)
    for _ in range(10):
        failures.append(failures[-1] + timedelta(seconds=1))
        locks.append(locked_for(failures, failures[-1], limit=5, policy=POLICY))
    assert locks == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600, 3600]


def test_failures_older_than_the_lookback_are_forgotten() -> None:
    failures = minutes(0, 0, 0, 0, 0)
    assert locked_for(failures, T0 + timedelta(hours=25), limit=5, policy=POLICY) == 0


def test_a_client_address_locks_after_twenty_failures_whatever_the_names() -> None:
    every_half_minute = minutes(*(i / 2 for i in range(20)))
    check_throttle(
        username_failures=[], client_failures=every_half_minute[:19], now=T0 + timedelta(minutes=10)
    )
    with pytest.raises(TooManyAttempts) as err:
        check_throttle(username_failures=[], client_failures=every_half_minute, now=every_half_minute[-1])
    assert err.value.retry_after == 60
    assert "60 seconds" in str(err.value)


# ------------------------------------------------------------------------------------------ demo accounts
def test_demo_accounts_cover_every_role_with_policy_passwords() -> None:
    catalogue = load_catalogue()
    people = generate_people(["G1", "G2"], catalogue.organisations, professional_count=5)
    accounts = demo_accounts(people, catalogue)
    assert {spec.role for spec, _ in accounts} == set(Role) - {Role.SYSTEM}
    for spec, password in accounts:
        check_password(password, username=spec.username)
        check_spec(spec)
    by_role = {spec.role: spec for spec, _ in accounts}
    assert by_role[Role.GRID_WORKER].worker_code == "F0001"
    assert by_role[Role.GRID_WORKER].area_codes == {"G1"}
    assert by_role[Role.HANDLER].org_code == "chengguan"
    assert dict((s.username, p) for s, p in accounts)["operator"] == "demo-operator-2026"


# --------------------------------------------------------------------------------------------- hashing
def test_argon2id_hashes_verify_and_know_when_they_are_outdated() -> None:
    fast = Passwords(FAST_FOR_TESTS)
    stored = fast.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert fast.verify(stored, "correct horse battery")
    assert not fast.verify(stored, "wrong horse battery")
    assert not fast.verify("not a hash", "x")
    assert not fast.needs_rehash(stored)
    assert Passwords(PRODUCTION).needs_rehash(stored)  # made with weaker parameters than production
    fast.dummy_verify("anything")  # does not raise
