"""The dialogue manager: one call per user turn, state kept per session in the store.

A turn goes: parse -> (cancel | answer to a pending question | yes/no to a confirmation |
correction | follow-up | new request routed by the arbiter) -> skill -> reply in the user's language.

- Follow-ups ("and tomorrow?"): a short turn whose slots all fit the previous intent, said with a
  follow-up word or parsed without confidence, re-runs the previous frame with those slots replaced.
- Corrections ("no, seven thirty"): a turn opening with a "no" word undoes the last action (every
  write a skill made goes through the context, which kept the old values) and re-runs it with the
  new slots.
- Cancellations ("cancel that", the whole turn): drop a pending question, or undo the last action.
- Missing required slots: ask, keep the frame pending, fill it from the next turn.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiloglot.assistant.arbiter import Arbiter, ConfidencePolicy
from kiloglot.assistant.nlg import Localizer
from kiloglot.assistant.providers import Providers
from kiloglot.assistant.skill import Frame, NotConfigured, Skill, SkillContext, SkillResult
from kiloglot.assistant.skills import default_skills
from kiloglot.assistant.store import Store
from kiloglot.errors import InputError
from kiloglot.nlu.contract import Parser
from kiloglot.nlu.parse import Parse

MAX_TEXT = 1000
_EDGE_PUNCT = " \t?!.,;:¿¡\"'«»“”„。？！、，؟،"


@dataclass
class TurnResult:
    session_id: str
    locale: str
    reply: str
    reply_locale: str  # the catalogue the reply came from (English when the locale has none)
    action: str  # answer | confirm | rephrase | fallback | ask | cancel | not_configured
    parse: dict[str, Any]
    frame: dict[str, Any] | None = None
    data: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _words(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s\W]+", " ", text).strip()


def _starts_with(text: str, phrases: list[str]) -> str | None:
    """The phrase the text opens with (word boundary for spaced scripts), longest first."""
    for phrase in sorted((_words(p) for p in phrases), key=len, reverse=True):
        if (
            phrase
            and text.startswith(phrase)
            and (len(text) == len(phrase) or text[len(phrase)] == " " or not phrase.isascii())
        ):
            return phrase
    return None


def resolve_timezone(name: str) -> ZoneInfo:
    """An IANA time zone by name; an unknown name is an InputError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"time zone {name!r}: expected an IANA name such as Europe/Berlin") from None


class Assistant:
    """Parser + arbiter + skills + store; ``converse`` is one user turn."""

    def __init__(
        self,
        parser: Parser,
        store: Store,
        skills: list[Skill] | None = None,
        policy: ConfidencePolicy | None = None,
        providers: Providers | None = None,
        clock: Callable[[], datetime] | None = None,
        default_timezone: str = "UTC",
        history: int = 10,
        followup_turns: int = 3,
    ) -> None:
        self.parser = parser
        self.store = store
        self.arbiter = Arbiter(skills if skills is not None else default_skills(), policy)
        self.providers = providers or Providers()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.default_timezone = resolve_timezone(default_timezone).key
        self.history = history
        self.followup_turns = followup_turns

    # -- one turn ------------------------------------------------------------------------------
    def converse(
        self, session_id: str, text: str, locale: str | None = None, timezone_name: str | None = None
    ) -> TurnResult:
        if not session_id or len(session_id) > 128:
            raise InputError("session id: expected 1-128 characters")
        if not isinstance(text, str) or not text.strip():
            raise InputError("text: expected a non-empty utterance")
        if len(text) > MAX_TEXT:
            raise InputError(f"text: {len(text)} characters, expected at most {MAX_TEXT}")
        row = self.store.load_session(session_id)
        locale = locale or (row.locale if row else None)
        if not locale:
            raise InputError(f"session {session_id!r} is new: a locale is needed (for example en-US)")
        self.parser.check_request([text], locale)
        tz = resolve_timezone(timezone_name or (row.timezone if row else self.default_timezone))
        state: dict[str, Any] = dict(row.state) if row else {}
        state["turn"] = int(state.get("turn", 0)) + 1
        loc = Localizer(locale)
        parse = self.parser.parse([text], locale=locale)[0]
        now = self.clock().astimezone(tz)
        turn = _Turn(self, session_id, locale, loc, now, text, parse, state)
        result = turn.run()
        state.setdefault("history", []).append(
            {
                "turn": state["turn"],
                "text": text,
                "intent": parse.intent,
                "action": result.action,
                "reply": result.reply,
            }
        )
        state["history"] = state["history"][-self.history :]
        self.store.record_turn(
            session_id, locale, tz.key, state, text, result.parse, result.action, result.reply, writes=turn.writes
        )
        result.state = {k: v for k, v in state.items() if k != "last_action"}
        return result


