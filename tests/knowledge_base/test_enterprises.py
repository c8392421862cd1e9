"""The licensed-recruiter registry: the fictional sample, tolerant search, atomic imports."""

import csv
from pathlib import Path

import pytest
import sqlite_utils

from knowledge_base.enterprises import (
    SAMPLE_PATH,
    Registry,
    RegistryImportError,
    licence_key,
    normalise_name,
)

HEADER = (
    "licence_no,name,short_names,address,province,licence_date,status,status_date,source,list_date"
)


@pytest.fixture
def registry() -> Registry:
    return Registry(sqlite_utils.Database(memory=True))


def write(tmp_path: Path, text: str, name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


OFFICIAL = (
    HEADER + "\n"
    "123/LĐTBXH-GP,Công ty Cổ phần Thí Dụ Một,TD1;Thi Du One JSC,Số 1,Hà Nội,2022-03-01,active,"
    "2022-03-01,Danh sách thử,2026-11-01\n"
    "45/LĐTBXH-GP,Công ty TNHH Thí Dụ Hai,,Số 2,Huế,01/06/2023,thu hồi,15/09/2026,Danh sách thử,"
    "2026-11-01\n"
)


# --- The sample ---------------------------------------------------------------------------------


def test_sample_is_about_thirty_obviously_fictional_rows_with_mixed_statuses() -> None:
    with SAMPLE_PATH.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert 25 <= len(rows) <= 40
    assert all("(DỮ LIỆU MẪU)" in r["name"] and "Mẫu Thử" in r["name"] for r in rows)
    assert {r["source"] for r in rows} == {"FICTIONAL SAMPLE — not the official list"}
    assert {r["status"] for r in rows} == {"active", "suspended", "revoked"}


def test_the_sample_loads_when_the_table_is_empty_and_every_result_says_so(registry) -> None:
    matches = registry.search("Sao Mai")
    assert matches[0].licence_no == "MAU-001/GP-THU"
    assert all(m.sample for m in matches)
    assert registry.is_sample


def test_ensure_loaded_is_idempotent(registry) -> None:
    registry.ensure_loaded()
    registry.ensure_loaded()
    assert registry.db["enterprises"].count == 30


# --- Search -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "Sao Mai",
        "sao mai",
        "SAO MAI",
        "Mai Sao",  # word order
        "sao mia",  # typo
        "saomai",  # run together
        "cty cp sao mai",
        "Công ty Cổ phần Sao Mai",
        "Sao Mai JSC",
        "SMM JSC",  # short name
        "xkld sao mai",
        "MAU-001/GP-THU",
        "mau 001 gp thu",
    ],
)
def test_search_tolerates_how_people_write_names(registry, query) -> None:
    assert registry.search(query)[0].licence_no == "MAU-001/GP-THU"


@pytest.mark.parametrize(
    ("query", "licence_no"),
    [
        ("hoa sen xanh co., ltd", "MAU-002/GP-THU"),
        ("Công ty TNHH MTV Bình Minh", "MAU-003/GP-THU"),
        ("hai au gia", "MAU-010/GP-THU"),
        ("Hải Âu Giả", "MAU-010/GP-THU"),
        ("dinh cao", "MAU-012/GP-THU"),
    ],
)
def test_search_finds_other_companies(registry, query, licence_no) -> None:
    assert registry.search(query)[0].licence_no == licence_no


def test_search_returns_status_and_scores_best_first(registry) -> None:
    matches = registry.search("Núi Bạc", limit=3)
    assert (matches[0].licence_no, matches[0].status) == ("MAU-005/GP-THU", "revoked")
    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)


@pytest.mark.parametrize("query", ["xyz qwerty", "Công ty TNHH", "", "cty cp"])
def test_search_with_nothing_distinctive_returns_nothing(registry, query) -> None:
    assert registry.search(query) == []


def test_limit_is_respected(registry) -> None:
    assert len(registry.search("nhân lực", limit=2)) == 2


def test_get_by_licence_number_ignores_case_and_punctuation(registry) -> None:
    company = registry.get("mau 001 gp thu")
    assert company is not None and company.name.startswith(
        "Công ty Cổ phần Mẫu Thử Nhân Lực Sao Mai"
    )
    assert company.short_names == ("Sao Mai Mẫu", "SMM JSC")
    assert registry.get("nope") is None


def test_normalise_name_drops_legal_form_words() -> None:
    assert normalise_name("Cty CP Sao Mai") == "sao mai"
    assert normalise_name("Công ty TNHH MTV Hoa Sen Co., Ltd") == "hoa sen"
    assert normalise_name("SAO MAI JSC (XKLĐ)") == "sao mai"


