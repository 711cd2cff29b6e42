"""Copy a neural model with another ``word_alignment`` (see README, "The neural parser"), weights unchanged.

Measures what the alignment alone does to a model trained before the option existed, without
retraining:

    python benchmarks/realign_model.py models/neural_me5_zeroshot_crf_fl6 models/neural_me5_zeroshot_crf_fl6_content
    python benchmarks/train_neural.py --model models/neural_me5_zeroshot_crf_fl6_content --eval-locales all --name ...

Weights and tokenizer are hard-linked where the file system allows (copied otherwise); config.json and
manifest.json are rewritten; the copy is written atomically and records where it came from.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def realign(model: Path, out: Path, alignment: str) -> Path:
    from kiloglot.errors import InputError
    from kiloglot.nlu.artifact import MANIFEST_FILE, atomic_directory, read_manifest, write_json
    from kiloglot.nlu.neural.options import ALIGNMENTS

    if alignment not in ALIGNMENTS:
        raise InputError(f"--alignment {alignment!r}: expected one of {', '.join(ALIGNMENTS)}")
    manifest = read_manifest(model)
    if manifest.get("kind") != "neural" or manifest.get("runtime") != "pytorch":
        raise InputError(
            f"{model}: expected a neural model with the PyTorch runtime, found kind "
            f"{manifest.get('kind')!r}, runtime {manifest.get('runtime')!r}"
        )
    # the model's options live in the manifest (artifact format 2; an older one is upgraded as it is read)
    options = dict(manifest.get("options", {}))
    was = options.get("word_alignment", "first")
    options["word_alignment"] = alignment
    realigned = {**manifest, "options": options, "realigned_from": {"model": str(model), "word_alignment": was}}
    with atomic_directory(out) as tmp:
        shutil.copytree(model, tmp, dirs_exist_ok=True, copy_function=_link_or_copy)
        (tmp / MANIFEST_FILE).unlink()  # a hard link: writing through it would change the original
        write_json(tmp / MANIFEST_FILE, realigned)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--alignment", default="content")
    args = ap.parse_args()
    from kiloglot.errors import KiloglotError

    try:
        print(realign(args.model, args.out, args.alignment))
    except KiloglotError as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
