"""Teacher to student: knowledge distillation for both heads on labelled plus unlabelled utterances.

The teacher (any saved parser) labels every utterance: its intent distribution and per-word slot
distributions at temperature T (a neural teacher; a CRF teacher gives posterior marginals), or its
top intents and best labels (any other parser). Unlabelled utterances, in locales that may have no
labels at all, get the teacher's best labels as hard targets: that is how a zero-shot teacher's
knowledge reaches a student in every locale. Students: a neural model (``neural:dim=128,layers=2``),
trained on soft and hard targets, or the linear parser (``linear``), trained on the hard targets
(sequence-level distillation: it cannot take distributions).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kiloglot.data.example import OUTSIDE, Example
from kiloglot.errors import InputError
from kiloglot.fileio import atomic_write
from kiloglot.learn.unlabeled import Utterance
from kiloglot.nlu.artifact import MANIFEST_FILE
from kiloglot.nlu.contract import GivesSoftTargets, LearnsFromSoftTargets, Parser, TrainableParser
from kiloglot.nlu.soft_targets import SoftTargets
from kiloglot.options import parse_assignments

log = logging.getLogger(__name__)

STUDENT_KINDS = ("neural", "linear")


@dataclass(frozen=True)
class StudentSpec:
    """The student's kind and its keyword options (as ``registry.create`` takes them)."""

    kind: str
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in STUDENT_KINDS:
            raise InputError(f"student {self.kind!r}: expected 'linear' or 'neural'")

    @classmethod
    def parse(cls, spec: str, options: dict[str, Any] | None = None) -> StudentSpec:
        """``"linear"`` or ``"neural"``, with options from ``KEY=VALUE`` strings or values. The older
        ``"neural:dim=128,layers=2"`` form is still read, into the same options."""
        kind, _, rest = spec.partition(":")
        if kind not in STUDENT_KINDS:
            raise InputError(f"student {spec!r}: expected 'linear' or 'neural', options given as KEY=VALUE")
        inline = parse_assignments(p.strip() for p in rest.split(",") if p.strip())
        if inline:
            log.warning("student %r: options after ':' are deprecated; give them as options (-o KEY=VALUE)", spec)
        return cls(kind, {**inline, **(options or {})})


def teacher_targets(
    teacher: Parser,
    utterances: Sequence[Utterance],
    temperature: float,
    labels: tuple[list[str], list[str]],
    progress: Callable[[int], None] | None = None,
    chunk: int = 2048,
) -> SoftTargets:
    """The teacher's distributions for every utterance (in order). ``labels``: the teacher's intent and
    slot label sets (its manifest's), for teachers that only give parses."""
    parts: list[SoftTargets] = []
    for b in range(0, len(utterances), chunk):
        part = utterances[b : b + chunk]
        if isinstance(teacher, GivesSoftTargets):
            parts.append(teacher.soft_targets([list(u.words) for u in part], temperature))
        else:
            parts.append(_targets_from_parses(teacher, part, *labels))
        if progress:
            progress(len(part))
    first = parts[0]
    return SoftTargets(
        np.concatenate([p.intent_probs for p in parts]),
        [a for p in parts for a in p.slot_probs],
        first.intents,
        first.slots,
    )


def _targets_from_parses(
    teacher: Parser, utterances: Sequence[Utterance], intents: list[str], slots: list[str]
) -> SoftTargets:
    """For teachers without distributions: the top-k intent probabilities (renormalised) and one-hot labels."""
    slots = sorted(set(slots) | {OUTSIDE})
    ii, si = {k: i for i, k in enumerate(intents)}, {k: i for i, k in enumerate(slots)}
    ip = np.zeros((len(utterances), len(intents)), dtype=np.float32)
    sp = []
    by_locale: dict[str, list[int]] = {}
    for i, u in enumerate(utterances):
        by_locale.setdefault(u.locale, []).append(i)
    parses: list[Any] = [None] * len(utterances)
    for locale, idx in by_locale.items():
        for i, p in zip(idx, teacher.parse([utterances[i].text for i in idx], locale)):
            parses[i] = p
    for r, p in enumerate(parses):
        for name, prob in p.alternatives or ((p.intent, 1.0),):
            ip[r, ii[name]] = prob
        ip[r] /= ip[r].sum()
        rows = np.zeros((len(utterances[r].words), len(slots)), dtype=np.float32)
        for w, label in enumerate(p.word_labels[: len(rows)]):
            rows[w, si.get(label, si[OUTSIDE])] = 1.0
        sp.append(rows)
    return SoftTargets(ip, sp, intents, slots)


def pseudo_examples(utterances: Sequence[Utterance], targets: SoftTargets) -> list[Example]:
    """Examples carrying the teacher's best intent and per-word labels."""
    out = []
    for i, (u, sp) in enumerate(zip(utterances, targets.slot_probs)):
        labels = tuple(targets.slots[int(j)] for j in sp.argmax(-1)) if len(sp) else ()
        out.append(
            Example(
                id=f"teacher-{i}",
                locale=u.locale,
                text=u.text,
                words=u.words,
                word_labels=labels,
                intent=targets.intents[int(targets.intent_probs[i].argmax())],
                partition="train",
            )
        )
    return out


