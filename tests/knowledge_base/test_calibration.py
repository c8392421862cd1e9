import json
import math
from dataclasses import replace

import pytest

from knowledge_base.retrieval import ensure_model, evaluate, load_retriever
from knowledge_base.retrieval.calibration import (
    CALIBRATION_FILE,
    CalibrationError,
    Calibrator,
    fit_calibrator,
    load_calibration,
    margins,
    save_calibration,
    threshold_table,
)
from knowledge_base.retrieval.settings import MODEL_ENV, load_config
from tests.knowledge_base.retrieval_samples import sample_articles

CONFIG = replace(load_config(), training=replace(load_config().training, epochs=4))


def test_probability_is_the_logistic_of_the_linear_score():
    calibrator = Calibrator(intercept=-2.0, coef_score=4.0, coef_margin=2.0)
    actual = calibrator.probability(0.5, 0.5)
    expected = 1.0 / (1.0 + math.exp(-(-2.0 + 2.0 + 1.0)))
    assert actual == pytest.approx(expected)


def test_probability_stays_in_range_for_extreme_inputs():
    calibrator = Calibrator(intercept=0.0, coef_score=1000.0, coef_margin=0.0)
    assert calibrator.probability(10.0, 0.0) == 1.0
    assert calibrator.probability(-10.0, 0.0) == 0.0


def test_margins_are_each_hits_lead_over_the_best_other_hit():
    assert margins([0.8, 0.5, 0.2]) == pytest.approx([0.3, -0.3, -0.6])
    assert margins([0.4]) == [0.4]
    assert margins([]) == []


def test_fitted_calibrator_rises_with_score_and_margin():
    raw = [0.9, 0.8, 0.85, 0.7, 0.3, 0.2, 0.35, 0.25, 0.6, 0.5]
    margin = [0.4, 0.3, 0.35, 0.2, 0.01, 0.02, 0.03, 0.0, 0.1, 0.05]
    right = [True, True, True, True, False, False, False, False, True, False]
    calibrator = fit_calibrator(raw, margin, right)
    assert calibrator.coef_score > 0
    assert calibrator.probability(0.9, 0.4) > 0.5 > calibrator.probability(0.2, 0.0)


def test_fit_with_one_class_only_falls_back_to_a_monotone_map():
    calibrator = fit_calibrator([0.1, 0.9], [0.0, 0.1], [True, True])
    assert calibrator == Calibrator.identity_like()
    assert calibrator.probability(0.9, 0.0) > calibrator.probability(0.1, 0.0)


def test_threshold_table_reports_coverage_and_precision():
    actual = threshold_table([0.9, 0.8, 0.4, 0.1], [True, False, True, False], [0.5, 0.95])
    expected = [
        {"threshold": 0.5, "coverage": 0.5, "precision": 0.5},
        {"threshold": 0.95, "coverage": 0.0, "precision": 1.0},
    ]
    assert actual == expected


def test_calibration_round_trips_through_its_file(tmp_path):
    calibrator = Calibrator(intercept=-1.5, coef_score=3.0, coef_margin=4.0)
    save_calibration(tmp_path, calibrator, {"items": 3})
    assert load_calibration(tmp_path) == (calibrator, {"items": 3})


def test_missing_calibration_is_none_and_broken_one_is_an_error(tmp_path):
    assert load_calibration(tmp_path) is None
    (tmp_path / CALIBRATION_FILE).write_text("{}", encoding="utf-8")
    with pytest.raises(CalibrationError):
        load_calibration(tmp_path)


@pytest.mark.slow
def test_ensure_model_saves_a_heldout_calibration_next_to_the_model(tmp_path, monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    directory = ensure_model(sample_articles(), tmp_path, CONFIG)
    payload = json.loads((directory / CALIBRATION_FILE).read_text(encoding="utf-8"))
    report = payload["heldout"]
    # 4 articles x (2 vi + 1 en held out) plus folded copies of the vi ones with diacritics.
    assert report["items"] >= 12
    assert report["out_of_scope"] > 0
    assert set(report["metrics"]["all"]) >= {"n", "hit@1", "hit@3", "mrr"}
    assert payload["calibrator"]["coef_score"] > 0

    retriever = load_retriever(tmp_path, sample_articles(), CONFIG)
    assert retriever.calibrator == Calibrator(**payload["calibrator"])


@pytest.mark.slow
def test_evaluate_reports_metrics_per_variant_and_out_of_scope(tmp_path, monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    retriever = load_retriever(tmp_path, sample_articles(), CONFIG)
    items = [
        {
            "text": "tien ky quy bao gio duoc tra lai",
            "variant": "vi_nodiac",
            "kb_id": "fees.deposit",
        },
        {"text": "số hotline khi gặp nạn", "variant": "vi", "kb_id": "help.hotlines"},
        {"text": "japan intern programme", "variant": "en", "kb_id": "dest.japan"},
        {"text": "xyzzy plugh", "variant": "vi_nodiac", "kb_id": "fees.deposit"},
        {"text": "thời tiết hôm nay", "variant": "oos", "kb_id": None},
    ]
    result = evaluate(retriever, items)
    assert sorted(result["variants"]) == ["en", "vi", "vi_nodiac"]
    assert result["all"]["n"] == 4
    assert result["variants"]["vi"]["hit@1"] == 1.0
    assert result["variants"]["en"]["mrr"] == 1.0
    # "xyzzy plugh" matches nothing: no word in common, so it cannot be ranked first.
    assert result["variants"]["vi_nodiac"]["hit@1"] == 0.5
    assert result["out_of_scope"]["n"] == 1
    assert sum(result["out_of_scope"][k] for k in ("answered", "suggested", "handed_off")) == 1
