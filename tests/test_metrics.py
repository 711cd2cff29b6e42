import math

import pytest

from kiloglot.evaluation import fit_to_gold, mean_scores, score, to_bio


def test_every_oracle_batch_reproduced_to_1e_9(oracle_batches):
    assert len(oracle_batches) == 40
    for batch in oracle_batches:
        c = batch["cases"]
        got = score(
            [x["gold_intent"] for x in c],
            [x["pred_intent"] for x in c],
            [x["gold_labels"] for x in c],
            [x["pred_labels"] for x in c],
        ).as_dict()
        for key, expected in batch["expected"].items():
            assert abs(got[key] - expected) <= 1e-9, (batch["batch"], key, got[key], expected)


def test_adjacent_equal_labels_are_one_span():
    assert to_bio(["date", "date", "Other", "date", "time"]) == ["B-date", "I-date", "O", "B-date", "B-time"]
    # Predicting two separate one-word dates where gold has one two-word date: no match, F1 0.
    s = score(["a"], ["a"], [["date", "date"]], [["date", "Other"]])
    assert s.slot_micro_f1 == 0.0 and s.exact_match == 0.0


def test_short_prediction_is_padded_and_long_one_truncated():
    assert fit_to_gold(["x"], 3) == ["x", "Other", "Other"]
    assert fit_to_gold(["x", "y", "z"], 2) == ["x", "y"]
    s = score(
        ["a", "a"],
        ["a", "a"],
        [["Other", "time", "time"], ["city"]],
        [["Other", "time", "time", "time"], ["city", "Other", "x"]],
    )
    assert s.exact_match == 1.0 and s.slot_micro_f1 == 1.0


def test_hand_computed_values_and_stderr():
    gold_i, pred_i = ["a", "b", "c", "d"], ["a", "b", "c", "x"]
    gold = [["t", "t", "Other"], ["Other"], ["p"], ["q", "Other"]]
    pred = [["t", "t", "Other"], ["p"], ["Other"], ["q", "Other"]]
    s = score(gold_i, pred_i, gold, pred)
    # gold spans: t, p, q (3); predicted: t, p(wrong place), q -> tp 2, precision 2/3, recall 2/3.
    assert s.intent_accuracy == 0.75
    assert s.slot_micro_f1 == pytest.approx(2 / 3)
    assert s.exact_match == 0.25  # only the first: the fourth has the wrong intent
    assert s.slot_micro_f1_stderr == pytest.approx(math.sqrt((2 / 3) * (1 / 3) / 7))
    assert s.exact_match_stderr == pytest.approx(math.sqrt(0.25 * 0.75 / 4))


def test_mean_is_unweighted_over_locales():
    a = score(["x"], ["x"], [["Other"]], [["Other"]])
    b = score(["x", "y"], ["z", "z"], [["Other"], ["Other"]], [["Other"], ["Other"]])
    m = mean_scores([a, b])
    assert m.intent_accuracy == 0.5 and m.n == 3


def test_mismatched_lengths_are_an_error():
    with pytest.raises(ValueError, match="expected the same number"):
        score(["a"], [], [[]], [[]])
