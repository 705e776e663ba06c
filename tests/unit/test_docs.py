"""The README documents every setting and every command (after datasette's tests/test_docs.py)."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.main import get_command

from civicgrid.config import Settings
from civicgrid.entrypoints.cli import app

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def command_paths() -> list[str]:
    root = get_command(app)
    paths: list[str] = []

    def walk(cmd: typer.core.TyperGroup | object, prefix: str) -> None:
        for name, sub in getattr(cmd, "commands", {}).items():
            path = f"{prefix} {name}"
            if getattr(sub, "commands", None):
                walk(sub, path)
            else:
                paths.append(path)

    walk(root, "civicgrid")
    return paths


def test_every_setting_is_in_the_readme_with_its_description() -> None:
    for name, field in Settings.model_fields.items():
        variable = f"CIVICGRID_{name.upper()}"
        assert f"`{variable}`" in README, f"{variable} is not documented in README.md"
        assert field.description and field.description in README, (
            f"{variable}: description differs from README"
        )


def test_every_command_is_in_the_readme() -> None:
    paths = command_paths()
    assert "civicgrid grids import" in paths and "civicgrid apikey create" in paths
    for path in paths:
        words = path.split()
        assert f"`{path}" in README or (len(words) > 2 and f"`{words[1]} {words[2]}" in README), (
            f"{path} is not documented in README.md"
        )
