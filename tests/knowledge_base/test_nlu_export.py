import yaml

from knowledge_base.loader import article_from_dict
from knowledge_base.nlu_export import question_examples, write_nlu


def article(questions):
    return article_from_dict({"id": "fees.x", "status": "approved", "questions": questions})


def test_vietnamese_questions_get_a_folded_copy_and_duplicates_go():
    a = article({"vi": ["Phí dịch vụ bao nhiêu?", "phi dich vu bao nhieu?"], "en": ["Fee?"]})
    assert question_examples([a]) == ["Fee?", "Phí dịch vụ bao nhiêu?", "phi dich vu bao nhieu?"]
    b = article({"vi": ["Tiền cọc là gì"], "en": []})
    assert question_examples([b]) == ["Tiền cọc là gì", "tien coc la gi"]


def test_written_file_is_rasa_nlu_yaml(tmp_path):
    path = tmp_path / "kb.yml"
    n = write_nlu([article({"vi": ["Cọc [bao nhiêu]"], "en": []})], path)
    data = yaml.safe_load(path.read_text())
    assert n == 2
    assert data["nlu"][0]["intent"] == "ask_question"
    assert "[" not in data["nlu"][0]["examples"]
