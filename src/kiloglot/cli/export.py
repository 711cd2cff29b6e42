"""``kiloglot export``: a neural model as ONNX for onnxruntime (serving without PyTorch)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kiloglot.cli.common import OutOpt, directory_size, err, friendly


@friendly
def export(
    model_dir: Annotated[Path, typer.Argument(help="neural model directory (PyTorch runtime)")],
    out: OutOpt,
    int8: Annotated[bool, typer.Option("--int8/--fp32", help="dynamic int8 quantisation of the weights")] = False,
) -> None:
    """Export a neural model to ONNX for onnxruntime (load() picks the runtime from the manifest)."""
    from kiloglot.nlu.neural.export import export_onnx

    path = export_onnx(model_dir, out, int8=int8)
    err.print(f"exported {model_dir} -> {path} ({'int8' if int8 else 'fp32'}, {directory_size(path) / 1e6:.1f} MB)")
