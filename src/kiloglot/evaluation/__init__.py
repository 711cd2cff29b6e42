"""MASSIVE-exact metrics and reports."""

from kiloglot.evaluation.metrics import Scores, fit_to_gold, mean_scores, score, to_bio
from kiloglot.evaluation.report import Report, build_report, predictions_jsonl

__all__ = ["Report", "Scores", "build_report", "fit_to_gold", "mean_scores", "predictions_jsonl", "score", "to_bio"]