# -- cached teacher targets -----------------------------------------------------------------------
# One teacher pass is the slow part of distillation (a pretrained teacher labels ~140 utterances/s on
# 2 cores), so its targets are kept per utterance: another student, a subset or a superset of the
# text reuses them, and only utterances the cache lacks go to the teacher.
def _teacher_key(teacher_dir: Path, temperature: float) -> str:
    h = hashlib.sha256()
    manifest = teacher_dir / MANIFEST_FILE
    h.update(manifest.read_bytes() if manifest.is_file() else b"")
    h.update(f"{temperature}\n".encode())
    return h.hexdigest()


@dataclass
class TargetsCache:
    """Teacher targets of one teacher at one temperature, per (locale, text), in an .npz file."""

    path: Path
    teacher_dir: Path
    temperature: float

    def _read(self) -> tuple[list[tuple[str, str]], SoftTargets] | None:
        """What the file holds, None when there is no file. A file of another teacher or temperature is
        refused rather than replaced: its targets may have cost hours of teacher time."""
        if not self.path.is_file():
            return None
        try:
            with np.load(self.path, allow_pickle=False) as z:
                if "texts" not in z.files:
                    raise ValueError("no per-utterance texts")
                if str(z["key"]) != _teacher_key(self.teacher_dir, self.temperature):
                    owner = (
                        f" ({z['teacher']} at temperature {float(z['temperature'])})" if "teacher" in z.files else ""
                    )
                    raise InputError(
                        f"targets cache {self.path}: holds another teacher's targets or another temperature{owner}, "
                        f"not {self.teacher_dir} at temperature {self.temperature}; give another cache path"
                    )
                keys = [tuple(k) for k in json.loads(str(z["texts"]))]
                return keys, _unpack(z)
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(f"targets cache {self.path}: not a kiloglot targets file ({exc})") from None

    def get(self, utterances: Sequence[Utterance]) -> tuple[SoftTargets | None, list[int]]:
        """(targets with a row for every utterance, or None; indices of the utterances the cache lacks)."""
        stored = self._read()
        if stored is None:
            return None, list(range(len(utterances)))
        keys, t = stored
        where = {k: i for i, k in enumerate(keys)}
        rows = [where.get((u.locale, u.text), -1) for u in utterances]
        missing = [i for i, r in enumerate(rows) if r < 0]
        ip = np.zeros((len(utterances), len(t.intents)), dtype=np.float32)
        sp: list[np.ndarray] = [np.zeros((0, len(t.slots)), dtype=np.float32)] * len(utterances)
        for i, r in enumerate(rows):
            if r >= 0:
                ip[i], sp[i] = t.intent_probs[r], t.slot_probs[r]
        return SoftTargets(ip, sp, t.intents, t.slots), missing

    def put(self, utterances: Sequence[Utterance], targets: SoftTargets) -> None:
        """Add these utterances' targets to what the file holds (same teacher and temperature) and rewrite it."""
        stored = self._read()
        keys = [(u.locale, u.text) for u in utterances]
        if stored is not None and stored[1].intents == targets.intents and stored[1].slots == targets.slots:
            old_keys, old = stored
            new = set(keys)
            keep = [i for i, k in enumerate(old_keys) if k not in new]
            keys = [old_keys[i] for i in keep] + keys
            targets = SoftTargets(
                np.concatenate([old.intent_probs[keep], targets.intent_probs]),
                [old.slot_probs[i] for i in keep] + list(targets.slot_probs),
                targets.intents,
                targets.slots,
            )
        lengths = np.array([len(a) for a in targets.slot_probs], dtype=np.int64)
        flat = np.concatenate(targets.slot_probs) if targets.slot_probs else np.zeros((0, len(targets.slots)))
        key = _teacher_key(self.teacher_dir, self.temperature)

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as f:
                np.savez(
                    f,
                    key=key,
                    teacher=str(self.teacher_dir),
                    temperature=self.temperature,
                    texts=json.dumps(keys, ensure_ascii=False),
                    intents=targets.intent_probs.astype(np.float16),
                    slots=flat.astype(np.float16),
                    lengths=lengths,
                    intent_names=json.dumps(targets.intents),
                    slot_names=json.dumps(targets.slots),
                )

        atomic_write(self.path, write)


def _unpack(z: Any) -> SoftTargets:
    lengths = z["lengths"]
    flat = z["slots"].astype(np.float32)
    return SoftTargets(
        z["intents"].astype(np.float32),
        list(np.split(flat, np.cumsum(lengths)[:-1])),
        json.loads(str(z["intent_names"])),
        json.loads(str(z["slot_names"])),
    )


