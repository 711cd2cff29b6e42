"""Labelled data for a language nobody labelled, from a bilingual lexicon (and a morphology table).

After Wang, Ruder and Neubig (ACL 2022, "Expanding Pretrained Models to Thousands More Languages via
Lexicon-based Adaptation"): every word of a labelled source utterance that has a lexicon entry is
replaced by one of its translations, keeping its slot label; words without one (names, most function
words the lexicon lacks) stay as they are. Translations are sampled with a seeded generator, so the same
seed gives the same data. Where a UniMorph table has the target language, a translated lemma is, with
probability ``inflect``, replaced by one of its inflected forms, so that the text looks more like
inflected text than a row of dictionary forms.

A lexicon is a two-column TSV, ``english<TAB>target`` per line (more columns are ignored; ``#`` starts a
comment); several files merge. English multi-word entries (GATITOS has phrases) match longest first.
English words are looked up as they are, then as their lemma ("hours" -> "hour"), since lexicons hold
base forms.
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from kiloglot.data.codec import SlotCodec
from kiloglot.data.example import Example
from kiloglot.data.locales import language_codes
from kiloglot.data.segmentation import splits_characters
from kiloglot.errors import DataError, InputError

log = logging.getLogger(__name__)

_EDGE_PUNCTUATION = re.compile(r"^[^\w']+|[^\w']+$")
_JUNK = re.compile(r"^&|^-|-$")  # wiktionary_bli's HTML entities and affixes ("&nbsp", "-ectomy")


def _norm(text: str) -> str:
    return _EDGE_PUNCTUATION.sub("", unicodedata.normalize("NFC", text).strip().casefold())


@dataclass
class Lexicon:
    """English (single words and phrases) -> translations into one target language."""

    entries: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    longest: int = 1  # words in the longest English entry

    def __len__(self) -> int:
        return sum(len(v) for v in self.entries.values())

    def add(self, english: str, target: str) -> bool:
        """One pair; False when either side is empty or junk."""
        key = tuple(_norm(w) for w in english.split())
        value = " ".join(target.strip().split())
        value = unicodedata.normalize("NFC", value)
        if not key or not all(key) or not value or _JUNK.search(english.strip()) or _JUNK.search(value):
            return False
        self.longest = max(self.longest, len(key))
        translations = self.entries.setdefault(key, [])
        if value not in translations:
            translations.append(value)
        return True

    @classmethod
    def read(cls, paths: Sequence[str | Path]) -> Lexicon:
        lexicon = cls()
        for path in map(Path, paths):
            if not path.is_file():
                raise DataError(f"lexicon {path}: no such file; expected a TSV of english<TAB>target lines")
            kept = bad = 0
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", encoding="utf-8") as lines:
                for line in lines:
                    if not line.strip() or line.startswith("#"):
                        continue
                    cells = line.rstrip("\n").split("\t")
                    if len(cells) < 2:
                        bad += 1
                        continue
                    kept += lexicon.add(cells[0], cells[1])
            if not kept:
                raise DataError(f"lexicon {path}: no english<TAB>target pairs in it ({bad} lines without a tab)")
            lexicon.sources.append(str(path))
            log.info("lexicon %s: %d pairs (%d lines without a tab)", path, kept, bad)
        return lexicon

    def translations(self, words: Sequence[str], i: int) -> tuple[int, list[str]]:
        """The longest entry starting at ``words[i]``: (its length in words, its translations); (0, []) if none."""
        for n in range(min(self.longest, len(words) - i), 0, -1):
            key = tuple(_norm(w) for w in words[i : i + n])
            if key in self.entries:
                return n, self.entries[key]
            if n == 1:
                for lemma in english_lemmas(key[0]):
                    if (lemma,) in self.entries:
                        return 1, self.entries[(lemma,)]
        return 0, []

    def coverage(self, examples: Iterable[Example]) -> float:
        """Share of the examples' word tokens that have an entry (alone or in a phrase)."""
        covered = total = 0
        for ex in examples:
            i = 0
            while i < len(ex.words):
                n, _ = self.translations(ex.words, i)
                covered += n
                total += max(n, 1)
                i += max(n, 1)
        return covered / total if total else 0.0


@cache
def english_lemmas(word: str) -> tuple[str, ...]:
    """Candidate base forms of an English word: simplemma's lemma, then plain suffix rules."""
    out: list[str] = []
    if not word.isalpha():
        return ()
    try:
        import simplemma

        lemma = simplemma.lemmatize(word, lang="en").casefold()
        if lemma != word:
            out.append(lemma)
    except ImportError:  # pragma: no cover - simplemma is a dependency
        pass
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            out.append(word[: -len(suffix)] + repl)
    return tuple(dict.fromkeys(out))


