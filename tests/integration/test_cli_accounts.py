"""``civicgrid apikey`` and ``civicgrid user``: keys shown once, accounts managed, errors in one line."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from civicgrid.adapters import passwords
from civicgrid.adapters.db.engine import make_engine
from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.entrypoints.cli import app

runner = CliRunner()


def run(*args: str, lang: str = "en_US.UTF-8", stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"CIVICGRID_LANG": lang}, input=stdin)
    return result.exit_code, result.stdout, result.output


@pytest.fixture(autouse=True)
def fast_hashing() -> Iterator[None]:
    passwords.use_passwords(passwords.Passwords(passwords.FAST_FOR_TESTS))
    yield
    passwords.use_passwords(None)


@pytest.fixture
def ready_db(db_url: str) -> str:
    code, _, out = run("init", "--db", db_url)
    assert code == 0, out
    return db_url


def test_apikey_create_prints_the_key_alone_and_list_shows_only_its_prefix(ready_db: str) -> None:
    code, stdout, output = run("apikey", "create", "--name", "wechat-miniapp", "--db", ready_db)
    assert code == 0, output
    key = stdout.strip()
    assert key.startswith("cgk_") and "\n" not in key
    assert "cannot be shown again" in output
    code, stdout, _ = run("apikey", "list", "--db", ready_db, "--json")
    (listed,) = json.loads(stdout)
    assert (listed["name"], listed["prefix"], listed["active"]) == ("wechat-miniapp", key[:12], True)
    assert key not in stdout


def test_apikey_revoke_by_prefix_then_it_lists_as_revoked(ready_db: str) -> None:
    key = run("apikey", "create", "--name", "open311", "--db", ready_db)[1].strip()
    code, _, output = run("apikey", "revoke", key[:12], "--db", ready_db)
    assert code == 0 and "revoked" in output
    (listed,) = json.loads(run("apikey", "list", "--db", ready_db, "--json")[1])
    assert listed["active"] is False and listed["revoked_at"]
    code, _, output = run("apikey", "list", "--db", ready_db)
    assert code == 0 and key[:12] in output


def test_revoking_an_unknown_key_is_one_line_in_the_users_language(ready_db: str) -> None:
    code, _, output = run("apikey", "revoke", "cgk_nothere", "--db", ready_db)
    assert code == 1 and output.strip().count("\n") == 0 and "No API key matches cgk_nothere" in output
    code, _, output = run("apikey", "revoke", "cgk_nothere", "--db", ready_db, lang="zh_CN.UTF-8")
    assert code == 1 and "没有与 cgk_nothere 匹配的 API 密钥" in output


def test_a_weak_password_is_refused_with_a_one_line_error(ready_db: str) -> None:
    for password, reason in (
        ("short", "at least 10"),
        ("12345678901234", "digits only"),
        ("wang.li.2026", "user name"),
    ):
        args = ("user", "create", "--username", "wang.li.2026", "--role", "operator", "--password", password)
        code, _, output = run(*args, "--db", ready_db)
        assert code == 1, output
        assert reason in output and "Traceback" not in output and output.strip().count("\n") == 0
    code, _, output = run(
        "user",
        "create",
        "--username",
        "wang",
        "--role",
        "operator",
        "--password",
        "short",
        "--db",
        ready_db,
        lang="zh_CN.UTF-8",
    )
    assert code == 1 and "密码至少须有 10 个字符" in output
    assert json.loads(run("user", "list", "--db", ready_db, "--json")[1]) == []


def test_user_create_list_passwd_and_deactivate(ready_db: str, db_url: str) -> None:
    code, _, output = run(
        "user",
        "create",
        "--username",
        "Liu",
        "--role",
        "handler",
        "--org-code",
        "chengguan",
        "--name",
        "刘承办",
        "--area",
        "D1",
        "--area",
        "D2",
        "--password",
        "correct horse battery",
        "--db",
        ready_db,
    )
    assert code == 0, output
    assert "User liu created with the role Department handler" in output
    (user,) = json.loads(run("user", "list", "--db", ready_db, "--json")[1])
    assert user == {
        "id": user["id"],
        "username": "liu",
        "display_name": "刘承办",
        "role": "handler",
        "worker_code": None,
        "org_code": "chengguan",
        "area_codes": ["D1", "D2"],
        "active": True,
    }
    code, _, output = run(
        "user", "passwd", "liu", "--db", ready_db, stdin="another passphrase\nanother passphrase\n"
    )
    assert code == 0, output
    code, _, output = run("user", "deactivate", "liu", "--db", ready_db)
    assert code == 0 and "deactivated" in output
    assert json.loads(run("user", "list", "--db", ready_db, "--json")[1])[0]["active"] is False
    engine = make_engine(db_url)
    try:
        with UnitOfWork(engine) as u:
            actions = [
                (e.action, e.actor_role, e.actor_name.startswith("cli:")) for e in u.accounts.audit_entries()
            ]
    finally:
        engine.dispose()
    assert actions == [
        ("user.deactivate", "system", True),
        ("user.password", "system", True),
        ("user.create", "system", True),
    ]


def test_user_errors_are_one_line(ready_db: str) -> None:
    for args in (
        ("user", "create", "--username", "x y", "--role", "operator", "--password", "correct horse battery"),
        ("user", "create", "--username", "boss", "--role", "system", "--password", "correct horse battery"),
        (
            "user",
            "create",
            "--username",
            "zhang",
            "--role",
            "grid_worker",
            "--password",
            "correct horse battery",
        ),
        (
            "user",
            "create",
            "--username",
            "liu",
            "--role",
            "handler",
            "--org-code",
            "nope",
            "--password",
            "long enough 1",
        ),
        ("user", "passwd", "nobody", "--password", "correct horse battery"),
        ("user", "deactivate", "nobody"),
    ):
        code, _, output = run(*args, "--db", ready_db)
        assert code == 1, (args, output)
        assert "Traceback" not in output and output.strip().count("\n") == 0, (args, output)
