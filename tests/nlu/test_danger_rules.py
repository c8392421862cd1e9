import pytest

from nlu.components.danger_rules import shows_danger


@pytest.mark.parametrize(
    "text",
    [
        "cứu em với",
        "chủ nhốt em trong phòng không cho ra ngoài",
        "chu danh em chay mau",
        "họ giữ hộ chiếu của em không trả",
        "em muon chet qua",
        "my boss locked me in the dorm",
        "they took my passport",
        "he threatened me, said he will kill me",
        "I can't leave the house",
        "bi ban sang day lam",
        "em không còn muốn tồn tại nữa",
        "e ko con muon ton tai nua",
        "i don't want to exist anymore",
        "ko muon song nua",
        "chu ko cho ra ngoai",
        "ho k cho di vien",
    ],
)
def test_danger_is_seen_with_or_without_diacritics(text):
    assert shows_danger(text)


@pytest.mark.parametrize(
    "text",
    [
        "tra cứu hồ sơ",
        "tra cuu don khieu nai",
        "công ty có được giữ hộ chiếu không?",
        "can my employer keep my passport?",
        "phí dịch vụ đi Nhật bao nhiêu",
        "buôn người là gì",
        "xin chao",
        "danh sach cong ty duoc cap phep",
    ],
)
def test_questions_and_lookups_are_not_emergencies(text):
    assert not shows_danger(text)


@pytest.mark.parametrize(
    "text",
    [
        "tay em chảy máu nhiều quá",
        "they drugged me",
        "họ ép em bán dâm",
        "bọn nó đòi tiền chuộc",
        "em muốn trốn thoát khỏi đây",
        "chủ không cho ăn 2 ngày rồi",
        "he has a gun",
    ],
)
def test_other_kinds_of_danger(text):
    assert shows_danger(text)
