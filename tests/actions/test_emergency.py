import pytest

from actions.emergency import emergency_category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("chủ giữ hộ chiếu của em không cho về", "documents_confiscated"),
        ("bi ban sang day lam khong cong, no nan chong chat", "trafficking_forced_labour"),
        ("boss hit me every day", "abuse_violence"),
        ("cứu em với", "abuse_violence"),
    ],
)
def test_emergency_category_from_keywords(text, category):
    assert emergency_category(text) == category