class _Turn:
    """The decisions of one turn; kept apart from Assistant so that state is explicit."""

    def __init__(
        self,
        assistant: Assistant,
        session_id: str,
        locale: str,
        loc: Localizer,
        now: datetime,
        text: str,
        parse: Parse,
        state: dict[str, Any],
    ) -> None:
        self.a, self.session_id, self.locale, self.loc, self.now = assistant, session_id, locale, loc, now
        self.text, self.parse, self.state = text, parse, state
        self.words = _words(text)
        self.writes: dict[tuple[str, str], Any] = {}  # skill data to commit with the turn

    def reply(
        self, action: str, message: str, frame: Frame | None = None, data: dict[str, Any] | None = None, **values: Any
    ) -> TurnResult:
        text, source = self.loc.render(message, **values)
        return TurnResult(
            self.session_id,
            self.locale,
            text,
            source,
            action,
            self.parse.to_dict(),
            frame.to_dict() if frame else None,
            data or {},
        )

    def parse_slots(self, allowed: tuple[str, ...] | None = None) -> dict[str, list[str]]:
        slots: dict[str, list[str]] = {}
        for s in self.parse.slots:
            value = s.value.strip(_EDGE_PUNCT)
            if value and (allowed is None or s.name in allowed):
                slots.setdefault(s.name, []).append(value)
        return slots

    def run(self) -> TurnResult:
        st = self.state
        lex = self.loc.lexicon
        recent = st.get("last_frame") and self.state["turn"] - int(st.get("last_turn", 0)) <= self.a.followup_turns
        # the whole turn must be a cancel phrase: "cancel my alarm" is a request for the alarm skill
        if self.words in {_words(p) for p in lex("cancel")}:
            return self.cancel()
        if st.get("confirm"):
            frame = Frame.from_dict(st.pop("confirm"))
            if _starts_with(self.words, lex("yes")):
                return self.execute(frame)
            if self.words in {_words(p) for p in lex("no")}:
                return self.reply("rephrase", "rephrase")
        if st.get("pending"):
            pending = st.pop("pending")
            frame = Frame.from_dict(pending["frame"])
            slot = pending["ask"]
            spec = self.a.arbiter.skill_for(frame.intent).intents.get(frame.intent)  # type: ignore[union-attr]
            filled = self.parse_slots(spec.slots if spec else None)
            elsewhere = self.parse.scenario != frame.scenario and self.a.arbiter.route(self.parse).action == "answer"
            if slot in filled or not elsewhere:
                filled.setdefault(slot, [self.text.strip(_EDGE_PUNCT)])
                return self.execute(frame.with_slots(filled))
            # else the user moved on: a confident request elsewhere replaces the unanswered question
        no = _starts_with(self.words, lex("no"))
        undoable = (
            st.get("last_action") and self.state["turn"] - int(st["last_action"]["turn"]) <= self.a.followup_turns
        )
        if no and undoable and len(self.words) > len(no):
            corrected = self.correct()
            if corrected is not None:
                return corrected
        if recent and self.parse.slots:
            last = Frame.from_dict(st["last_frame"])
            skill = self.a.arbiter.skill_for(last.intent)
            spec = skill.intents.get(last.intent) if skill else None
            slots = self.parse_slots()
            marked = _starts_with(self.words, lex("followup")) is not None
            unsure = self.a.arbiter.route(self.parse).action != "answer"
            if spec and set(slots) <= set(spec.slots) and (marked or unsure) and len(self.words.split()) <= 6:
                return self.execute(last.with_slots(slots))
        route = self.a.arbiter.route(self.parse)
        frame = Frame(self.parse.intent, self.parse_slots())
        if route.action == "answer":
            st["misses"] = 0
            return self.execute(frame)
        if route.action == "confirm":
            st["confirm"] = frame.to_dict()
            return self.reply("confirm", "confirm", frame, scenario=self.loc.word("scenario", frame.scenario))
        st["misses"] = int(st.get("misses", 0)) + 1
        if route.action == "rephrase" and st["misses"] < 3:
            return self.reply("rephrase", "rephrase")
        st["misses"] = 0
        return self.reply("fallback", "fallback")

    def execute(self, frame: Frame) -> TurnResult:
        skill = self.a.arbiter.skill_for(frame.intent)
        if skill is None:
            return self.reply("fallback", "fallback", frame)
        missing = skill.missing(frame)
        if missing:
            self.state["pending"] = {"frame": frame.to_dict(), "ask": missing[0]}
            return self.ask(missing[0], frame)
        ctx = SkillContext(
            self.session_id,
            self.locale,
            self.loc,
            self.now,
            self.a.store,
            self.a.providers,
            self.text,
            skill.scenario,
            writes=self.writes,
        )
        try:
            result: SkillResult = skill.handle(frame, ctx)
        except NotConfigured as exc:
            return self.reply("not_configured", "not_configured", frame, service=self.loc.word("service", exc.service))
        if result.ask:
            self.state["pending"] = {"frame": frame.to_dict(), "ask": result.ask}
            return self.reply("ask", result.message, frame, result.data, **result.values)
        self.state["last_frame"] = frame.to_dict()
        self.state["last_turn"] = self.state["turn"]
        if ctx.changes:  # a query must not take the place of the last thing "cancel that" can undo
            self.state["last_action"] = {
                "frame": frame.to_dict(),
                "turn": self.state["turn"],
                "changes": [list(c) for c in ctx.changes],
            }
        return self.reply("answer", result.message, frame, result.data, **result.values)

    def ask(self, slot: str, frame: Frame) -> TurnResult:
        key = f"ask_{slot}"
        if key in self.loc.english.get("messages", {}):
            return self.reply("ask", key, frame)
        return self.reply("ask", "ask_slot", frame, slot=self.loc.word("slot", slot))

    def undo(self) -> bool:
        action = self.state.pop("last_action", None)
        if not action or not action.get("changes"):
            return False
        for skill, key, previous in action["changes"]:
            self.writes[(skill, key)] = previous
        return True

    def cancel(self) -> TurnResult:
        if self.state.pop("pending", None) or self.state.pop("confirm", None):
            return self.reply("cancel", "cancelled")
        if self.undo():
            self.state.pop("last_frame", None)
            return self.reply("cancel", "cancelled")
        return self.reply("cancel", "nothing_to_cancel")

    def correct(self) -> TurnResult | None:
        """Redo the last action with the slots of this turn; None when the turn brings none it could take."""
        last = Frame.from_dict(self.state["last_action"]["frame"])
        skill = self.a.arbiter.skill_for(last.intent)
        spec = skill.intents.get(last.intent) if skill else None
        slots = self.parse_slots(spec.slots if spec else None)
        if not slots:
            return None
        self.undo()
        return self.execute(last.with_slots(slots))
