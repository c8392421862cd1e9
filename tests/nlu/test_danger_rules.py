from pathlib import Path

import pytest

from bench.common import examples_from_yaml
from nlu.components.danger_rules import shows_danger

ROOT = Path(__file__).resolve().parents[2]


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
        "phi moi gioi bi cam tu khi nao",
        "mất hộ chiếu thì đổi lại ở đâu",
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


@pytest.mark.parametrize(
    "text",
    [
        "chu danh e",
        "ho nhot e trong phong",
        "chủ khóa cửa ko cho e ra",
        "cty ko cho e ve nuoc",
        "quản lý đe dọa e",
        "they keep my id card and not let me out",
        "my boss won't let me out of the house",
        "the manager groped me",
        "they tied me up",
        "he tied my hands and left",
        "cancel that, i need someone to rescue me",
        "somebody call 911",
        "please get me out of here",
        "huy di e can nguoi toi cuu",
        "the manager gropes me at night",
        "quản lý sờ soạng em",
        "boss kicks us when we are slow",
    ],
)
def test_chat_shorthand_and_indirect_danger(text):
    assert shows_danger(text)


NEAR_EMERGENCY_FILES = [ROOT / "nlu" / "vi" / "near_emergency.yml",
                        ROOT / "nlu" / "en" / "near_emergency.yml"]


@pytest.mark.parametrize("path", NEAR_EMERGENCY_FILES, ids=lambda p: p.parent.name)
def test_near_emergency_contrast_examples_show_no_danger_phrase(path):
    # These examples teach the classifier what is not an emergency: a danger phrase in one of
    # them would make DangerOverride contradict its own training data.
    examples = examples_from_yaml(path)
    matching = [text for text, intent in examples if shows_danger(text)]
    assert len(examples) >= 40
    assert {intent for _, intent in examples} & {"emergency"} == set()
    assert matching == []


@pytest.mark.parametrize(
    "text", ["助けてください", "たすけて!!", "救命啊", "살려주세요 제발", "도와주세요"]
)
def test_cries_for_help_in_japanese_chinese_and_korean_match_inside_longer_text(text):
    assert shows_danger(text) is True


@pytest.mark.parametrize("text", ["ありがとう", "감사합니다", "谢谢", "日本で働きたい"])
def test_thanks_and_plain_sentences_in_those_scripts_do_not_match(text):
    assert shows_danger(text) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("em bị giam ở đây", True),
        ("e bi giam o day", True),
        ("em bị giảm lương 2 tháng nay", False),
        ("e bi giam gio lam, luong it qua", False),
    ],
)
def test_detained_is_danger_but_a_pay_cut_is_not(text, expected):
    assert shows_danger(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Em bị giam mấy ngày nay rồi", True), ("lương em bị giảm mấy tháng nay rồi", False)],
)
def test_a_phrase_with_diacritics_matches_only_text_written_with_them(text, expected):
    assert shows_danger(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my nephew is being held and can't contact anyone", True),
        ("chủ không cho liên lạc với gia đình", True),
        ("they dont let me contact my family", True),
        ("where is the Korean exam held", False),
        ("liên lạc với đại sứ quán ở đâu", False),
    ],
)
def test_being_cut_off_from_family_is_danger(text, expected):
    assert shows_danger(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thuyền trưởng xích chân em lại", True),
        ("em không biết mình ở đâu nữa", True),
        ("my supervisor punched me today", True),
        ("họ bắt em sang nước khác mà không hỏi, em bị chuyển qua nước khác rồi", True),
        ("cháu nó nhắn tin tạm biệt rồi tắt máy", True),
        ("they lock the dorm, we cannot go out at night", True),
        ("mấy ngày nay em không có gì ăn", True),
        ("tối chủ khóa cửa ký túc xá", True),
        ("can my employer keep my passport?", False),
        ("who should hold my passport abroad", False),
    ],
)
def test_chains_being_lost_punches_and_farewell_messages_are_danger(text, expected):
    assert shows_danger(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # documents held to force work or payment, work to pay off a debt: both kinds of words
        ("giám đốc giữ hộ chiếu, bảo muốn lấy thì phải đóng 5000 đô", True),
        ("chủ giữ hộ chiếu, bắt làm 14 tiếng một ngày", True),
        ("to quit i must pay to get my passport back, they keep my papers", True),
        ("e bi bat lam ko cong de tra no", True),
        ("forced to work for free to pay the broker", True),
        ("em nợ công ty 150 triệu, họ không cho nghỉ", True),
        ("i owe the broker money and they say i cannot quit", True),
        ("em nợ ngân hàng, có được vay thêm để đi không", False),
        # each kind alone is an ordinary question
        ("công ty có được giữ hộ chiếu không, muốn lấy lại thì làm sao", False),
        ("muốn nghỉ việc trước hạn thì phải trả tiền gì", False),
        ("cty không trả lương 2 tháng, em không có tiền trả nợ ngân hàng", False),
        ("can my employer keep my passport?", False),
    ],
)
def test_some_words_show_danger_only_together(text, expected):
    assert shows_danger(text) == expected


