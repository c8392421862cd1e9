"""Routing data and decisions: rules by date and priority, templates, fallback, transfers."""

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from grievance.routing import RULES_DIR, Case, Router, RoutingError

DAY = date(2026, 11, 2)


@pytest.fixture(scope="module")
def router() -> Router:
    return Router()


def _case(**fields) -> Case:
    values = {
        "category": "unpaid_wages",
        "legal_type": "complaint",
        "deadline_kind": "labour_complaint",
        "respondent_kind": "recruiter",
    }
    values.update(fields)
    return Case(**values)


def test_first_labour_complaint_goes_to_the_recruiter(router: Router) -> None:
    decision = router.route(_case(destination="JP"), DAY)
    assert (decision.unit_id, decision.rule_id, decision.fallback) == (
        "recruiter",
        "labour-complaint-first-recruiter",
        False,
    )
    assert decision.citation["verification"] == "unverified"


def test_urgent_abroad_goes_to_the_labour_section_of_the_destination(router: Router) -> None:
    case = _case(
        category="abuse_violence",
        legal_type="help_request",
        deadline_kind="petition",
        respondent_kind="employer_abroad",
        destination="KR",
    )
    assert router.route(case, DAY).unit_id == "labour_section_kr"


def test_destination_without_labour_section_uses_the_else_unit(router: Router) -> None:
    case = _case(
        category="documents_confiscated",
        legal_type="help_request",
        deadline_kind="petition",
        respondent_kind="employer_abroad",
        destination="MY",
    )
    decision = router.route(case, DAY)
    assert (decision.unit_id, decision.rule_id) == ("mofa_consular", "urgent-abroad-labour-section")


def test_trafficking_goes_to_the_police_whatever_else_is_known(router: Router) -> None:
    case = _case(
        category="trafficking_forced_labour",
        legal_type="denunciation",
        deadline_kind="denunciation",
        destination="JP",
        province="nghe-an",
    )
    assert router.route(case, DAY).unit_id == "mps"


def test_province_rule_uses_the_provincial_department(router: Router) -> None:
    case = _case(
        category="other",
        legal_type="petition",
        deadline_kind="petition",
        respondent_kind="unknown",
        province="bac-ninh",
    )
    assert router.route(case, DAY).unit_id == "sonv_bac_ninh"


def test_nothing_matches_falls_back_to_the_hotline(router: Router) -> None:
    case = _case(
        category="other", legal_type="petition", deadline_kind="petition", respondent_kind="unknown"
    )
    decision = router.route(case, DAY)
    assert (decision.unit_id, decision.rule_id, decision.fallback) == (
        "hotline",
        "fallback-hotline",
        True,
    )


def test_rules_in_force_on_the_day_of_receipt_apply(tmp_path: Path) -> None:
    for name in ("units.yml", "provinces.yml"):
        shutil.copy(RULES_DIR / name, tmp_path / name)
    rules = {
        "rules": [
            {
                "id": "old",
                "priority": 10,
                "effective_from": date(2025, 1, 1),
                "effective_to": date(2026, 1, 1),
                "when": {"category": ["unpaid_wages"]},
                "unit": "dolab",
                "citation": {"doc": "old", "verification": "unverified"},
            },
            {
                "id": "new",
                "priority": 10,
                "effective_from": date(2026, 1, 1),
                "when": {"category": ["unpaid_wages"]},
                "unit": "dolab_complaints",
                "citation": {"doc": "new", "verification": "unverified"},
            },
        ],
        "fallback": {"id": "fb", "unit": "hotline", "citation": {}},
    }
    (tmp_path / "routing.yml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    router = Router(tmp_path)
    assert router.route(_case(), date(2025, 12, 31)).rule_id == "old"
    assert router.route(_case(), date(2026, 1, 1)).rule_id == "new"
    assert router.route(_case(), date(2024, 12, 31)).rule_id == "fb"


def test_a_rule_naming_an_unknown_unit_is_refused(tmp_path: Path) -> None:
    for name in ("units.yml", "provinces.yml"):
        shutil.copy(RULES_DIR / name, tmp_path / name)
    rules = {
        "rules": [
            {
                "id": "x",
                "priority": 1,
                "effective_from": date(2025, 1, 1),
                "when": {},
                "unit": "nowhere",
                "citation": {"verification": "unverified"},
            }
        ],
        "fallback": {"id": "fb", "unit": "hotline"},
    }
    (tmp_path / "routing.yml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    with pytest.raises(RoutingError, match="nowhere"):
        Router(tmp_path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hà Nội", "ha-noi"),
        ("tp ho chi minh", "ho-chi-minh"),
        ("Tỉnh Nghệ An", "nghe-an"),
        ("Bắc Giang", "bac-ninh"),  # merged into Bắc Ninh (official source)
        ("Nam Dinh", "ninh-binh"),
        ("Bình Dương", None),  # merger seen only on a weak source: not guessed
        ("Atlantis", None),
    ],
)
def test_province_names_resolve(router: Router, text: str, expected: str | None) -> None:
    assert router.resolve_province(text) == expected


def test_every_province_has_a_department_of_home_affairs(router: Router) -> None:
    assert len(router.provinces) == 34
    units = {u.province for u in router.units.values() if u.kind == "province"}
    assert units == set(router.provinces)


def test_embassy_sections_exist_for_the_main_destinations(router: Router) -> None:
    countries = {u.country for u in router.units.values() if u.kind == "labour_section"}
    assert countries == {"JP", "KR", "TW", "DE", "SA", "QA", "AE", "RO", "HU", "PL"}


def test_transfer_from_recruiter_to_ministry_restarts_the_clock(router: Router) -> None:
    decision = router.transfer_rule("recruiter", "dolab_complaints")
    assert (decision.rule_id, decision.deadlines, decision.deadline_kind) == (
        "second-complaint-after-recruiter",
        "restart",
        "complaint_second",
    )
    assert router.transfer_rule("hotline", "sonv_ha_noi").deadlines == "carry_over"


def test_supervisors(router: Router) -> None:
    assert router.supervisor("recruiter").id == "dolab_complaints"
    assert router.supervisor("hotline_supervisors") is None
