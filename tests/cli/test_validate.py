"""powertrack validate: report invalid rules; exit 0, 1 or 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from powertrack.cli.main import app
from powertrack.cli.validate import run_validate

runner = CliRunner()


def write(tmp_path: Path, content: str | bytes, name: str = "rules.jsonl") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def jsonl(*records: object) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def test_all_valid(tmp_path: Path) -> None:
    rules = write(
        tmp_path, jsonl({"value": "apple", "tag": "fruit"}, {"value": "#mars -is:retweet"})
    )
    result = runner.invoke(app, ["validate", str(rules)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "2 rules checked, 0 invalid" in result.stderr


def test_invalid_rules_are_listed_with_every_error(tmp_path: Path) -> None:
    rules = write(
        tmp_path,
        jsonl({"value": "apple"}, {"value": "apple AND (banana", "tag": "t"}, {"value": "-x"}),
    )
    result = runner.invoke(app, ["validate", str(rules)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "line 2: apple AND (banana",
        "  Ambiguous use of and as a keyword. Use a space to logically join two clauses, "
        'or "and" to find occurrences of and in text (at position 7)',
        "  Unbalanced parentheses: this '(' is never closed (at position 11)",
        "line 3: -x",
        "  Rules must contain a non-negation term (at position 1)",
    ]
    assert "3 rules checked, 2 invalid" in result.stderr


def test_text_mode_and_blank_lines(tmp_path: Path) -> None:
    rules = write(tmp_path, "apple\n\n   \n-apple\r\n🚀 launch\n", name="rules.txt")
    result = runner.invoke(app, ["validate", "--text", str(rules)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "line 4: -apple",
        "  Rules must contain a non-negation term (at position 1)",
    ]


def test_stdin(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "-"], input=jsonl({"value": "cat OR lang:en"}))
    assert result.exit_code == 1
    assert "line 1: cat OR lang:en" in result.stdout
    result = runner.invoke(app, ["validate", "--text", "-"], input="cat\ndog\n")
    assert result.exit_code == 0


def test_tags(tmp_path: Path) -> None:
    rules = write(
        tmp_path,
        jsonl(
            {"value": "apple", "tag": "t" * 255},
            {"value": "banana", "tag": "t" * 256},
            {"value": "cherry", "tag": 7},
            {"value": "date", "tag": None},
        ),
    )
    result = runner.invoke(app, ["validate", str(rules)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "line 2: banana",
        "  tag: Tags are limited to 255 characters; this one has 256",
        "line 3: cherry",
        "  tag: a tag must be a string",
    ]


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("not json", "line 2: not valid JSON"),
        ('{"tag": "x"}', 'line 2: expected a JSON object with a string "value"'),
        ('{"value": 42}', 'line 2: expected a JSON object with a string "value"'),
        ('["apple"]', 'line 2: expected a JSON object with a string "value"'),
    ],
)
def test_unusable_json_lines(tmp_path: Path, line: str, complaint: str) -> None:
    rules = write(tmp_path, jsonl({"value": "-x"}) + line + "\n" + jsonl({"value": "y"}))
    result = runner.invoke(app, ["validate", str(rules)])
    assert result.exit_code == 2
    assert complaint in result.stderr
    # The other lines are still checked.
    assert "line 1: -x" in result.stdout
    assert "2 rules checked, 1 invalid, 1 unusable line" in result.stderr


def test_invalid_utf8_in_text_mode(tmp_path: Path) -> None:
    rules = write(tmp_path, b"apple\n\xff\xfe\n", name="rules.txt")
    result = runner.invoke(app, ["validate", "--text", str(rules)])
    assert result.exit_code == 2
    assert "line 2: not valid UTF-8" in result.stderr


def test_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr
    assert "No such file or directory" in result.stderr


def test_a_directory_is_unusable(tmp_path: Path) -> None:
    assert run_validate(tmp_path, text_mode=False) == 2


def test_run_validate_directly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = write(tmp_path, jsonl({"value": 'from:nasa "mars rover"~3', "tag": "x"}))
    assert run_validate(rules, text_mode=False) == 0
    assert capsys.readouterr().out == ""