@dataclass
class Morphology:
    """UniMorph: lemma -> its inflected forms (with their feature bundles)."""

    forms: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: str | Path) -> Morphology:
        path = Path(path)
        if not path.is_file():
            raise DataError(f"UniMorph table {path}: no such file; expected lemma<TAB>form<TAB>features lines")
        table = cls()
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                cells = line.rstrip("\n").split("\t")
                if len(cells) >= 3 and cells[0] and cells[1]:
                    lemma = unicodedata.normalize("NFC", cells[0].casefold())
                    table.forms.setdefault(lemma, []).append((unicodedata.normalize("NFC", cells[1]), cells[2]))
        if not table.forms:
            raise DataError(f"UniMorph table {path}: no lemma<TAB>form<TAB>features lines")
        return table

    def inflect(self, lemma: str, rng: random.Random) -> str:
        forms = self.forms.get(lemma.casefold())
        return rng.choice(forms)[0] if forms else lemma


@dataclass(frozen=True)
class ExpandSettings:
    seed: int = 0
    copies: int = 1  # translated versions of each source utterance (different samples)
    keep_slot_values: bool = False  # True: slot values stay in the source language (the probe: -3.7 EM)
    inflect: float = 0.3  # chance that a translated lemma is replaced by an inflected form (with UniMorph)


@dataclass
class ExpandReport:
    """What a linguist wants to know about a generated set: coverage and what had no translation."""

    target: str
    utterances: int = 0
    source_tokens: int = 0
    translated_tokens: int = 0
    inflected: int = 0
    untranslated: Counter[str] = field(default_factory=Counter)

    @property
    def coverage(self) -> float:
        return self.translated_tokens / self.source_tokens if self.source_tokens else 0.0

    def to_dict(self, top: int = 200) -> dict[str, object]:
        return {
            "target": self.target, "utterances": self.utterances, "source_tokens": self.source_tokens,
            "translated_tokens": self.translated_tokens, "coverage": round(self.coverage, 4),
            "inflected_tokens": self.inflected,
            "untranslated_top": [[w, n] for w, n in self.untranslated.most_common(top)],
        }  # fmt: skip


def translate_example(
    example: Example,
    target: str,
    lexicon: Lexicon,
    rng: random.Random,
    settings: ExpandSettings = ExpandSettings(),
    morphology: Morphology | None = None,
    report: ExpandReport | None = None,
    copy: int = 0,
) -> Example:
    """``example`` word for word in ``target``'s language, each slot label kept."""
    words, labels = example.words, example.word_labels
    out: list[tuple[str, str]] = []  # (target text, label)
    i = 0
    while i < len(words):
        label = labels[i]
        n, options = lexicon.translations(words, i)
        # a phrase must not cross a slot boundary; a kept slot value is not translated
        if n > 1 and len(set(labels[i : i + n])) > 1:
            n, options = lexicon.translations(words[: i + 1], i)
        if options and not (settings.keep_slot_values and label != "Other"):
            choice = rng.choice(options)
            if morphology is not None and rng.random() < settings.inflect:
                inflected = morphology.inflect(choice, rng)
                if report is not None and inflected != choice:
                    report.inflected += 1
                choice = inflected
            out.append((choice, label))
            if report is not None:
                report.translated_tokens += n
        else:
            n = max(n, 1)
            out.append((" ".join(words[i : i + n]), label))
            if report is not None and label == "Other" and not options:
                report.untranslated[_norm(words[i])] += 1
        if report is not None:
            report.source_tokens += n
        i += n
    if report is not None:
        report.utterances += 1
    joiner = "" if splits_characters(target) else " "
    pieces: list[str] = []
    run: list[str] = []
    run_label = "Other"
    for text, label in [*out, ("", "<end>")]:
        if label != run_label and run:
            joined = joiner.join(run)
            pieces.append(joined if run_label == "Other" else f"[{run_label} : {joined}]")
            run = []
        run_label = label
        if text:
            run.append(text)
    annot = " ".join(pieces)
    suffix = f"~{target}" + (f"~{copy}" if copy else "")
    return SlotCodec.decode(
        annot, target, id=f"{example.id}{suffix}", intent=example.intent, scenario=example.scenario,
        partition=example.partition,
    )  # fmt: skip


def sample_for_target(source: Sequence[Example], target: str, per_target: int, seed: int = 0) -> list[Example]:
    """At most ``per_target`` of ``source`` to translate into ``target`` (0: all): a seeded sample, a different
    one per target, the same wherever it is drawn (``kiloglot expand --per-target``, the neural benchmark)."""
    if per_target < 0:
        raise InputError(f"{per_target} source examples per target: expected 0 (all) or more")
    if per_target == 0 or per_target >= len(source):
        return list(source)
    return random.Random(f"{seed}:{target}:sample").sample(list(source), per_target)


