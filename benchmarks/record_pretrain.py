"""Record a ``kiloglot pretrain`` run in benchmarks/results: its report (the encoder folder's
pretrain.json, written by the run itself) with the command that made it and the fine-tuned result.

    python benchmarks/record_pretrain.py models/me5_mlm_massive800_fl6 --name mlm_me5_massive800_fl6_pretrain \
        --command "kiloglot pretrain ..." --fine-tuned benchmarks/results/neural_me5mlmfl6_zeroshot_crf_fl6.json

Writes benchmarks/results/<name>.json. The figures are the run's own; nothing is measured here.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from results_io import machine, write_result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("encoder_dir")
    ap.add_argument("--name", required=True)
    ap.add_argument("--command", required=True, help="the kiloglot pretrain command that wrote the folder")
    ap.add_argument("--fine-tuned", default=None, help="results file of the model fine-tuned from this encoder")
    ap.add_argument("--machine-note", default="", help="e.g. what shared the cores during the run")
    args = ap.parse_args()
    report_path = Path(args.encoder_dir) / "pretrain.json"
    if not report_path.is_file():
        raise SystemExit(f"{report_path} does not exist: expected a folder written by kiloglot pretrain")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    stamp = os.path.getmtime(report_path)
    result = {
        "benchmark": "kiloglot pretrain (report copied from the encoder folder's pretrain.json)",
        "command": args.command,
        "date": datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds"),
        "machine": {**machine(), **({"note": args.machine_note} if args.machine_note else {})},
        "fine_tuned_result": args.fine_tuned,
        **report,
    }
    write_result(args.name, result)
    print(
        f"{args.name}: masked-token accuracy {100 * report['before']['masked_token_accuracy']:.2f}% -> "
        f"{100 * report['after']['masked_token_accuracy']:.2f}% in {report['seconds']:.0f}s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
