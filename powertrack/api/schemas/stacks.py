"""Bodies of the admin API's stack moves (filter/handoff.py)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from powertrack.accounts.names import NAME_PATTERN
from powertrack.broker.topics import SIDES, Side
from powertrack.store.models import StackMove


class MoveIn(BaseModel):
    """Where to move an account's streams."""

    stack: str = Field(pattern=NAME_PATTERN, description="Letters, digits, '_' and '-'; 1 to 64.")
    sides: list[Side] = Field(
        default_factory=lambda: list(SIDES),
        min_length=1,
        description="The sides whose handoff must finish before the account may move again.",
    )


class PartitionOut(BaseModel):
    """One firehose partition's handoff on one side."""

    side: str
    partition: int
    cut: int
    start: int | None
    catchup_done: bool


class SideProgress(BaseModel):
    """How far one side's handoff has got, in firehose partitions."""

    cut: int
    started: int
    done: int
    complete: bool


class MoveOut(BaseModel):
    """A move of an account between stacks and its handoff's progress."""

    id: int
    account: str
    from_stack: str
    to_stack: str
    created_at: datetime
    partitions: int
    complete: bool
    sides: dict[str, SideProgress]
    progress: list[PartitionOut]

    @classmethod
    def of(cls, account: str, move: StackMove) -> MoveOut:
        """The public view of ``move``."""
        sides = {
            side: SideProgress(
                cut=sum(1 for p in move.progress if p.side == side),
                started=sum(1 for p in move.progress if p.side == side and p.start is not None),
                done=sum(1 for p in move.progress if p.side == side and p.done),
                complete=move.complete_on(side),
            )
            for side in move.sides
        }
        return cls(
            id=move.id,
            account=account,
            from_stack=move.from_stack,
            to_stack=move.to_stack,
            created_at=move.created_at,
            partitions=move.partitions,
            complete=move.complete,
            sides=sides,
            progress=[
                PartitionOut(
                    side=p.side,
                    partition=p.partition,
                    cut=p.cut,
                    start=p.start,
                    catchup_done=p.catchup_done,
                )
                for p in move.progress
            ],
        )


class MoveList(BaseModel):
    """Moves between stacks, oldest first."""

    moves: list[MoveOut]
