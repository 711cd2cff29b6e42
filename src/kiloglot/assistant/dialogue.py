"""The dialogue manager: one call per user turn, state kept per session in the store.

A turn goes: parse -> the first of the named steps that answers (``cancel_request``,
``answer_confirmation``, ``answer_pending_question``, ``correct_last_action``, ``follow_up``,
``new_request`` routed by the arbiter) -> skill -> reply in the user's language. The session's state
is a typed ``DialogueState`` (``kiloglot.assistant.state``).

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
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiloglot.assistant.arbiter import Arbiter, ConfidencePolicy
from kiloglot.assistant.nlg import Localizer
from kiloglot.assistant.providers import Providers
from kiloglot.assistant.rewriter import Rewriter
from kiloglot.assistant.skill import Frame, NotConfigured, Skill, SkillContext, SkillData, SkillResult
from kiloglot.assistant.skills import default_skills
from kiloglot.assistant.state import DialogueState, HistoryEntry, LastAction, PendingQuestion
from kiloglot.assistant.store import Store
from kiloglot.errors import InputError, NotFound
from kiloglot.langid.contract import LanguageIdentifier
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
    step: str = ""  # the turn step that answered (cancel_request, answer_pending_question, ... new_request)
    turn_id: int | None = None  # the turn's row in the log: what feedback names
    user_id: str = ""
    rewritten: dict[str, Any] | None = None  # {"id", "from", "to", "near"} when a learned rewrite was applied

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
        identifier: LanguageIdentifier | None = None,
        switch_confidence: float = 0.95,
        rewriter: Rewriter | None = None,
    ) -> None:
        self.parser = parser
        self.store = store
        self.arbiter = Arbiter(skills if skills is not None else default_skills(), policy)
        self.providers = providers or Providers()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.default_timezone = resolve_timezone(default_timezone).key
        self.history = history
        self.followup_turns = followup_turns
        self.identifier = identifier  # names the locale of a turn that comes without one
        self.switch_confidence = switch_confidence  # a session leaves its locale only on evidence this strong
        self.rewriter = rewriter  # learned rewrites applied before parsing; None: the kill switch

    def choose_locale(self, text: str, session_locale: str | None, fallback: str | None = None) -> str | None:
        """The locale of a turn that came without one: the session's (sticky), unless the identifier is
        sure the text is in another of the model's locales; for a new session, the identified one, or
        ``fallback`` (the client's Accept-Language) when the identifier is unsure."""
        if self.identifier is None:
            return session_locale or fallback
        guess = self.identifier.identify(text, self.parser.locales)
        if session_locale is not None:
            strong = guess.confidence >= self.switch_confidence and len(text.strip()) >= 8
            return guess.locale if strong and guess.locale != session_locale else session_locale
        return guess.locale if guess.confidence >= 0.5 or fallback is None else fallback

    # -- one turn ------------------------------------------------------------------------------
    def converse(
        self,
        session_id: str,
        text: str,
        locale: str | None = None,
        timezone_name: str | None = None,
        *,
        owner: str | None = None,
        fallback_locale: str | None = None,
        user_id: str | None = None,
        rewrite: bool = True,
    ) -> TurnResult:
        """One turn. ``owner`` (a hash of the client, see ``store.client_hash``) binds a new session to its
        client; a session bound to another client is not found. Without ``locale``, ``choose_locale``
        decides (the session's, the identified one, or ``fallback_locale``). ``user_id`` names the user
        across sessions (default: the session's user, else the session itself); ``rewrite=False`` parses
        the text as said even where a learned rewrite exists."""
        check_text("session id", session_id, 128)
        check_text("text", text, MAX_TEXT)
        if user_id is not None:
            check_user_id(user_id)
        peek = self.store.load_session(session_id)  # no lock: to parse before taking the session's lock
        if peek is not None and peek.owner is not None and peek.owner != owner:
            raise NotFound(f"no session {session_id!r} for this client")
        locale = locale or self.choose_locale(text, peek.locale if peek else None, fallback_locale)
        if not locale:
            raise InputError(f"session {session_id!r} is new: a locale is needed (for example en-US)")
        self.parser.check_request([text], locale)
        tz = resolve_timezone(timezone_name or (peek.timezone if peek else self.default_timezone))
        user_id = user_id or (peek.user_id if peek is not None else None) or session_id
        hit = self.rewriter.lookup(text, locale) if self.rewriter is not None and rewrite else None
        parsed_text = hit.target if hit is not None else text
        parse = self.parser.parse([parsed_text], locale=locale)[0]
        if hit is not None and hit.intent is not None:
            parse = given_intent(parse, hit.intent)
        with self.store.turn(session_id) as tx:  # no other turn of this session runs until it commits
            row = tx.session()
            state = DialogueState.from_dict(row.state if row else None)
            state.turn += 1
            now = self.clock().astimezone(tz)
            turn = _Turn(self, session_id, locale, Localizer(locale), now, parsed_text, parse, state, tx)
            result = turn.run()
            entry = HistoryEntry(state.turn, text, parse.intent, result.action, result.reply)
            state.history = [*state.history, entry][-self.history :]
            result.turn_id = tx.record(
                turn=state.turn, locale=locale, tz=tz.key, state=state.to_dict(), text=text, parse=result.parse,
                action=result.action, reply=result.reply, writes=turn.writes, owner=owner, user_id=user_id,
                step=result.step, rewritten=parsed_text if hit else None, rewrite_id=hit.id if hit else None,
                at=now,
            )  # fmt: skip
            for (skill_name, key), value in turn.writes.items():
                skill = self.arbiter.skill_of_scenario(skill_name)
                items = skill.scheduled(key, value, locale) if skill else None
                if items is not None:
                    tx.schedule(skill_name, key, items)
        result.state = state.to_dict(internal=False)
        result.user_id = user_id
        result.rewritten = hit.to_dict(text) if hit is not None else None
        return result


def given_intent(parse: Parse, intent: str) -> Parse:
    """``parse`` with the intent users said they meant (a rewrite's): sure of it, the parser's slots kept."""
    others = tuple((i, p) for i, p in parse.alternatives if i != intent)
    return replace(parse, intent=intent, confidence=1.0, alternatives=((intent, 1.0), *others))


_USER_ID = re.compile(r"[A-Za-z0-9_.:@-]{1,64}")


def check_user_id(user_id: object) -> None:
    """A user id a client sends: 1-64 letters, digits or ``_.:@-`` (an opaque id, never a name)."""
    if not isinstance(user_id, str) or not _USER_ID.fullmatch(user_id):
        raise InputError(f"user id {user_id!r}: expected 1-64 characters from A-Z a-z 0-9 _ . : @ -")


def check_text(what: str, value: object, limit: int) -> None:
    """A text a client sends: a non-empty string of at most ``limit`` characters, with no NUL (which
    PostgreSQL cannot store) and valid UTF-8."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{what}: expected a non-empty text")
    if len(value) > limit:
        raise InputError(f"{what}: {len(value)} characters, expected at most {limit}")
    if "\x00" in value:
        raise InputError(f"{what}: contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{what}: not valid UTF-8 text") from None


class _Turn:
    """The decisions of one turn, as named steps tried in order (the first that answers wins)."""

    def __init__(
        self,
        assistant: Assistant,
        session_id: str,
        locale: str,
        loc: Localizer,
        now: datetime,
        text: str,
        parse: Parse,
        state: DialogueState,
        data: SkillData,
    ) -> None:
        self.a, self.session_id, self.locale, self.loc, self.now = assistant, session_id, locale, loc, now
        self.text, self.parse, self.state, self.data = text, parse, state, data
        self.words = _words(text)
        self.writes: dict[tuple[str, str], Any] = {}  # skill data to commit with the turn
        self.steps: tuple[Callable[[], TurnResult | None], ...] = (
            self.cancel_request,
            self.answer_confirmation,
            self.answer_pending_question,
            self.correct_last_action,
            self.follow_up,
            self.new_request,
        )

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
        for step in self.steps:
            result = step()
            if result is not None:
                result.step = step.__name__
                return result
        raise AssertionError("new_request always answers")  # pragma: no cover

    # -- the steps, in order --------------------------------------------------------------------
    def cancel_request(self) -> TurnResult | None:
        """The whole turn is a cancel phrase ("cancel my alarm" is a request for the alarm skill)."""
        if self.words in {_words(p) for p in self.loc.lexicon("cancel")}:
            return self.cancel()
        return None

    def answer_confirmation(self) -> TurnResult | None:
        """Yes or no to "did you mean ...?"; anything else drops the question and goes on."""
        frame, self.state.confirm = self.state.confirm, None
        if frame is None:
            return None
        if _starts_with(self.words, self.loc.lexicon("yes")):
            return self.execute(frame)
        if self.words in {_words(p) for p in self.loc.lexicon("no")}:
            return self.reply("rephrase", "rephrase")
        return None

    def answer_pending_question(self) -> TurnResult | None:
        """The answer to a question for a missing slot: the slot when the parse found it, else the whole
        turn as free text, unless the turn is a confident request for another intent, which then replaces
        the unanswered question."""
        pending, self.state.pending = self.state.pending, None
        if pending is None:
            return None
        frame, slot = pending.frame, pending.ask
        skill = self.a.arbiter.skill_for(frame.intent)
        spec = skill.intents.get(frame.intent) if skill else None
        filled = self.parse_slots(spec.slots if spec else None)
        if slot not in filled:
            # a free-text answer only when the turn does not look like a new request: a confident parse
            # of another intent ("what is 15 times 7" after "What should I call it?") is one
            if self.a.arbiter.route(self.parse).action == "answer" and self.parse.intent != frame.intent:
                return None
            filled[slot] = [self.text.strip(_EDGE_PUNCT)]
        return self.execute(frame.with_slots(filled))

    def correct_last_action(self) -> TurnResult | None:
        """ "no, eight am" soon after an action: undo it and run it again with this turn's slots."""
        no = _starts_with(self.words, self.loc.lexicon("no"))
        last = self.state.last_action
        if not (no and last and self.state.turn - last.turn <= self.a.followup_turns and len(self.words) > len(no)):
            return None
        skill = self.a.arbiter.skill_for(last.frame.intent)
        spec = skill.intents.get(last.frame.intent) if skill else None
        slots = self.parse_slots(spec.slots if spec else None)
        if not slots:
            return None
        self.undo()
        return self.execute(last.frame.with_slots(slots))

    def follow_up(self) -> TurnResult | None:
        """ "and in London?": a short turn whose slots all fit the previous intent, said with a follow-up
        word or parsed without confidence, runs the previous frame with those slots replaced."""
        last = self.state.last_frame
        if last is None or self.state.turn - self.state.last_turn > self.a.followup_turns or not self.parse.slots:
            return None
        skill = self.a.arbiter.skill_for(last.intent)
        spec = skill.intents.get(last.intent) if skill else None
        slots = self.parse_slots()
        marked = _starts_with(self.words, self.loc.lexicon("followup")) is not None
        unsure = self.a.arbiter.route(self.parse).action != "answer"
        if spec and set(slots) <= set(spec.slots) and (marked or unsure) and len(self.words.split()) <= 6:
            return self.execute(last.with_slots(slots))
        return None

    def new_request(self) -> TurnResult:
        """A request routed by the arbiter: answer, confirm, ask to rephrase, or fall back."""
        route = self.a.arbiter.route(self.parse)
        frame = Frame(self.parse.intent, self.parse_slots())
        if route.action == "answer":
            self.state.misses = 0
            return self.execute(frame)
        if route.action == "confirm":
            self.state.confirm = frame
            return self.reply("confirm", "confirm", frame, scenario=self.loc.word("scenario", frame.scenario))
        self.state.misses += 1
        if route.action == "rephrase" and self.state.misses < 3:
            return self.reply("rephrase", "rephrase")
        self.state.misses = 0
        return self.reply("fallback", "fallback")

    # -- running a frame ------------------------------------------------------------------------
    def execute(self, frame: Frame) -> TurnResult:
        skill = self.a.arbiter.skill_for(frame.intent)
        if skill is None:
            return self.reply("fallback", "fallback", frame)
        ctx = SkillContext(
            self.session_id,
            self.locale,
            self.loc,
            self.now,
            self.data,
            self.a.providers,
            self.text,
            skill.scenario,
            writes=self.writes,
        )
        frame = skill.complete(frame, ctx)
        missing = skill.missing(frame)
        if missing:
            self.state.pending = PendingQuestion(frame, missing[0])
            return self.ask(missing[0], frame)
        try:
            result: SkillResult = skill.handle(frame, ctx)
        except NotConfigured as exc:
            return self.reply("not_configured", "not_configured", frame, service=self.loc.word("service", exc.service))
        if result.ask:
            self.state.pending = PendingQuestion(frame, result.ask)
            return self.reply("ask", result.message, frame, result.data, **result.values)
        self.state.last_frame, self.state.last_turn = frame, self.state.turn
        if ctx.changes:  # a query must not take the place of the last thing "cancel that" can undo
            self.state.last_action = LastAction(frame, self.state.turn, list(ctx.changes))
        return self.reply("answer", result.message, frame, result.data, **result.values)

    def ask(self, slot: str, frame: Frame) -> TurnResult:
        key = f"ask_{slot}"
        if key in self.loc.english.get("messages", {}):
            return self.reply("ask", key, frame)
        return self.reply("ask", "ask_slot", frame, slot=self.loc.word("slot", slot))

    def undo(self) -> bool:
        action, self.state.last_action = self.state.last_action, None
        if not action or not action.changes:
            return False
        for skill, key, previous in action.changes:
            self.writes[(skill, key)] = previous
        return True

    def cancel(self) -> TurnResult:
        had_question = self.state.pending or self.state.confirm
        self.state.pending = self.state.confirm = None
        if had_question:
            return self.reply("cancel", "cancelled")
        if self.undo():
            self.state.last_frame = None
            return self.reply("cancel", "cancelled")
        return self.reply("cancel", "nothing_to_cancel")
