"""Read MASSIVE from the official ``.tar.gz`` (in place), an unpacked folder, or one ``.jsonl``.

Records may carry ``worker_id``, ``slot_method`` and ``judgments`` (official files) or not (the
train/dev copy in ``../shared``). A malformed record raises :class:`DataError` naming file, line and
problem, unless ``skip_bad`` is set, in which case it is counted in :attr:`MassiveReader.skipped`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tarfile
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from kiloglot.data.codec import AnnotationError, SlotCodec
from kiloglot.data.example import Example
from kiloglot.data.locales import known_locale
from kiloglot.errors import DataError
from kiloglot.fileio import atomic_write, write_text_atomic
from kiloglot.settings import Settings

log = logging.getLogger(__name__)
PARTITIONS = ("train", "dev", "test")
REQUIRED_FIELDS = ("id", "locale", "partition", "intent", "annot_utt")
_MEMBER = re.compile(r"(?:^|/)([a-z]{2}-[A-Z]{2})\.jsonl$")


@dataclass
class BadRecord:
    source: str
    line: int
    problem: str


@dataclass(frozen=True, slots=True)
class RecordSummary:
    locale: str
    partition: str
    intent: str
    slots: tuple[str, ...]


@dataclass
class MassiveReader:
    """Iterate :class:`Example` s of chosen locales and partitions from a MASSIVE source."""

    path: Path
    locales: list[str] | None = None
    partitions: list[str] | None = None
    skip_bad: bool = False
    skipped: list[BadRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if not self.path.exists():
            raise DataError(f"MASSIVE source {self.path} does not exist: expected a .tar.gz, a folder or a .jsonl file")
        for p in self.partitions or ():
            if p not in PARTITIONS:
                raise DataError(f"unknown partition {p!r}: expected one of {', '.join(PARTITIONS)}")

    def __iter__(self) -> Iterator[Example]:
        for name, handle in self._files():
            yield from self._read(name, handle)

    def read(self) -> list[Example]:
        return list(self)

    def by_locale(self) -> dict[str, list[Example]]:
        grouped: dict[str, list[Example]] = {}
        for ex in self:
            grouped.setdefault(ex.locale, []).append(ex)
        return grouped

    # -- sources -----------------------------------------------------------------------------
    def _wanted(self, locale: str | None) -> bool:
        return locale is None or self.locales is None or locale in self.locales

    def _files(self) -> Iterator[tuple[str, IO[bytes]]]:
        p = self.path
        if p.is_dir():
            files = sorted(p.rglob("*.jsonl"))
            if not files:
                raise DataError(
                    f"MASSIVE folder {p} holds no .jsonl files: expected <locale>.jsonl files "
                    "(e.g. 1.1/data/en-US.jsonl)"
                )
            for f in files:
                m = _MEMBER.search(f.as_posix())
                if self._wanted(m.group(1) if m else None):
                    with open(f, "rb") as handle:
                        yield str(f), handle
        elif p.name.endswith((".tar.gz", ".tgz", ".tar")):
            try:
                with tarfile.open(p, "r:*") as tar:
                    found = False
                    for member in tar:  # streams: nothing is unpacked to disk
                        m = _MEMBER.search(member.name)
                        if not member.isfile() or not m:
                            continue
                        found = True
                        if self._wanted(m.group(1)):
                            member_file = tar.extractfile(member)
                            assert member_file is not None
                            yield f"{p}:{member.name}", member_file
                    if not found:
                        raise DataError(
                            f"archive {p} holds no <locale>.jsonl members: "
                            "expected MASSIVE's 1.1/data/<locale>.jsonl layout"
                        )
            except (tarfile.TarError, EOFError, OSError) as exc:
                raise DataError(f"cannot read archive {p}: {exc}") from None
        elif p.suffix == ".jsonl":
            with open(p, "rb") as handle:
                yield str(p), handle
        else:
            raise DataError(
                f"MASSIVE source {p}: expected a .tar.gz archive, a folder of .jsonl files or one .jsonl file"
            )

    # -- records -----------------------------------------------------------------------------
    def _read(self, name: str, handle: IO[bytes]) -> Iterator[Example]:
        # Decode line by line so that a bad byte is reported at its own line and skipping it
        # (--skip-bad) loses nothing else.
        for line_no, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self._bad(name, line_no, f"not valid UTF-8 ({exc.reason} at byte {exc.start})")
                continue
            if not line.strip():
                continue
            ex = self._record(name, line_no, line)
            if ex is not None:
                yield ex

    def _fields(self, name: str, line_no: int, line: str) -> dict[str, str] | None:
        """The record's fields when it is well-formed and wanted; else None (bad ones reported)."""
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            self._bad(name, line_no, f"not valid JSON ({exc.msg})")
            return None
        if not isinstance(rec, dict):
            self._bad(name, line_no, "expected a JSON object")
            return None
        missing = [k for k in REQUIRED_FIELDS if not isinstance(rec.get(k), str)]
        if missing:
            self._bad(name, line_no, f"missing or non-string field(s): {', '.join(missing)}")
            return None
        locale, partition = rec["locale"], rec["partition"]
        if not known_locale(locale):
            self._bad(name, line_no, f"unknown locale {locale!r}")
            return None
        if not self._wanted(locale) or (self.partitions and partition not in self.partitions):
            return None
        if partition not in PARTITIONS and partition != "MMNLU-22":
            self._bad(name, line_no, f"unknown partition {partition!r}")
            return None
        utt = rec.get("utt")
        if utt is not None and not isinstance(utt, str):
            self._bad(name, line_no, "field utt is not a string")
            return None
        return rec

    def _record(self, name: str, line_no: int, line: str) -> Example | None:
        rec = self._fields(name, line_no, line)
        if rec is None:
            return None
        try:
            return SlotCodec.decode(
                rec["annot_utt"],
                rec["locale"],
                rec.get("utt"),
                id=rec["id"],
                intent=rec["intent"],
                scenario=rec.get("scenario") or rec["intent"].split("_", 1)[0],
                partition=rec["partition"],
            )
        except (AnnotationError, ValueError) as exc:
            self._bad(name, line_no, f"bad annot_utt: {exc}")
            return None

    def summaries(self, on_file: Callable[[str], None] | None = None) -> Iterator[RecordSummary]:
        """What ``data info`` needs of each record (locale, partition, intent, slot names), streamed and
        checked like a full read (JSON, fields, markup) but without segmenting text into words."""
        for name, handle in self._files():
            if on_file is not None:
                on_file(name)
            for line_no, raw in enumerate(handle, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    self._bad(name, line_no, f"not valid UTF-8 ({exc.reason} at byte {exc.start})")
                    continue
                rec = self._fields(name, line_no, line) if line.strip() else None
                if rec is None:
                    continue
                try:
                    slots = tuple(span.name for span in SlotCodec.spans(rec["annot_utt"]))
                except AnnotationError as exc:
                    self._bad(name, line_no, f"bad annot_utt: {exc}")
                    continue
                yield RecordSummary(rec["locale"], rec["partition"], rec["intent"], slots)

    def _bad(self, name: str, line_no: int, problem: str) -> None:
        """Stop at a malformed record, or count it and go on (``skip_bad``)."""
        if not self.skip_bad:
            raise DataError(f"{name}, line {line_no}: {problem} (such records can be skipped: skip_bad)")
        self.skipped.append(BadRecord(name, line_no, problem))


def read_massive(
    source: str | os.PathLike[str] | None = None,
    locales: Iterable[str] | None = None,
    partitions: Iterable[str] | None = None,
    *,
    skip_bad: bool = False,
) -> list[Example]:
    reader = MassiveReader(
        resolve_massive_source(source),
        list(locales) if locales else None,
        list(partitions) if partitions else None,
        skip_bad,
    )
    return reader.read()


DownloadProgress = Callable[[int, int | None], None]
"""``progress(bytes_so_far, total_bytes_or_None)`` while the official archive downloads."""

REGISTERED_SOURCE = "massive-source.txt"  # in the cache folder: the copy `use_massive_source` registered
OFFICIAL_ARCHIVE = "amazon-massive-dataset-1.1.tar.gz"


def resolve_massive_source(
    explicit: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    settings: Settings | None = None,
    progress: DownloadProgress | None = None,
) -> Path:
    """Where MASSIVE comes from, in this order: the argument; ``$KILOGLOT_MASSIVE``; the copy registered
    with ``use_massive_source`` (``kiloglot data use PATH``); the official archive in the cache; else
    the official archive is downloaded into the cache."""
    settings = settings or Settings.from_env()
    if explicit:
        return Path(explicit)
    if settings.massive:
        return Path(settings.massive)
    registered = settings.cache / REGISTERED_SOURCE
    if registered.is_file():
        path = Path(registered.read_text(encoding="utf-8").strip())
        if not path.exists():
            raise DataError(f"the registered MASSIVE copy {path} is gone ({registered}): register another one")
        return path
    cached = settings.cache / OFFICIAL_ARCHIVE
    if cached.is_file():
        return cached
    if not download:
        raise DataError("MASSIVE not found: set KILOGLOT_MASSIVE or give the source")
    return download_massive(settings.massive_url, cached, progress)


def use_massive_source(source: str | os.PathLike[str], settings: Settings | None = None) -> Path:
    """Register a local MASSIVE copy (the official .tar.gz, a folder or a .jsonl) as the default source,
    after checking that it holds MASSIVE records; returns the registration file."""
    settings = settings or Settings.from_env()
    path = Path(source).resolve()
    reader = MassiveReader(path)
    if next(iter(reader), None) is None:
        raise DataError(f"MASSIVE source {path} holds no records")
    registered = settings.cache / REGISTERED_SOURCE
    write_text_atomic(registered, f"{path}\n")
    return registered


def download_massive(url: str, dest: Path, progress: DownloadProgress | None = None) -> Path:
    """Download the official archive atomically (renamed into place only when complete)."""
    log.info("downloading MASSIVE from %s to %s", url, dest)

    def fetch(part: Path) -> None:
        with urllib.request.urlopen(url, timeout=60) as resp, open(part, "wb") as out:
            total = int(resp.headers.get("Content-Length") or 0) or None
            done = 0
            while chunk := resp.read(1 << 20):
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)

    try:
        atomic_write(dest, fetch)
    except OSError as exc:
        raise DataError(f"could not download MASSIVE from {url}: {exc}; set KILOGLOT_MASSIVE to a local copy") from None
    return dest