def expand(
    source: Sequence[Example],
    target: str,
    lexicon: Lexicon,
    settings: ExpandSettings = ExpandSettings(),
    morphology: Morphology | None = None,
) -> tuple[list[Example], ExpandReport]:
    """Pseudo-labelled ``target`` examples from ``source`` examples (any locales), and a report."""
    if not source:
        raise InputError("no source examples to translate: expected labelled utterances (e.g. en-US train)")
    rng = random.Random(f"{settings.seed}:{target}")
    report = ExpandReport(target)
    out = []
    for copy in range(settings.copies):
        for ex in source:
            out.append(translate_example(ex, target, lexicon, rng, settings, morphology, report, copy))
    return out, report


def pseudo_text(examples: Iterable[Example], target: str, lexicon: Lexicon, seed: int = 0) -> list[str]:
    """Pseudo-monolingual ``target`` text (one line per source utterance) for stage-2 pretraining."""
    rng = random.Random(f"text:{seed}:{target}")
    return [translate_example(ex, target, lexicon, rng).text for ex in examples]


def to_record(example: Example) -> dict[str, object]:
    """A MASSIVE jsonl record, so that every command reads the generated data."""
    return {
        "id": example.id, "locale": example.locale, "partition": example.partition or "train",
        "scenario": example.scenario, "intent": example.intent, "utt": example.text,
        "annot_utt": SlotCodec.encode(example),
    }  # fmt: skip


def write_jsonl(examples: Iterable[Example], path: Path) -> int:
    from kiloglot.fileio import atomic_write

    lines = [json.dumps(to_record(e), ensure_ascii=False) for e in examples]
    atomic_write(path, lambda tmp: tmp.write_text("\n".join(lines) + "\n", encoding="utf-8"))
    return len(lines)


def lexicon_files(where: str | Path, language: str) -> list[Path]:
    """The lexicon files for ``language`` (ISO 639-1 or -3): ``where`` itself when a file, else in the folder
    ``en-<language>.tsv`` and the GATITOS and FreeDict extras (``extra/*/en-<language>.tsv``)."""
    where = Path(where)
    if where.is_file():
        return [where]
    if not where.is_dir():
        raise DataError(f"lexicon {where}: no such file or folder")
    codes = language_codes(language)  # Wiktionary's Norwegian (Bokmål) is "no"
    candidates = [p for c in codes for p in (where / f"en-{c}.tsv", *sorted(where.glob(f"extra/*/en-{c}.tsv")))]
    found = [p for p in candidates if p.is_file()]
    if not found:
        raise DataError(f"lexicon folder {where}: nothing for {language!r} (expected en-{language}.tsv)")
    return found


def unimorph_file(where: str | Path, iso639_3: str) -> Path | None:
    """``<iso3>.tsv`` or ``.tsv.gz`` in a UniMorph folder (``where`` itself when a file); None when absent."""
    where = Path(where)
    if where.is_file():
        return where
    for code in language_codes(iso639_3):
        for name in (f"{code}.tsv", f"{code}.tsv.gz"):
            if (where / name).is_file():
                return where / name
    return None


@dataclass(frozen=True)
class Reach:
    """One language kiloglot can build a parser for: its lexicon and how much of the source it covers."""

    code: str
    language: str
    script: str
    massive_locale: str | None
    pairs: int
    coverage: float  # share of the source's word tokens with an entry
    files: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "language": self.language, "script": self.script,
                "massive_locale": self.massive_locale, "pairs": self.pairs,
                "coverage": round(100 * self.coverage, 1), "files": list(self.files)}  # fmt: skip


def lexicon_languages(folder: str | Path) -> list[str]:
    """Every language code with an ``en-<code>.tsv`` in the folder or its ``extra/*/``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"lexicon folder {folder}: no such folder")
    names = [p.name for p in (*folder.glob("en-*.tsv"), *folder.glob("extra/*/en-*.tsv"))]
    return sorted({n.removeprefix("en-").removesuffix(".tsv") for n in names})


def reach(folder: str | Path, source: Sequence[Example], progress: Callable[[str], None] | None = None) -> list[Reach]:
    """The languages of a lexicon folder, each with its size and its coverage of ``source`` (en-US train)."""
    from kiloglot.data.locales import ALL_LOCALES, language_info, script_of

    massive = {loc.split("-")[0]: loc for loc in ALL_LOCALES}
    out = []
    for code in lexicon_languages(folder):
        files = lexicon_files(folder, code)
        try:
            lexicon = Lexicon.read(files)
        except DataError as exc:
            log.warning("%s", exc)
            continue
        sample = " ".join(t for ts in list(lexicon.entries.values())[:500] for t in ts)
        info = language_info(code, sample)
        out.append(
            Reach(
                code,
                info.language if info else "?",
                script_of(sample),
                massive.get(code),
                len(lexicon),
                lexicon.coverage(source),
                tuple(str(f) for f in files),
            )
        )
        if progress:
            progress(code)
    return out
