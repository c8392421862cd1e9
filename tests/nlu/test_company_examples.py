"""Generated company-name examples: deterministic, annotated, in the three ways workers write."""

from pathlib import Path

import yaml

from knowledge_base.text import has_vietnamese_diacritics
from nlu.company_examples import TEMPLATES, company_examples, write_company_nlu
from nlu.training_data import ANNOTATION, examples_from_yaml

ROOT = Path(__file__).resolve().parents[2]


def spec() -> dict:
    return yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))


def test_the_same_examples_on_every_run_and_the_committed_file_is_current(tmp_path):
    first = write_company_nlu(tmp_path / "a.yml")
    write_company_nlu(tmp_path / "b.yml")
    assert (tmp_path / "a.yml").read_text() == (tmp_path / "b.yml").read_text()
    assert (tmp_path / "a.yml").read_text() == \
        (ROOT / "nlu" / "generated" / "company_names.yml").read_text()
    assert first == sum(len(v) for v in company_examples(spec()).values())


def test_every_example_names_one_company_as_an_entity(tmp_path):
    path = tmp_path / "c.yml"
    write_company_nlu(path)
    assert {intent for _, intent in examples_from_yaml(path)} == {"check_company", "inform"}
    lines = [line.strip()[2:] for line in path.read_text(encoding="utf-8").splitlines()
             if line.startswith("      - ")]
    assert len(lines) == len(examples_from_yaml(path))
    for line in lines:
        assert [m.group(0).rsplit("(", 1)[1] for m in ANNOTATION.finditer(line)] == \
            ["company)"], line


def test_vietnamese_with_and_without_diacritics_and_english():
    examples = company_examples(spec())["check_company"]
    per_variant = spec()["per_variant"]
    assert len(examples) == 3 * per_variant
    vi, nodiac = examples[:per_variant], examples[per_variant:2 * per_variant]
    assert sum(has_vietnamese_diacritics(e) for e in vi) > per_variant * 0.9
    assert not any(has_vietnamese_diacritics(e) for e in nodiac)
