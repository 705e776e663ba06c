"""Translations: every message the code marks has a Chinese translation with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from civicgrid.i18n import normalise_locale, translate

ROOT = Path(__file__).parents[2]
PO = ROOT / "src" / "civicgrid" / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"


def extracted_messages() -> set[str]:
    """What ``pybabel extract -k N_ -k t -k _`` finds in the package's code and page templates."""
    found = extract_from_dir(
        str(ROOT / "src" / "civicgrid"),
        method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
        keywords={"N_": None, "t": None, "_": None},
    )
    return {message for _file, _line, message, _comments, _context in found if isinstance(message, str)}


def test_every_marked_message_has_a_chinese_translation() -> None:
    with PO.open("rb") as fh:
        catalogue = {m.id: m.string for m in read_po(fh, locale="zh_CN") if m.id}
    messages = extracted_messages()
    assert len(messages) > 100
    missing = sorted(m for m in messages if not catalogue.get(m))
    assert missing == [], f"untranslated: {missing}"


def test_every_marked_message_has_an_english_text() -> None:
    """English pages show the message id itself unless the catalogue says otherwise: ids are English."""
    for message in extracted_messages():
        assert re.search("[A-Za-z]", message), f"message id is not English: {message}"


def test_translations_keep_their_placeholders() -> None:
    with PO.open("rb") as fh:
        for m in read_po(fh, locale="zh_CN"):
            if isinstance(m.id, str) and m.id:
                assert set(re.findall(r"{(\w+)}", m.id)) == set(re.findall(r"{(\w+)}", str(m.string))), m.id


def test_the_placeholder_check_sees_placeholders() -> None:
    with PO.open("rb") as fh:
        counted = sum(bool(re.findall(r"{(\w+)}", m.id)) for m in read_po(fh, locale="zh_CN") if m.id)
    assert counted > 50  # the check above compares something


def test_translate_fills_parameters_and_labels_codes() -> None:
    msg = "Cannot {action} a case that is {status}."
    assert (
        translate(msg, "zh_CN", action="accept", status="in_progress")
        == "案件当前状态为“处置中”，不能执行“签收”。"
    )
    assert (
        translate(msg, "en", action="accept", status="in_progress")
        == "Cannot accept a case that is in progress."
    )


def test_locale_names_are_normalised() -> None:
    assert normalise_locale("en-US") == "en"
    assert normalise_locale("zh-CN,zh;q=0.9") == "zh_CN"
    assert normalise_locale(None) == "zh_CN"
