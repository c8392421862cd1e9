import datetime as dt

import yaml

from knowledge_base.validate import validate


def test_the_shipped_knowledge_base_is_clean():
    report = validate()
    assert report.errors == []
    ids = {a.id for a in report.articles}
    assert {"fees.service_fee", "help.trafficking", "dest.japan"} <= ids


def write(root, article_id, **overrides):
    area = article_id.split(".")[0]
    data = {
        "id": article_id, "area": area, "status": "approved",
        "effective_from": "2022-01-01", "reviewed_on": "2026-11-23", "review_by": "2027-05-23",
        "title": {"vi": "t", "en": "t"}, "answer": {"vi": "a", "en": "a"},
        "details": {"vi": "d", "en": "d"},
        "citations": [{"doc": "Luật 69/2020/QH14", "verification": "secondary", "url": "u"}],
        "questions": {"vi": [f"cau hoi {article_id} {i}" for i in range(10)],
                      "en": [f"question {article_id} {i}" for i in range(10)]},
    }
    data.update(overrides)
    (root / area).mkdir(exist_ok=True)
    (root / area / f"{article_id}.yml").write_text(yaml.safe_dump(data, allow_unicode=True))


def test_errors_for_bad_articles(tmp_path):
    write(tmp_path, "fees.a", answer={"vi": "x" * 601, "en": "a"})
    write(tmp_path, "fees.b", citations=[], review_by="2026-01-01")
    write(tmp_path, "fees.c", questions={"vi": ["cau hoi fees.a 1"], "en": []})
    report = validate(tmp_path, today=dt.date(2026, 11, 23))
    text = "\n".join(report.errors)
    assert "fees.a: answer.vi has 601 characters" in text
    assert "fees.b: no citation" in text
    assert "fees.b: review_by must come after reviewed_on" in text
    assert "fees.c: 0 en questions" in text
    assert "fees.c: question 'cau hoi fees.a 1' is also a question of fees.a" in text
    assert "fees.service_fee: required article is missing" in text


def test_stale_articles_are_warnings(tmp_path):
    write(tmp_path, "fees.a", review_by="2026-12-01")
    report = validate(tmp_path, today=dt.date(2027, 1, 1))
    assert any("fees.a: review was due on 2026-12-01" in w for w in report.warnings)


def test_a_question_yaml_reads_as_a_mapping_is_an_error(tmp_path):
    questions = {"vi": [f"cau hoi {i}" for i in range(10)],
                 "en": [f"question {i}" for i in range(9)] + [{"Going to Korea": "which way?"}]}
    write(tmp_path, "fees.a", questions=questions)
    report = validate(tmp_path, today=dt.date(2026, 11, 23))
    assert any("fees.a: a en question is not plain text" in e for e in report.errors)
