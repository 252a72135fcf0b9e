"""The wheel carries the grammar and the samples, and the installed package loads them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
    )
    (path,) = out.glob("powertrack-*.whl")
    return path


def test_wheel_ships_the_grammar_with_the_same_content(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        shipped = archive.read("powertrack/rules/rules_grammar.lark")
    assert shipped == (ROOT / "rules_grammar.lark").read_bytes()


def test_wheel_ships_samples_and_type_marker(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {
        "powertrack/py.typed",
        "powertrack/samples/rules.jsonl",
        "powertrack/samples/tweets.jsonl",
    } <= names


def test_installed_wheel_parses_rules(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    script = (
        "import powertrack, sys; "
        "assert powertrack.__file__.startswith(sys.argv[1]), powertrack.__file__; "
        "print(powertrack.parse_rule('from:nasa #mars').root)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(target)],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "UserOp(field='from', value='nasa')" in result.stdout