def test_licence_key() -> None:
    assert licence_key("123/LĐTBXH-GP") == "123LDTBXHGP"


# --- Import -------------------------------------------------------------------------------------


def test_import_replaces_the_sample_and_results_are_not_sample(registry, tmp_path) -> None:
    registry.ensure_loaded()
    assert registry.import_csv(write(tmp_path, OFFICIAL)) == 2
    assert registry.db["enterprises"].count == 2
    match = registry.search("thi du mot")[0]
    assert (match.licence_no, match.status, match.sample) == ("123/LĐTBXH-GP", "active", False)
    assert registry.search("Sao Mai") == []
    assert not registry.is_sample


def test_import_normalises_dates_and_vietnamese_statuses(registry, tmp_path) -> None:
    registry.import_csv(write(tmp_path, OFFICIAL))
    company = registry.get("45/LĐTBXH-GP")
    assert company is not None
    assert (company.status, company.licence_date, company.status_date) == (
        "revoked",
        "2023-06-01",
        "2026-09-15",
    )


def test_search_by_licence_number_alone(registry, tmp_path) -> None:
    registry.import_csv(write(tmp_path, OFFICIAL))
    assert [m.licence_no for m in registry.search("123")] == ["123/LĐTBXH-GP"]
    assert registry.search("123/LĐTBXH-GP")[0].score == 1.0


def test_semicolon_separated_files_with_a_bom_are_accepted(registry, tmp_path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("\ufefflicence_no;name;status\n7/GP;Công ty Bảy;active\n", encoding="utf-8")
    assert registry.import_csv(path) == 1


def test_a_second_import_replaces_the_first(registry, tmp_path) -> None:
    registry.import_csv(write(tmp_path, OFFICIAL))
    registry.import_csv(
        write(tmp_path, "licence_no,name,status\n9/GP,Công ty Chín,active\n", "b.csv")
    )
    assert [r["licence_no"] for r in registry.db["enterprises"].rows] == ["9/GP"]
    assert registry.search("thi du mot") == []
    assert registry.search("chin")[0].licence_no == "9/GP"


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("licence_no,name\n1/GP,A\n", "missing_columns", None),
        ("licence_no,name,status\n1/GP,A,active\n2/GP,B,maybe\n", "bad_status", "3"),
        ("licence_no,name,status\n1/GP,,active\n", "empty_field", "2"),
        ("licence_no,name,status\n1/GP,A,active\n1/gp,B,active\n", "duplicate_licence", "3"),
        ("licence_no,name,status,licence_date\n1/GP,A,active,2023-13-40\n", "bad_date", "2"),
        ("licence_no,name,status\n1/GP,A,active,extra\n", "bad_row", "2"),
        ("licence_no,name,status\n", "empty_file", None),
        ("", "empty_file", None),
    ],
)
def test_malformed_files_are_rejected_with_the_line_and_the_data_kept(
    registry, tmp_path, text, code, line
) -> None:
    registry.import_csv(write(tmp_path, OFFICIAL, "good.csv"))
    with pytest.raises(RegistryImportError) as error:
        registry.import_csv(write(tmp_path, text))
    assert error.value.code == code
    if line:
        assert error.value.params["line"] == line
        assert line in error.value.message("vi") and line in error.value.message("en")
    assert registry.db["enterprises"].count == 2


def test_a_failure_during_the_write_rolls_back(registry, tmp_path, monkeypatch) -> None:
    registry.import_csv(write(tmp_path, OFFICIAL, "good.csv"))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(registry, "_set_meta", broken)
    with pytest.raises(RuntimeError):
        registry.import_csv(write(tmp_path, "licence_no,name,status\n9/GP,C,active\n", "b.csv"))
    assert sorted(r["licence_no"] for r in registry.db["enterprises"].rows) == [
        "123/LĐTBXH-GP",
        "45/LĐTBXH-GP",
    ]


def test_an_empty_registry_after_an_import_does_not_reload_the_sample(registry, tmp_path) -> None:
    registry.import_csv(write(tmp_path, OFFICIAL))
    registry.db.execute("DELETE FROM enterprises")
    registry.ensure_loaded()
    assert registry.db["enterprises"].count == 0


def test_the_fts_index_follows_the_table(registry, tmp_path) -> None:
    registry.import_csv(write(tmp_path, OFFICIAL))
    hits = list(registry.db["enterprises"].search('"thi"* AND "du"*'))
    assert sorted(h["licence_no"] for h in hits) == ["123/LĐTBXH-GP", "45/LĐTBXH-GP"]
