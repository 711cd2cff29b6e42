"""What a skill is: one handler per intent it declares, each with its required and optional slots.

After Home Assistant's ``IntentHandler``: a skill method decorated with ``@handles("alarm_set",
required=("time",), optional=(...))`` is the handler of that intent, and the slots it takes are declared
next to the code that reads them; ``Skill.handle`` dispatches by intent, with no ``if intent ==`` chains.
A handler reads a ``Frame`` (intent + slot texts), does its work through a ``SkillContext`` (per-user
data in the store, the clock, the localizer, outside-service providers) and returns a
``SkillResult``: a reply template key with its values, or a question for a missing slot.
Writes go through the context, which remembers the previous values, so that any action can be
undone by "cancel that" or replaced by a correction without the skill knowing about either; they are
committed with the turn's log and session state in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar, Protocol

from kiloglot.assistant.nlg import Localizer
from kiloglot.assistant.providers import Providers


@dataclass(frozen=True)
class IntentSpec:
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    @property
    def slots(self) -> tuple[str, ...]:
        return self.required + self.optional


@dataclass
class Frame:
    """An intent with the slot texts gathered for it, possibly over several turns."""

    intent: str
    slots: dict[str, list[str]] = field(default_factory=dict)

    @property
    def scenario(self) -> str:
        return self.intent.split("_", 1)[0]

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.slots.get(name)
        return values[0] if values else default

    def all(self, name: str) -> list[str]:
        return list(self.slots.get(name, []))

    def with_slots(self, slots: dict[str, list[str]]) -> Frame:
        merged = {k: list(v) for k, v in self.slots.items()}
        merged.update({k: list(v) for k, v in slots.items()})
        return Frame(self.intent, merged)

    def to_dict(self) -> dict[str, Any]:
        return {"intent": self.intent, "slots": self.slots}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Frame:
        return cls(d["intent"], {k: list(v) for k, v in d.get("slots", {}).items()})


@dataclass
class SkillResult:
    message: str
    values: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)  # structured result for API clients
    ask: str | None = None  # a slot the skill still needs; message is then the question

    @classmethod
    def question(cls, slot: str, message: str | None = None, **values: Any) -> SkillResult:
        return cls(message or f"ask_{slot}", values, ask=slot)


class NotConfigured(Exception):
    """A skill needs an outside service that no provider is configured for."""

    def __init__(self, service: str) -> None:
        super().__init__(service)
        self.service = service


class SkillData(Protocol):
    """Where a skill's data is read from: the turn's transaction (or, outside a turn, the store)."""

    def get(self, owner: str, skill: str, key: str, default: Any = None) -> Any: ...


@dataclass
class SkillContext:
    owner: str
    locale: str
    loc: Localizer
    now: datetime
    store: SkillData
    providers: Providers
    text: str = ""
    skill: str = ""
    changes: list[tuple[str, str, Any]] = field(default_factory=list)  # (skill, key, previous value)
    writes: dict[tuple[str, str], Any] = field(default_factory=dict)  # committed with the turn, atomically

    def data_of(self, skill: str, key: str, default: Any = None) -> Any:
        """What another skill keeps (the music skill asks what play is playing)."""
        if (skill, key) in self.writes:
            value = self.writes[(skill, key)]
            return default if value is None else value
        return self.store.get(self.owner, skill, key, default)

    def data(self, key: str, default: Any = None) -> Any:
        return self.data_of(self.skill, key, default)

    def save(self, key: str, value: Any) -> None:
        if not any(s == self.skill and k == key for s, k, _ in self.changes):
            self.changes.append((self.skill, key, self.data(key)))
        self.writes[(self.skill, key)] = value

    def provider(self, service: str) -> Any:
        found = getattr(self.providers, service, None)
        if found is None:
            raise NotConfigured(service)
        return found


Handler = Callable[[Any, Frame, SkillContext], SkillResult]
_SPEC = "__kiloglot_intent__"


def handles(
    intent: str, *, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()
) -> Callable[[Handler], Handler]:
    """Mark a skill method as the handler of ``intent``, taking these slots."""

    def mark(fn: Handler) -> Handler:
        specs = dict(getattr(fn, _SPEC, {}))
        specs[intent] = IntentSpec(required, optional)
        setattr(fn, _SPEC, specs)
        return fn

    return mark


class Skill:
    """One per MASSIVE scenario. Subclasses set ``scenario`` and declare their intents with ``@handles``."""

    scenario: ClassVar[str]
    intents: ClassVar[Mapping[str, IntentSpec]] = MappingProxyType({})
    _handlers: ClassVar[Mapping[str, str]] = MappingProxyType({})  # intent -> method name

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        intents: dict[str, IntentSpec] = dict(cls.intents)
        handlers: dict[str, str] = dict(cls._handlers)
        for name, member in vars(cls).items():
            for intent, spec in getattr(member, _SPEC, {}).items():
                if intent in intents and handlers.get(intent) != name:
                    raise TypeError(f"{cls.__name__}: two handlers for intent {intent!r}")
                intents[intent], handlers[intent] = spec, name
        cls.intents, cls._handlers = MappingProxyType(intents), MappingProxyType(handlers)

    def handle(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        """Run the handler the frame's intent has."""
        name = self._handlers.get(frame.intent)
        if name is None:
            raise KeyError(f"{type(self).__name__} has no handler for intent {frame.intent!r}")
        handler: Callable[[Frame, SkillContext], SkillResult] = getattr(self, name)
        return handler(frame, ctx)

    def complete(self, frame: Frame, ctx: SkillContext) -> Frame:
        """The frame with what the parser mis-tagged set right before required slots are checked (a time
        tagged as another slot); by default the frame as it is."""
        return frame

    def missing(self, frame: Frame) -> list[str]:
        spec = self.intents.get(frame.intent, IntentSpec())
        return [s for s in spec.required if not frame.get(s)]

    def scheduled(self, key: str, value: Any, locale: str) -> list[dict[str, Any]] | None:
        """What of this skill's data ``key`` must fire at a moment (``{"item", "kind", "label", "due"}``,
        ``due`` a timezone-aware datetime), or None when the key holds nothing to schedule."""
        return None
