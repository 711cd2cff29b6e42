"""Saving a parser made of other parsers (an ensemble, a scoped refit): each member in its own sub-folder,
hard-linked from the folder it was loaded from where known, saved afresh otherwise."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kiloglot.errors import ModelError
from kiloglot.nlu.artifact import MANIFEST_FILE, MEMBERS_DIR, link_tree, new_manifest, write_artifact
from kiloglot.nlu.contract import Parser, Saveable

Member = tuple[str, Parser, Path | None]  # (sub-folder name, parser, the folder it was loaded from)


def save_with_members(
    path: str | Path,
    whole: Parser,
    members: Sequence[Member],
    options: dict[str, Any],
    metrics: dict[str, Any] | None = None,
    extra: Callable[[Path], None] | None = None,
) -> Path:
    """Write ``whole`` to ``path``: its manifest (naming the members' folders and kinds), every member, and
    whatever ``extra`` writes into the new folder. Nothing is written when a member can be neither linked
    nor saved."""
    linked = [source is not None and (source / MANIFEST_FILE).is_file() for _, _, source in members]
    unsaveable = [f"{p.kind}/{p.runtime}" for (_, p, _), ok in zip(members, linked, strict=True)
                  if not ok and not isinstance(p, Saveable)]  # fmt: skip
    if unsaveable:
        raise ModelError(f"{whole.kind} members {', '.join(unsaveable)} cannot be saved: build it from saved models")
    manifest = new_manifest(
        whole.kind,
        whole.runtime,
        whole.locales,
        whole.intents,
        whole.slot_labels,
        data_fingerprint=whole.data_fingerprint,
        options=options,
        metrics=metrics,
        members=[f"{MEMBERS_DIR}/{name}" for name, _, _ in members],
        member_kinds=[p.kind for _, p, _ in members],
    )
    with write_artifact(path, manifest) as tmp:
        for (name, member, source), link in zip(members, linked, strict=True):
            dst = tmp / MEMBERS_DIR / name
            if link:
                assert source is not None
                link_tree(source, dst)
            else:
                assert isinstance(member, Saveable)
                member.save(dst)
        if extra is not None:
            extra(tmp)
    return Path(path)
