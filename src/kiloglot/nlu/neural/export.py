"""Export a PyTorch neural model to ONNX (optionally int8, dynamic quantisation of the weights).

The result is a model directory that ``kiloglot.nlu.load`` runs with onnxruntime
(``kiloglot.nlu.neural.onnx_runtime``): ``manifest.json`` (``"runtime": "onnx"``), ``config.json``
(labels, tokenizer ids, CRF transitions when the slot decoder is a CRF), ``model.onnx``,
``tokenizer.json``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from kiloglot.errors import InputError
from kiloglot.nlu.artifact import (
    CONFIG_FILE,
    ONNX_FILE,
    TOKENIZER_FILE,
    Manifest,
    read_manifest,
    write_artifact,
    write_json,
)
from kiloglot.nlu.neural.decode import pad_batch

OPSET = 17


def export_onnx(model_dir: str | Path, out: str | Path, *, int8: bool = False) -> Path:
    """Export a PyTorch neural model directory to an ONNX model directory."""
    import torch

    from kiloglot.nlu.neural.parser import NeuralParser

    manifest = read_manifest(model_dir)
    if manifest["kind"] != "neural" or manifest["runtime"] != "pytorch":
        raise InputError(
            f"{model_dir}: expected a neural model with the PyTorch runtime, "
            f"found kind {manifest['kind']!r}, runtime {manifest['runtime']!r}"
        )
    parser = NeuralParser.from_artifact(Path(model_dir), manifest)
    assert parser.model is not None and parser.tokenizer is not None  # a loaded model is trained
    model = parser.model.eval()
    tok = parser.tokenizer
    sample = [["wake", "me", "up", "at", "seven"], ["lights", "off"]]
    ids, mask, widx = (torch.from_numpy(a) for a in pad_batch(tok.encode_batch(sample), tok.pad_id))
    config: dict[str, Any] = {
        "intents": parser.intents,
        "slots": parser.slot_labels,
        "pad_id": tok.pad_id,
        "max_len": tok.max_len,
        "top_k": parser.options.top_k,
        "eval_batch_size": parser.runtime_options.eval_batch_size,
        "slot_decoder": parser.options.slot_decoder,
        "word_alignment": tok.alignment,
        "source": manifest.get("training_data"),
    }
    if model.crf is not None:
        config["crf"] = {
            name: getattr(model.crf, name).detach().cpu().numpy().tolist()
            for name in ("start_transitions", "end_transitions", "transitions")
        }
    exported: Manifest = {
        **manifest,
        "runtime": "onnx",
        "quantization": "int8-dynamic" if int8 else None,
        "exported_from": str(model_dir),
    }
    with write_artifact(out, exported) as tmp, tempfile.TemporaryDirectory(prefix="kiloglot-onnx-") as scratch:
        fp32 = (Path(scratch) / "model.fp32.onnx") if int8 else (tmp / ONNX_FILE)
        fastpath = torch.backends.mha.get_fastpath_enabled()
        torch.backends.mha.set_fastpath_enabled(False)  # the fused encoder-layer kernel has no ONNX form
        try:
            with torch.no_grad():
                torch.onnx.export(
                    model,
                    (ids, mask, widx),
                    str(fp32),
                    input_names=["input_ids", "attention_mask", "word_index"],
                    output_names=["intent_logits", "slot_logits"],
                    opset_version=OPSET,
                    dynamo=True,
                    external_data=False,  # one self-contained file (models here are far below 2 GB)
                    dynamic_axes={
                        "input_ids": {0: "batch", 1: "tokens"},
                        "attention_mask": {0: "batch", 1: "tokens"},
                        "word_index": {0: "batch", 1: "words"},
                        "intent_logits": {0: "batch"},
                        "slot_logits": {0: "batch", 1: "words"},
                    },
                )
        finally:
            torch.backends.mha.set_fastpath_enabled(fastpath)
        if int8:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(str(fp32), str(tmp / ONNX_FILE), weight_type=QuantType.QInt8)
        tok.backend.save(str(tmp / TOKENIZER_FILE))
        write_json(tmp / CONFIG_FILE, config)
    return Path(out)
