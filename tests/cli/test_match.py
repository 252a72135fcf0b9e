"""``powertrack match``: rules over a file of tweets, one JSON line per matching tweet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from powertrack.cli.match import run_match
from powertrack.samples import sample_rules_path, sample_tweets_path


def _v11(tweet_id: str, text: str, **extra: object) -> bytes:
    tweet = {
        "id_str": tweet_id,
        "text": text,
        "lang": "en",
        "user": {"id_str": "11348282", "screen_name": "NASA"},
        "entities": {"hashtags": [{"text": "Mars"}] if "#Mars" in text else []},
        **extra,
    }
    return orjson.dumps(tweet)


def _run(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], rules: str, tweets: bytes
) -> tuple[int, list[dict[str, object]], str]:
    rules_file = tmp_path / "rules.jsonl"
    rules_file.write_text(rules)
    tweets_file = tmp_path / "tweets.jsonl"
    tweets_file.write_bytes(tweets)
    status = run_match(rules_file, tweets_file, text_mode=False)
    out, err = capsysbinary.readouterr()
    return status, [orjson.loads(line) for line in out.splitlines()], err.decode()


def test_matches_in_input_order_with_ids_and_tags(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    rules = (
        '{"id": "r-mars", "value": "#mars", "tag": "space"}\n'
        '{"value": "from:nasa -is:retweet"}\n'
        '{"id": 7, "value": "pizza"}\n'
    )
    tweets = b"\n".join(
        [
            _v11("3", "Landing on #Mars"),
            _v11("1", "nothing here", user={"id_str": "5", "screen_name": "x"}),
            _v11("2", "pizza time"),
        ]
    )
    status, lines, err = _run(tmp_path, capsysbinary, rules, tweets)
    assert status == 0
    assert err == ""
    assert lines == [
        {"id": "3", "matching_rules": [{"id": "r-mars", "tag": "space"}, {"id": "2", "tag": ""}]},
        {"id": "2", "matching_rules": [{"id": "2", "tag": ""}, {"id": "7", "tag": ""}]},
    ]


def test_malformed_tweet_lines_are_reported_and_skipped(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    tweets = b"\n".join([b"{not json", _v11("9", "pizza"), b'{"delete": {}}'])
    status, lines, err = _run(tmp_path, capsysbinary, '{"value": "pizza"}\n', tweets)
    assert status == 0
    assert [line["id"] for line in lines] == ["9"]
    assert "tweets line 1: skipped malformed tweet" in err
    assert "tweets line 3: skipped malformed tweet" in err


def test_invalid_rules_are_reported_and_the_rest_still_match(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    status, lines, err = _run(
        tmp_path, capsysbinary, '{"value": "-pizza"}\n{"value": "pizza"}\n', _v11("4", "pizza")
    )
    assert status == 0
    assert lines == [{"id": "4", "matching_rules": [{"id": "2", "tag": ""}]}]
    assert "rules line 1" in err
    assert "Rules must contain a non-negation term (at position 1)" in err


def test_unusable_rules_file_exits_2(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert run_match(tmp_path / "missing.jsonl", tmp_path / "t.jsonl", text_mode=False) == 2
    (tmp_path / "bad.jsonl").write_text("not json\n")
    assert run_match(tmp_path / "bad.jsonl", tmp_path / "t.jsonl", text_mode=False) == 2
    assert "error:" in capsysbinary.readouterr().err.decode()


def test_text_mode_rule_ids_are_line_numbers(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    rules_file = tmp_path / "rules.txt"
    rules_file.write_text("\npizza\n")
    tweets_file = tmp_path / "tweets.jsonl"
    tweets_file.write_bytes(_v11("5", "pizza"))
    assert run_match(rules_file, tweets_file, text_mode=True) == 0
    out = capsysbinary.readouterr().out
    assert orjson.loads(out) == {"id": "5", "matching_rules": [{"id": "2", "tag": ""}]}


def test_console_script_on_bundled_samples_reads_stdin_too() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "powertrack",
            "match",
            "--rules",
            str(sample_rules_path()),
            "--tweets",
            "-",
        ],
        input=sample_tweets_path().read_bytes(),
        capture_output=True,
        check=True,
    )
    lines = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) > 500
    assert all(line["matching_rules"] for line in lines)
    default = subprocess.run(
        [sys.executable, "-m", "powertrack", "match"], capture_output=True, check=True
    )
    assert default.stdout == result.stdout


def test_progress_bar_passes_every_line_through() -> None:
    import io

    from powertrack.cli.match import _tweet_lines

    data = b"".join(b'{"n": %d}\n' % number for number in range(1000))
    assert list(_tweet_lines(io.BytesIO(data), len(data))) == data.splitlines(keepends=True)


def test_the_progress_bar_goes_to_a_terminal_and_stdout_keeps_only_matches(
    tmp_path: Path,
) -> None:
    # stderr on a pseudo-terminal, stdout to a file: the bar is drawn on the
    # terminal and the file holds exactly one JSON line per matching tweet.
    import os
    import pty

    rules_file = tmp_path / "rules.jsonl"
    rules_file.write_text('{"id": "r", "value": "pizza"}\n')
    tweets_file = tmp_path / "tweets.jsonl"
    lines = [_v11(str(n), "pizza time" if n % 3 == 0 else "salad") for n in range(1, 45_000)]
    tweets_file.write_bytes(b"\n".join(lines) + b"\n")
    assert tweets_file.stat().st_size > 5_000_000
    leader, follower = pty.openpty()
    out_file = tmp_path / "out.jsonl"
    with out_file.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "powertrack", "match", "--rules", str(rules_file),
             "--tweets", str(tweets_file)],
            stdout=out, stderr=follower, env={**os.environ, "COLUMNS": "80"},
        )  # fmt: skip
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
        assert process.wait(timeout=120) == 0
    os.close(leader)
    written = out_file.read_bytes()
    assert written.endswith(b"}\n")
    records = [orjson.loads(line) for line in written.split(b"\n")[:-1]]
    assert [record["id"] for record in records] == [str(n) for n in range(3, 45_000, 3)]
    assert "━" in drawn.decode(errors="replace")
