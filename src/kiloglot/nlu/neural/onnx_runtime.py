"""Parse with an exported neural model on onnxruntime, behind the same parser contract.

``kiloglot.nlu.load`` picks this runtime from the manifest (``"runtime": "onnx"``). Serving needs
onnxruntime, tokenizers and numpy, not PyTorch. Models are made by ``kiloglot.nlu.neural.export``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kiloglot.data.locales import LOCALES
from kiloglot.errors import ModelError
from kiloglot.nlu.artifact import (
    CONFIG_FILE,
    MANIFEST_FILE,
    ONNX_FILE,
    TOKENIZER_FILE,
    Manifest,
    read_json,
    require_files,
    write_artifact,
)
from kiloglot.nlu.contract import Parser, StoredLabels
from kiloglot.nlu.neural.decode import parse_batches, softmax, viterbi
from kiloglot.nlu.parse import Parse


class OnnxNeuralParser(StoredLabels, Parser):
    """A neural model run by onnxruntime (CPU); parses exactly as the PyTorch runtime, up to numerics.
    Serving only: it is made by exporting a trained PyTorch model, so it is not a TrainableParser."""

    kind = "neural"
    runtime = "onnx"

    def __init__(self, path: Path, manifest: Manifest, threads: int | None = None) -> None:
        self.path = path
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from kiloglot.nlu.neural.tokenization import WordTokenizer

        require_files(path, [CONFIG_FILE, ONNX_FILE, TOKENIZER_FILE])
        self.config = read_json(path / CONFIG_FILE)
        try:
            backend = Tokenizer.from_file(str(path / TOKENIZER_FILE))
            options = ort.SessionOptions()
            # onnxruntime ignores OMP_NUM_THREADS; honour it like PyTorch does, so that N worker
            # processes with OMP_NUM_THREADS=1 do not each start a thread per core.
            threads = threads or int(os.environ.get("OMP_NUM_THREADS", "0") or 0) or None
            if threads:
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
            self.session = ort.InferenceSession(str(path / ONNX_FILE), options, providers=["CPUExecutionProvider"])
        except (OSError, ValueError, KeyError, RuntimeError, Exception) as exc:
            raise ModelError(f"ONNX model files in {path} are corrupt or incomplete: {exc}") from None
        # exports made before the option existed aligned words the old way
        self.tokenizer = WordTokenizer(
            backend, self.config["pad_id"], None, self.config["max_len"], self.config.get("word_alignment", "first")
        )
        self._intents, self._slot_labels = list(self.config["intents"]), list(self.config["slots"])
        self._locales = list(manifest["locales"])
        self.data_fingerprint = manifest.get("training_data", "")
        self.manifest = manifest
        crf = self.config.get("crf")
        self.crf = (
            tuple(np.asarray(crf[k], dtype=np.float64) for k in ("start_transitions", "end_transitions", "transitions"))
            if crf
            else None
        )

    def supports(self, locale: str) -> bool:
        return locale in LOCALES  # like the PyTorch runtime: any MASSIVE locale

    def parse(self, texts: Sequence[str], locale: str) -> list[Parse]:
        self.check_request(texts, locale)
        return parse_batches(
            self.tokenizer,
            texts,
            locale,
            self._run,
            batch_size=int(self.config["eval_batch_size"]),
            intents=self._intents,
            slot_labels=self._slot_labels,
            top_k=int(self.config["top_k"]),
        )

    def _run(self, ids: np.ndarray, mask: np.ndarray, widx: np.ndarray) -> tuple[np.ndarray, Sequence[Sequence[int]]]:
        intent_logits, slot_logits = self.session.run(
            None, {"input_ids": ids, "attention_mask": mask, "word_index": widx}
        )
        probs = softmax(intent_logits.astype(np.float64))
        return probs, viterbi(slot_logits, widx, *self.crf) if self.crf else slot_logits.argmax(-1)

    def save(self, path: str | Path, *, metrics: dict[str, Any] | None = None) -> Path:
        """Copy the exported directory (atomically), with ``metrics`` if given; ONNX models are made by
        ``kiloglot.nlu.neural.export.export_onnx``."""
        manifest: Manifest = {**self.manifest, "metrics": metrics} if metrics is not None else self.manifest
        with write_artifact(path, manifest) as tmp:
            for f in self.path.iterdir():
                if f.name != MANIFEST_FILE:
                    shutil.copy2(f, tmp / f.name)
        return Path(path)

    @classmethod
    def from_artifact(cls, path: Path, manifest: Manifest) -> OnnxNeuralParser:
        return cls(path, manifest)
