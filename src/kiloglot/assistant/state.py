"""A session's dialogue state, typed (after Rasa's tracker): what the assistant remembers between turns.

Stored as JSON in ``kg_sessions.state`` with the same keys as before it was typed, so sessions saved
by earlier versions read back unchanged; keys with nothing in them are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kiloglot.assistant.skill import Frame

Change = tuple[str, str, Any]  # (skill, key, the value before the action wrote it)


@dataclass
class PendingQuestion:
    """A frame waiting for one slot the assistant asked for."""

    frame: Frame
    ask: str

    def to_dict(self) -> dict[str, Any]:
        return {"frame": self.frame.to_dict(), "ask": self.ask}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PendingQuestion:
        return cls(Frame.from_dict(d["frame"]), str(d["ask"]))


@dataclass
class LastAction:
    """The last frame that changed something, with the previous values: what "cancel that" and a
    correction ("no, eight am") undo."""

    frame: Frame
    turn: int
    changes: list[Change] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"frame": self.frame.to_dict(), "turn": self.turn, "changes": [list(c) for c in self.changes]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LastAction:
        changes = [(str(s), str(k), v) for s, k, v in d.get("changes", [])]
        return cls(Frame.from_dict(d["frame"]), int(d["turn"]), changes)


@dataclass
class HistoryEntry:
    turn: int
    text: str
    intent: str
    action: str
    reply: str

    def to_dict(self) -> dict[str, Any]:
        return {"turn": self.turn, "text": self.text, "intent": self.intent, "action": self.action, "reply": self.reply}


@dataclass
class DialogueState:
    turn: int = 0  # turns so far, this one included
    history: list[HistoryEntry] = field(default_factory=list)  # the last few turns
    pending: PendingQuestion | None = None  # a question waiting for its answer
    confirm: Frame | None = None  # a request waiting for yes or no
    last_frame: Frame | None = None  # the last frame run (for follow-ups)
    last_turn: int = 0  # the turn it ran in
    last_action: LastAction | None = None  # the last frame that changed something
    misses: int = 0  # turns in a row the assistant did not understand

    def to_dict(self, *, internal: bool = True) -> dict[str, Any]:
        """The JSON kept in the store; ``internal=False`` leaves out what API clients need not see."""
        d: dict[str, Any] = {"turn": self.turn, "history": [h.to_dict() for h in self.history]}
        if self.pending:
            d["pending"] = self.pending.to_dict()
        if self.confirm:
            d["confirm"] = self.confirm.to_dict()
        if self.last_frame:
            d["last_frame"], d["last_turn"] = self.last_frame.to_dict(), self.last_turn
        if self.misses:
            d["misses"] = self.misses
        if internal and self.last_action:
            d["last_action"] = self.last_action.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> DialogueState:
        d = d or {}
        return cls(
            turn=int(d.get("turn", 0)),
            history=[HistoryEntry(**h) for h in d.get("history", [])],
            pending=PendingQuestion.from_dict(d["pending"]) if d.get("pending") else None,
            confirm=Frame.from_dict(d["confirm"]) if d.get("confirm") else None,
            last_frame=Frame.from_dict(d["last_frame"]) if d.get("last_frame") else None,
            last_turn=int(d.get("last_turn", 0)),
            last_action=LastAction.from_dict(d["last_action"]) if d.get("last_action") else None,
            misses=int(d.get("misses", 0)),
        )
