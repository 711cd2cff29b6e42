"""MASSIVE-exact metrics, reports, and scoring a parser (``evaluate``)."""

from kiloglot.evaluation.evaluate import Evaluation, dev_metrics, evaluate
from kiloglot.evaluation.metrics import Scores, fit_to_gold, mean_scores, score, to_bio
from kiloglot.evaluation.report import Report, build_report, predictions_jsonl

__all__ = [
    "Evaluation",
    "Report",
    "Scores",
    "build_report",
    "dev_metrics",
    "evaluate",
    "fit_to_gold",
    "mean_scores",
    "predictions_jsonl",
    "score",
    "to_bio",
]