# -- the workflow --------------------------------------------------------------------------------
def distill(
    teacher_dir: str | Path,
    student: StudentSpec,
    labelled: Sequence[Example],
    unlabelled: Sequence[Utterance],
    *,
    dev: Sequence[Example] = (),
    temperature: float = 2.0,
    hard_weight: float = 0.5,
    cache: str | Path | None = None,
    jobs: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[TrainableParser, dict[str, Any]]:
    """Label with the teacher, train the student; returns (student parser, report). Nothing is saved here.
    ``progress(note, done, total)`` follows the teacher's labelling and the student's training."""
    from kiloglot.nlu import load, read_manifest, registry

    teacher_dir = Path(teacher_dir)
    if temperature <= 0:
        raise InputError(f"temperature {temperature}: expected a positive number")
    if not 0.0 <= hard_weight <= 1.0:
        raise InputError(f"hard weight {hard_weight}: expected a number between 0 and 1")
    teacher = load(teacher_dir)
    manifest = read_manifest(teacher_dir)
    labels = (list(manifest["intents"]), list(manifest["slots"]))
    gold = {(e.locale, e.text) for e in labelled}
    extra = [u for u in unlabelled if (u.locale, u.text) not in gold]  # a text with gold labels keeps them
    if not labelled and not extra:
        raise InputError("nothing to distil on: expected labelled examples or unlabelled utterances")
    missing = sorted({u.locale for u in extra if not teacher.supports(u.locale)})
    if missing:
        raise InputError(
            f"the teacher {teacher_dir} cannot parse {', '.join(missing)}: it knows {', '.join(teacher.locales)}"
        )
    # A neural student learns from the teacher's distributions on every utterance, gold-labelled ones
    # included; the linear student takes hard labels only, so gold-labelled text needs no teacher pass
    # (in the full-data setting that is all of it).
    gold_utterances = (
        [Utterance(e.locale, e.text, tuple(e.words)) for e in labelled] if student.kind == "neural" else []
    )
    everything = gold_utterances + list(extra)
    t0 = time.perf_counter()
    store = TargetsCache(Path(cache), teacher_dir, temperature) if cache else None
    targets, todo_rows = store.get(everything) if store else (None, list(range(len(everything))))
    if not everything:
        targets = SoftTargets(np.zeros((0, len(labels[0])), dtype=np.float32), [], labels[0], labels[1])
    elif todo_rows:
        todo = [everything[i] for i in todo_rows]
        done = len(everything) - len(todo_rows)

        def step(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress("teacher labelling", done, len(everything))

        fresh = teacher_targets(teacher, todo, temperature, labels, step)
        if targets is None:
            targets = fresh
        else:
            for j, i in enumerate(todo_rows):
                targets.intent_probs[i], targets.slot_probs[i] = fresh.intent_probs[j], fresh.slot_probs[j]
        if store:
            store.put(todo, fresh)
    if store:
        log.info(
            "teacher targets: %s from the cache %s, %s labelled now",
            f"{len(everything) - len(todo_rows):,}",
            cache,
            f"{len(todo_rows):,}",
        )
    label_secs = time.perf_counter() - t0
    assert targets is not None  # from the cache, from the teacher, or empty
    del teacher
    skip = len(gold_utterances)
    train = list(labelled) + pseudo_examples(
        extra, SoftTargets(targets.intent_probs[skip:], targets.slot_probs[skip:], targets.intents, targets.slots)
    )
    t1 = time.perf_counter()
    options = dict(student.options)
    if student.kind == "neural":
        options.setdefault("slot_decoder", "softmax")
    model = registry.create(student.kind, **options, **({"jobs": jobs} if jobs else {}))
    if isinstance(model, LearnsFromSoftTargets):
        model.fit_distilled(
            train,
            targets,
            dev,
            temperature=temperature,
            hard_weight=hard_weight,
            progress=(lambda note, s: progress(note, 0, 0)) if progress else None,
        )
    else:  # sequence-level distillation: the student learns the teacher's best labels
        model.fit(train, None)
    report = {
        "teacher": str(teacher_dir),
        "student": {"kind": student.kind, "options": options},
        "temperature": temperature,
        "hard_weight": hard_weight if isinstance(model, LearnsFromSoftTargets) else 1.0,
        "labelled": len(labelled),
        "unlabelled": len(extra),
        "labelled_locales": sorted({e.locale for e in labelled}),
        "unlabelled_locales": sorted({u.locale for u in extra}),
        "teacher_seconds": round(label_secs, 1),
        "student_seconds": round(time.perf_counter() - t1, 1),
    }
    return model, report


def distill_and_save(
    out: str | Path,
    teacher_dir: str | Path,
    student: StudentSpec,
    labelled: Sequence[Example],
    unlabelled: Sequence[Utterance],
    *,
    dev: Sequence[Example] = (),
    **settings: Any,
) -> tuple[TrainableParser, dict[str, Any]]:
    """``distill``, then the student's dev scores, then the student saved to ``out`` with its report and
    scores in the manifest; ``settings`` are ``distill``'s keyword arguments."""
    from kiloglot.evaluation.evaluate import dev_metrics

    model, report = distill(teacher_dir, student, labelled, unlabelled, dev=dev, **settings)
    metrics: dict[str, Any] = {"distillation": report, **dev_metrics(model, dev)}
    model.save(out, metrics=metrics)
    return model, metrics
