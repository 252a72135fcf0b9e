"""The shared tweet corpora, and damage done to their tweets.

The corpora live beside the repository (``../shared/data``, see SOURCES.md).
A damaged tweet is one with a subtree deleted or replaced by something else;
:func:`has_id_and_text` says, independently of the readers, whether it still
has what identifies a tweet, so must still be read.
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
V11, V2 = "tweets-v11.jsonl.gz", "tweets-v2.jsonl.gz"

Path_ = tuple[str | int, ...]
"""Keys and list indices from a document's root to one of its values."""


@functools.cache
def lines(name: str) -> list[bytes]:
    """The lines of corpus file ``name``; fails the test when it is missing."""
    path = DATA / name
    if not path.is_file():
        pytest.fail(f"corpus {path} is missing: the shared data directory must sit beside the repo")
    return gzip.decompress(path.read_bytes()).splitlines()


def paths(node: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Every path in ``node``, the root first; lists are followed to their first 3 items."""
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:3]):
            yield from paths(value, (*path, index))


DELETE = object()
"""Put at a path: the key, or the list item, is removed."""


def put(document: Any, path: Path_, value: Any) -> None:
    """Replace the value at ``path`` (not the root) with ``value``, or delete it."""
    *parents, last = path
    target = document
    for key in parents:
        target = target[key]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value


def field_path(path: Path_) -> str:
    """``path`` written as the readers name fields: ``entities.urls[].url``."""
    text = ""
    for key in path:
        text += "[]" if isinstance(key, int) else f".{key}" if text else str(key)
    return text


def related(recorded: str, damaged: str) -> bool:
    """Whether a field path the reader noted is the damaged field, inside it or around it."""
    return any(
        first == second or second.startswith((first + ".", first + "["))
        for first, second in ((recorded, damaged), (damaged, recorded))
    )


def _is_id(value: Any) -> bool:
    if type(value) is dict and len(value) == 1 and "$numberLong" in value:
        value = value["$numberLong"]
    if type(value) is str:
        return value.isascii() and value.isdigit()
    return type(value) is int and value >= 0


def has_id_and_text(document: dict[str, Any], v2: bool) -> bool:
    """Whether ``document`` (a v2 message, or a v1.1 status) still has an id and a text."""
    if v2:
        data = document.get("data")
        if type(data) is not dict:
            return False
        note = data.get("note_tweet")
        texts = [data.get("text"), note.get("text") if type(note) is dict else None]
        return _is_id(data.get("id")) and any(type(text) is str for text in texts)
    ext = document.get("extended_tweet")
    texts = [document.get("text"), document.get("full_text")]
    if type(ext) is dict:
        texts.append(ext.get("full_text"))
    ids = [document.get("id_str"), document.get("id")]
    return any(_is_id(value) for value in ids) and any(type(text) is str for text in texts)
