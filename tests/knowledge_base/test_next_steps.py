"""The action buttons offered under an article's answer (knowledge_base/data/next_steps.yml)."""

from pathlib import Path

from knowledge_base.loader import load_approved
from knowledge_base.next_steps import NextSteps, load_next_steps
from knowledge_base.validate import domain_intents


def test_the_licence_article_offers_a_company_check_in_the_users_language() -> None:
    steps = load_next_steps()
    assert steps.buttons("legal.licensed_company", "en") == [
        {"title": "Check a recruiter", "payload": "/check_company"}]
    assert steps.buttons("legal.licensed_company", "vi") == [
        {"title": "Kiểm tra một công ty", "payload": "/check_company"}]
    assert steps.buttons("dest.japan", "vi") == []


def test_the_shipped_file_names_real_articles_and_intents() -> None:
    ids = [a.id for a in load_approved()]
    assert load_next_steps().problems(ids, domain_intents()) == []


def test_problems_name_what_is_wrong() -> None:
    steps = NextSteps(
        labels={"check_fee": {"vi": "Kiểm tra phí", "en": ""}, "fly": {"vi": "Bay", "en": "Fly"}},
        by_article={"fees.deposit": ("check_fee", "check_fee", "check_fee"),
                    "nowhere.article": ("refund_now",)},
    )
    assert steps.problems(["fees.deposit"], ["check_fee"]) == [
        "next_steps: action 'check_fee' has no en label",
        "next_steps: action 'fly' is not an intent of the bot",
        "next_steps: fees.deposit offers 3 actions (at most 2)",
        "next_steps: 'nowhere.article' is not an article",
        "next_steps: nowhere.article offers 'refund_now', which has no label",
    ]


def test_a_missing_label_language_falls_back_to_vietnamese(tmp_path: Path) -> None:
    path = tmp_path / "steps.yml"
    path.write_text("actions:\n  check_fee: {vi: Kiểm tra phí}\narticles:\n  fees.deposit: "
                    "[check_fee]\n", encoding="utf-8")
    assert load_next_steps(path).buttons("fees.deposit", "en") == [
        {"title": "Kiểm tra phí", "payload": "/check_fee"}]
