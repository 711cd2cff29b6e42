"""Deployment: export a neural model to ONNX (optionally int8, dynamic quantisation) and parse with
onnxruntime behind the same parser contract. ``kiloglot.nlu.load`` picks this runtime from the
manifest (``"runtime": "onnx"``). Serving needs onnxruntime, tokenizers and numpy, not PyTorch.

Artifact: ``manifest.json``, ``config.json`` (labels, tokenizer ids, CRF transitions when the slot
decoder is a CRF), ``model.onnx``, ``tokenizer.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kiloglot.errors import InputError, ModelError
from kiloglot.nlu.artifact import atomic_directory, read_manifest, require_files, write_json
from kiloglot.nlu.base import Parser
from kiloglot.nlu.neural.decode import length_batches, pad_batch, prepare, softmax, to_parse, viterbi
from kiloglot.nlu.parse import Parse

OPSET = 17


def export_onnx(model_dir: str | Path, out: str | Path, *, int8: bool = False) -> Path:
    """Export a PyTorch neural model directory to an ONNX model directory."""
    import torch

    from kiloglot.nlu import load

    manifest = read_manifest(model_dir)
    if manifest["kind"] != "neural" or manifest.get("runtime") != "pytorch":
        raise InputError(f"{model_dir}: expected a neural model with the PyTorch runtime, "
                         f"found kind {manifest['kind']!r}, runtime {manifest.get('runtime')!r}")
    parser = load(model_dir)
    model = parser.model.eval()
    tok = parser.tokenizer
    sample = [["wake", "me", "up", "at", "seven"], ["lights", "off"]]
    ids, mask, widx = (torch.from_numpy(a) for a in pad_batch(tok.encode_batch(sample), tok.pad_id))
    config: dict[str, Any] = {"intents": parser.intents, "slots": parser.slot_labels, "pad_id": tok.pad_id,
                              "max_len": tok.max_len, "top_k": parser.options.top_k,
                              "eval_batch_size": parser.options.eval_batch_size,
                              "slot_decoder": parser.options.slot_decoder, "word_alignment": tok.alignment,
                              "source": manifest.get("training_data")}
    if model.crf is not None:
        config["crf"] = {name: getattr(model.crf, name).detach().cpu().numpy().tolist()
                         for name in ("start_transitions", "end_transitions", "transitions")}
    with atomic_directory(out) as tmp, tempfile.TemporaryDirectory(prefix="kiloglot-onnx-") as scratch:
        fp32 = (Path(scratch) / "model.fp32.onnx") if int8 else (tmp / "model.onnx")
        fastpath = torch.backends.mha.get_fastpath_enabled()
        torch.backends.mha.set_fastpath_enabled(False)  # the fused encoder-layer kernel has no ONNX form
        try:
            with torch.no_grad():
                torch.onnx.export(model, (ids, mask, widx), str(fp32), input_names=["input_ids", "attention_mask", "word_index"],
                                  output_names=["intent_logits", "slot_logits"], opset_version=OPSET, dynamo=True,
                                  external_data=False,  # one self-contained file (models here are far below 2 GB)
                                  dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                                                "word_index": {0: "batch", 1: "words"}, "intent_logits": {0: "batch"},
                                                "slot_logits": {0: "batch", 1: "words"}})
        finally:
            torch.backends.mha.set_fastpath_enabled(fastpath)
        if int8:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(str(fp32), str(tmp / "model.onnx"), weight_type=QuantType.QInt8)
        tok.backend.save(str(tmp / "tokenizer.json"))
        write_json(tmp / "config.json", config)
        write_json(tmp / "manifest.json", {**manifest, "runtime": "onnx", "quantization": "int8-dynamic" if int8 else None,
                                           "exported_from": str(model_dir)})
    return Path(out)


class OnnxNeuralParser(Parser):
    """A neural model run by onnxruntime (CPU); parses exactly as the PyTorch runtime, up to numerics."""

    kind = "neural"

    def __init__(self, path: Path, manifest: dict[str, Any], threads: int | None = None) -> None:
        self.path = path
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from kiloglot.nlu.neural.tokenization import WordTokenizer

        require_files(path, ["config.json", "model.onnx", "tokenizer.json"])
        try:
            self.config = json.loads((path / "config.json").read_text(encoding="utf-8"))
            backend = Tokenizer.from_file(str(path / "tokenizer.json"))
            options = ort.SessionOptions()
            # onnxruntime ignores OMP_NUM_THREADS; honour it like PyTorch does, so that N worker
            # processes with OMP_NUM_THREADS=1 do not each start a thread per core.
            threads = threads or int(os.environ.get("OMP_NUM_THREADS", "0") or 0) or None
            if threads:
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
            self.session = ort.InferenceSession(str(path / "model.onnx"), options, providers=["CPUExecutionProvider"])
        except (OSError, ValueError, KeyError, json.JSONDecodeError, RuntimeError) as exc:
            raise ModelError(f"ONNX model files in {path} are corrupt or incomplete: {exc}") from None
        # exports made before the option existed aligned words the old way
        self.tokenizer = WordTokenizer(backend, self.config["pad_id"], None, self.config["max_len"],
                                       self.config.get("word_alignment", "first"))
        self.intents, self.slot_labels = list(self.config["intents"]), list(self.config["slots"])
        self._locales = list(manifest["locales"])
        self.manifest = manifest
        crf = self.config.get("crf")
        self.crf = tuple(np.asarray(crf[k], dtype=np.float64) for k in ("start_transitions", "end_transitions",
                                                                         "transitions")) if crf else None

    @property
    def locales(self) -> list[str]:  # type: ignore[override]
        return self._locales

    def supports(self, locale: str) -> bool:
        from kiloglot.data.locales import LOCALES

        return locale in LOCALES  # like the PyTorch runtime: any MASSIVE locale

    def parse(self, texts: Sequence[str], locale: str) -> list[Parse]:
        self.check_request(texts, locale)
        offsets, _, encs = prepare(self.tokenizer, texts, locale)
        out: list[Parse | None] = [None] * len(texts)
        k = min(int(self.config["top_k"]), len(self.intents))
        for idx in length_batches(encs, int(self.config["eval_batch_size"])):
            ids, mask, widx = pad_batch([encs[i] for i in idx], self.config["pad_id"])
            intent_logits, slot_logits = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                                                 "word_index": widx})
            probs = softmax(intent_logits.astype(np.float64))
            slot_ids = viterbi(slot_logits, widx, *self.crf) if self.crf else slot_logits.argmax(-1)
            for r, i in enumerate(idx):
                out[i] = to_parse(texts[i], locale, offsets[i], encs[i].first, probs[r], slot_ids[r], self.intents,
                                  self.slot_labels, k)
        return out  # type: ignore[return-value]

    def fit(self, *a: Any, **k: Any) -> "OnnxNeuralParser":
        raise ModelError("an ONNX model is for serving: train the PyTorch model, then export it")

    def save(self, path: str | Path, *, metrics: dict[str, Any] | None = None) -> Path:
        """Copy the exported directory (atomically); ONNX models are made by ``export_onnx``."""
        with atomic_directory(path) as tmp:
            for f in self.path.iterdir():
                shutil.copy2(f, tmp / f.name)
        return Path(path)

    @classmethod
    def from_artifact(cls, path: Path, manifest: dict[str, Any]) -> "OnnxNeuralParser":
        return cls(path, manifest)
