"""docs/settings.md is generated from Settings and must match it."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import ValidationError

from powertrack.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "settings_doc.py"
DOC = ROOT / "docs" / "settings.md"


@pytest.fixture(scope="module")
def settings_doc() -> ModuleType:
    spec = importlib.util.spec_from_file_location("settings_doc", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_settings_md_is_up_to_date(settings_doc: ModuleType) -> None:
    assert DOC.read_text(encoding="utf-8") == settings_doc.render(), (
        "docs/settings.md is out of date: run "
        ".venv/bin/python scripts/settings_doc.py > docs/settings.md"
    )


def test_check_mode_reports_a_stale_doc(
    settings_doc: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stale = tmp_path / "settings.md"
    stale.write_text("# Settings\n", encoding="utf-8")
    monkeypatch.setattr(settings_doc, "DOC_PATH", stale)
    assert settings_doc.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().err

    stale.write_text(settings_doc.render(), encoding="utf-8")
    assert settings_doc.main(["--check"]) == 0


def test_every_field_is_documented_with_a_meaning(settings_doc: ModuleType) -> None:
    rows = re.findall(r"^\| `(POWERTRACK_[A-Z0-9_]+)` \|(.*)\|$", settings_doc.render(), re.M)
    documented = {name: cells.split("|") for name, cells in rows}
    expected = {f"POWERTRACK_{name.upper()}" for name in Settings.model_fields}
    assert set(documented) == expected
    for name, cells in documented.items():
        assert cells[-1].strip(), f"{name} has no meaning in docs/settings.md"


def test_notes_name_only_real_fields(settings_doc: ModuleType) -> None:
    assert set(settings_doc.NOTES) <= set(Settings.model_fields)
    assert set(settings_doc.VALIDATED) <= set(Settings.model_fields)


def test_documented_admin_token_minimum_is_enforced() -> None:
    with pytest.raises(ValidationError, match="at least 16 characters"):
        Settings(admin_token="x" * 15)  # type: ignore[arg-type]
    assert Settings(admin_token="x" * 16).admin_token is not None  # type: ignore[arg-type]


def test_script_runs_as_a_program() -> None:

    result = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout == DOC.read_text(encoding="utf-8")
