"""`kiloglot export`: a neural model as ONNX for onnxruntime."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kiloglot.cli.common import err, friendly


@friendly
def export(
    model_dir: Annotated[Path, typer.Argument(help="neural model directory (PyTorch runtime)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="directory for the ONNX model")],
    int8: Annotated[bool, typer.Option("--int8/--fp32", help="dynamic int8 quantisation of the weights")] = False,
) -> None:
    """Export a neural model to ONNX for onnxruntime (load() picks the runtime from the manifest)."""
    from kiloglot.nlu.neural.export import export_onnx

    path = export_onnx(model_dir, out, int8=int8)
    size = sum(f.stat().st_size for f in path.iterdir())
    err.print(f"exported {model_dir} -> {path} ({'int8' if int8 else 'fp32'}, {size / 1e6:.1f} MB)")
