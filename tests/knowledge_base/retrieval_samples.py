"""A small, fixed set of articles for the retrieval tests (not the real knowledge base)."""

from __future__ import annotations

from knowledge_base.loader import Article, article_from_dict

_SAMPLES = [
    {
        "id": "fees.service_fee",
        "title": {"vi": "Tiền dịch vụ tối đa bao nhiêu?", "en": "How much can the service fee be?"},
        "answer": {
            "vi": "Tiền dịch vụ tối đa 1 tháng lương cho mỗi 12 tháng làm việc.",
            "en": "The service fee is at most 1 month of wage per 12 months of work.",
        },
        "questions": {
            "vi": [
                "Tiền dịch vụ đi xuất khẩu lao động tối đa bao nhiêu?",
                "phi dich vu di xkld toi da bao nhieu",
                "Công ty được thu phí dịch vụ bao nhiêu tháng lương?",
                "hop dong 3 nam thi cty dc thu toi da may thang luong",
                "mức trần tiền dịch vụ là bao nhiêu",
                "cty thu phi dich vu 5 thang luong co qua muc khong",
                "tiền dịch vụ là tiền gì, sao phải đóng",
                "phí dịch vụ tính theo tháng lương thế nào",
            ],
            "en": [
                "What is the maximum service fee?",
                "how much service fee can the company take",
                "max service fee for 3 year contract",
                "company ask me 5 month salary as service fee is it legal",
                "how many months wage is the service fee limit",
                "what is the service fee for, why must I pay it",
            ],
        },
    },
    {
        "id": "fees.deposit",
        "title": {"vi": "Tiền ký quỹ là gì?", "en": "What is the deposit?"},
        "answer": {
            "vi": "Tiền ký quỹ được gửi vào ngân hàng và trả lại khi bạn hoàn thành hợp đồng.",
            "en": "The deposit is held in a bank and returned when you finish your contract.",
        },
        "questions": {
            "vi": [
                "Tiền ký quỹ là gì?",
                "tien ky quy bao nhieu",
                "Khi nào được nhận lại tiền ký quỹ?",
                "cty giu tien ky quy khong tra thi lam sao",
                "có phải nộp ký quỹ trước khi đi không",
                "ky quy gui vao ngan hang nao",
                "về nước rồi đòi lại tiền ký quỹ thế nào",
                "tien coc di lam nuoc ngoai co bat buoc ko",
            ],
            "en": [
                "What is the deposit?",
                "how much is the deposit",
                "when do I get my deposit back",
                "company keeps my deposit what can I do",
                "is a deposit required before leaving",
                "where is the deposit kept",
            ],
        },
    },
    {
        "id": "dest.japan",
        "title": {"vi": "Đi làm việc ở Nhật Bản", "en": "Working in Japan"},
        "answer": {
            "vi": "Nhật Bản nhận lao động qua chương trình thực tập sinh và kỹ năng đặc định.",
            "en": "Japan takes workers as technical interns and specified skilled workers.",
        },
        "questions": {
            "vi": [
                "Đi Nhật cần điều kiện gì?",
                "di nhat lam viec can gi",
                "thực tập sinh Nhật Bản là gì",
                "tokutei ginou la gi",
                "đi nhật bao nhiêu tiền",
                "lương ở nhật khoảng bao nhiêu",
                "di nhat co can biet tieng nhat khong",
                "chương trình kỹ năng đặc định nhật bản",
            ],
            "en": [
                "What do I need to work in Japan?",
                "how to go to japan as technical intern",
                "what is specified skilled worker japan",
                "salary in japan for vietnamese worker",
                "do I need japanese language to go",
                "japan work visa for vietnamese",
            ],
        },
    },
    {
        "id": "help.hotlines",
        "title": {"vi": "Số điện thoại đường dây nóng", "en": "Hotline numbers"},
        "answer": {
            "vi": "Gọi đường dây nóng của Cục Quản lý lao động ngoài nước hoặc đại sứ quán.",
            "en": "Call the DOLAB hotline or the embassy's labour section.",
        },
        "questions": {
            "vi": [
                "Số điện thoại đường dây nóng là gì?",
                "so dien thoai hotline cuc quan ly lao dong",
                "gọi ai khi gặp nạn ở nước ngoài",
                "xin so dai su quan",
                "em cần giúp đỡ gấp thì gọi số nào",
                "đường dây nóng hỗ trợ người lao động",
                "lien he ai khi bi chu ngoc dai",
                "số điện thoại ban quản lý lao động",
            ],
            "en": [
                "What is the hotline number?",
                "who do I call in an emergency abroad",
                "embassy phone number",
                "I need help urgently, what number",
                "hotline for migrant workers",
                "contact number of the labour section",
            ],
        },
    },
]


def sample_articles() -> list[Article]:
    """Fresh Article objects (approved) built from the sample dictionaries."""
    return [article_from_dict({**data, "status": "approved"}) for data in _SAMPLES]