@pytest.mark.parametrize(
    "text",
    ["the broker threatens my family back home", "i keep hurting myself at night",
     "i need the police, the boss is outside my room", "họ dọa gia đình em ở quê"],
)
def test_threats_to_family_self_harm_and_a_call_for_the_police(text):
    assert shows_danger(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bỏ trốn có bị đi tù không", False),  # a question about absconding
        ("What happens if I run away from employer?", False),
        ("tố cáo ông cò lấy 80 triệu rồi bỏ trốn", False),  # the broker fled
        ("em đang trốn, họ đang tìm em", True),
        ("e phai bo tron khoi cho chu, ho danh e", True),
        ("i ran away from the house last night, where do i go", True),
    ],
)
def test_only_the_workers_own_flight_is_danger(text, expected):
    assert shows_danger(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my employer keeps my IC and passport, i can't even go out to buy food", True),
        ("chủ giữ thẻ ngoại kiều của em, không cho ra ngoài", True),
        ("chu giu ho chieu cua e, e ko di dau duoc", True),
        # documents kept, nobody confined: a question
        ("chủ giữ thẻ ngoại kiều của em có đúng luật không", False),
        ("can my employer keep my ID card for safekeeping", False),
    ],
)
def test_documents_held_and_not_let_out_is_danger(text, expected):
    assert shows_danger(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the violence is over: a complaint (the classifier still decides)
        ("the supervisor slapped me in 2024, now i am safe at home and want to report him", False),
        ("năm ngoái bị chủ đánh, giờ em đã về nước an toàn, muốn tố cáo công ty đó", False),
        ("nam ngoai bi chu danh, gio e da an toan roi, muon to cao", False),
        # still going on, or not safe
        ("the supervisor slapped me again today, i am not safe now", True),
        ("bị chủ đánh, em chưa an toàn, cứu em", True),
    ],
)
def test_danger_told_as_over_is_no_danger_phrase(text, expected):
    assert shows_danger(text) == expected


@pytest.mark.parametrize(
    "text",
    ["ở Ả Rập bị khóa trong trại, hỏi lương thì bị đập",
     "bi khoa trong phong tu toi qua",
     "chủ nói đã mua em rồi, bắt làm không công tới khi trả đủ tiền",
     "he said he bought you, now work for free until you pay off"],
)
def test_locked_inside_beaten_and_bought_are_danger(text):
    assert shows_danger(text)


@pytest.mark.parametrize(
    "text",
    ["thôi em chết quách cho xong",
     "e ko thiet song nua, muon nhay lau",
     "em định uống thuốc chuột",
     "honestly i think i am better off dead",
     "no reason to live anymore, boss took everything"],
)
def test_more_ways_of_saying_suicide_risk_are_danger(text):
    assert shows_danger(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "bắt cọc" (demand a deposit) folds like "bắt cóc" (kidnap): only kidnapping is danger
        ("cty bắt cọc trước 20 triệu khi chưa ký hợp đồng có đúng không", False),
        ("cty bat coc 20tr truoc, co dung ko", False),
        ("con tôi bị bắt cóc ở biên giới", True),
        ("e bi bat coc roi, cuu e", True),
    ],
)
def test_kidnapping_is_danger_but_a_deposit_demand_is_not(text, expected):
    assert shows_danger(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the boss beat me in Taichung, i came home already, i want to report the company", False),
        ("hồi trên tàu cá bị nhốt, giờ em đã lên bờ an toàn, muốn tố cáo chủ tàu", False),
        ("lúc ở Qatar bị chủ đánh gãy tay, giờ em về rồi, muốn kiện thì nộp ở đâu", False),
        ("e dang o nha tam lanh, muon khieu nai chu cu danh e truoc day", False),
        # danger now, no word of it being over
        ("chủ đánh em gãy tay, em vẫn đang ở nhà chủ", True),
    ],
)
def test_more_ways_of_telling_danger_is_over(text, expected):
    assert shows_danger(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bị chuyển qua nước khác, họ lấy hết giấy tờ của em", True),
        ("chủ không cho về, bắt làm tiếp", True),
        ("cty ko cho ve nuoc", True),
        # can't come home for Tết is no danger
        ("tết này em không về được", False),
    ],
)
def test_all_papers_taken_and_not_let_go_home_are_danger(text, expected):
    assert shows_danger(text) == expected
