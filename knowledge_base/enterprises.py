"""Registry of licensed recruiters: is the company that wants my money allowed to send workers?

Workers name recruiters the way they heard them: "cty sao mai", "Sao Mai JSC", "CP nhân lực Sao
Mai", without diacritics, with typos, or by licence number. The registry stores the official list
in SQLite (table `enterprises`, with an FTS5 index on the folded names) and ranks matches with
rapidfuzz after stripping legal-form words.

The repository ships only a FICTIONAL sample (data/enterprises_sample.csv). It is loaded when the
table is empty and no official list was ever imported, and every result from it says
`sample: true`, so nobody mistakes it for the real list.

Import format (`hanhtrang company import FILE.csv`; also docs/knowledge_base_registry.md):
UTF-8 CSV (a BOM is fine), comma- or semicolon-separated, first line a header. Columns, by name,
in any order:

    licence_no    required  licence number as printed, e.g. "123/LĐTBXH-GP"; unique
    name          required  full registered name
    status        required  active | suspended | revoked (Vietnamese "hoạt động", "đình chỉ",
                            "thu hồi" are accepted too)
    short_names   optional  other names and abbreviations, separated by ";"
    address       optional
    province      optional  province or city (the 34 units since 1 Jul 2025)
    licence_date  optional  YYYY-MM-DD or DD/MM/YYYY
    status_date   optional  date of the last status change, same formats
    source        optional  where the list came from (URL or document)
    list_date     optional  date of the list, same formats

Unknown columns are ignored. A malformed file is rejected as a whole, naming the line; the
previous data stays. A good file replaces the previous import in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
from rapidfuzz import fuzz, process
from sqlite_utils.migrations import Migrations

from knowledge_base.fees import message_text
from knowledge_base.text import fold

logger = logging.getLogger(__name__)

SAMPLE_PATH = Path(__file__).parent / "data" / "enterprises_sample.csv"
TABLE = "enterprises"
META_TABLE = "enterprises_meta"
COLUMNS = (
    "licence_no",
    "name",
    "short_names",
    "address",
    "province",
    "licence_date",
    "status",
    "status_date",
    "source",
    "list_date",
)
REQUIRED_COLUMNS = ("licence_no", "name", "status")
DATE_COLUMNS = ("licence_date", "status_date", "list_date")
STATUSES = ("active", "suspended", "revoked")
_STATUS_WORDS = {
    "active": "active",
    "hoat dong": "active",
    "dang hoat dong": "active",
    "con hieu luc": "active",
    "suspended": "suspended",
    "dinh chi": "suspended",
    "tam dinh chi": "suspended",
    "bi dinh chi": "suspended",
    "revoked": "revoked",
    "thu hoi": "revoked",
    "bi thu hoi": "revoked",
    "da thu hoi": "revoked",
}

# Words that say what kind of company it is, not which one (folded). Removed before matching.
LEGAL_FORM_PHRASES = tuple(
    sorted(
        (
            "cong ty co phan", "cong ty tnhh", "cong ty trach nhiem huu han", "cong ty", "cty",
            "ct", "co phan", "cp", "ctcp", "tnhh", "trach nhiem huu han", "mtv", "mot thanh vien",
            "hai thanh vien", "2tv", "jsc", "joint stock company", "joint stock", "co ltd",
            "company limited", "limited", "ltd", "company", "corp", "corporation", "xkld",
            "xuat khau lao dong",
        ),
        key=lambda p: -len(p.split()),
    )
)  # fmt: skip

# Ranking tunables. A query word counts as found when it is this similar (0-100) to a name word.
WORD_MATCH_MIN = 75
# Results below this score (0..1) are not returned.
MIN_SCORE = 0.66
# Up to this many rows, every row is scored (typos defeat a full-text index); above it, the FTS5
# index picks the candidates.
FULL_SCAN_MAX_ROWS = 20_000

_WORD_RE = re.compile(r"[0-9a-z]+")

migrations = Migrations("hanhtrang.enterprises")


@migrations()
def m001_create_enterprises(db: sqlite_utils.Database) -> None:
    db[TABLE].create(  # type: ignore[union-attr]
        {
            "licence_no": str,
            "licence_key": str,
            "licence_number": str,
            "name": str,
            "short_names": str,
            "address": str,
            "province": str,
            "licence_date": str,
            "status": str,
            "status_date": str,
            "source": str,
            "list_date": str,
            "search_names": str,
            "sample": int,
        },
        pk="licence_no",
    )
    db[TABLE].create_index(["licence_key"])  # type: ignore[union-attr]
    db[TABLE].enable_fts(  # type: ignore[union-attr]
        ["search_names", "licence_key"], fts_version="FTS5", create_triggers=True
    )
    db[META_TABLE].create({"key": str, "value": str}, pk="key")  # type: ignore[union-attr]


class RegistryImportError(ValueError):
    """A registry CSV that cannot be imported. `code` is machine-readable; message(lang) is not."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = {k: str(v) for k, v in params.items()}
        super().__init__(code)

    def message(self, lang: str = "vi") -> str:
        return message_text("registry_errors", self.code, lang, **self.params)

    def __str__(self) -> str:
        return self.message("en")


@dataclass(frozen=True)
class Company:
    licence_no: str
    name: str
    short_names: tuple[str, ...]
    address: str
    province: str
    licence_date: str | None
    status: str
    status_date: str | None
    source: str
    list_date: str | None
    sample: bool


@dataclass(frozen=True)
class CompanyMatch:
    licence_no: str
    name: str
    status: str
    score: float  # 0..1
    province: str
    licence_date: str | None
    status_date: str | None
    list_date: str | None
    source: str
    sample: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# --- Normalisation ------------------------------------------------------------------------------


def normalise_name(text: str) -> str:
    """Folded words of a company name without legal-form words: "Cty CP Sao Mai" → "sao mai"."""
    words = _WORD_RE.findall(fold(text or ""))
    out: list[str] = []
    i = 0
    while i < len(words):
        for phrase in LEGAL_FORM_PHRASES:
            parts = phrase.split()
            if words[i : i + len(parts)] == parts:
                i += len(parts)
                break
        else:
            out.append(words[i])
            i += 1
    return " ".join(out)


def licence_key(text: str) -> str:
    """Licence number reduced to letters and digits: "123/LĐTBXH-GP" → "123LDTBXHGP"."""
    return "".join(_WORD_RE.findall(fold(text or ""))).upper()


def _licence_number(text: str) -> str:
    match = re.search(r"\d+", text or "")
    return str(int(match.group(0))) if match else ""


# --- CSV ----------------------------------------------------------------------------------------


def _date(value: str, column: str, line: int) -> str | None:
    value = value.strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    raise RegistryImportError("bad_date", line=line, column=column, value=value)


def _status(value: str, line: int) -> str:
    status = _STATUS_WORDS.get(" ".join(_WORD_RE.findall(fold(value))))
    if status is None:
        raise RegistryImportError("bad_status", line=line, value=value)
    return status


def read_registry_csv(path: Path) -> list[dict[str, Any]]:
    """Parse and validate a registry CSV; raises RegistryImportError naming the line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryImportError("unreadable", path=path, detail=type(exc).__name__) from exc
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise RegistryImportError("empty_file", path=path) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise RegistryImportError("missing_columns", path=path, columns=", ".join(missing))
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise RegistryImportError("bad_row", line=line)
        raw = {h: f.strip() for h, f in zip(header, fields, strict=True) if h in COLUMNS}
        for column in REQUIRED_COLUMNS:
            if not raw.get(column):
                raise RegistryImportError("empty_field", line=line, column=column)
        key = licence_key(raw["licence_no"])
        if key in seen:
            raise RegistryImportError(
                "duplicate_licence", line=line, value=raw["licence_no"], first_line=seen[key]
            )
        seen[key] = line
        row = {c: raw.get(c, "") for c in COLUMNS}
        row["status"] = _status(raw["status"], line)
        for column in DATE_COLUMNS:
            row[column] = _date(raw.get(column, ""), column, line)
        rows.append(row)
    if not rows:
        raise RegistryImportError("empty_file", path=path)
    return rows


def _record(row: dict[str, Any], sample: bool) -> dict[str, Any]:
    short_names = [s.strip() for s in (row.get("short_names") or "").split(";") if s.strip()]
    names = [normalise_name(row["name"])] + [normalise_name(s) for s in short_names]
    return {
        **row,
        "short_names": ";".join(short_names),
        "licence_key": licence_key(row["licence_no"]),
        "licence_number": _licence_number(row["licence_no"]),
        "search_names": " | ".join(n for n in names if n),
        "sample": int(sample),
    }


# --- Registry -----------------------------------------------------------------------------------


class Registry:
    """The licensed-recruiter list in one SQLite database (shared with other tables is fine)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._ready = False

    def _migrate(self) -> None:
        if not self._ready:
            migrations.apply(self.db)
            self._ready = True

    def _meta(self, key: str) -> str | None:
        rows = list(self.db[META_TABLE].rows_where("key = ?", [key]))
        return rows[0]["value"] if rows else None

    def _set_meta(self, values: dict[str, str]) -> None:
        self.db[META_TABLE].upsert_all(  # type: ignore[union-attr]
            [{"key": k, "value": v} for k, v in values.items()], pk="key"
        )

    def ensure_loaded(self) -> None:
        """Create the tables; load the fictional sample if empty and nothing was ever imported."""
        self._migrate()
        if self.db[TABLE].count > 0 or self._meta("origin") == "import":
            return
        rows = read_registry_csv(SAMPLE_PATH)
        with self.db.atomic():
            self.db[TABLE].insert_all([_record(r, sample=True) for r in rows])  # type: ignore[union-attr]
            self._set_meta({"origin": "sample", "rows": str(len(rows))})
        logger.info("enterprise registry: loaded %d fictional sample rows", len(rows))

    @property
    def is_sample(self) -> bool:
        self.ensure_loaded()
        return self._meta("origin") != "import"

    def import_csv(self, path: Path) -> int:
        """Replace the registry with an official list; returns the number of rows imported."""
        self._migrate()
        rows = read_registry_csv(Path(path))
        with self.db.atomic():
            self.db.execute(f"DELETE FROM [{TABLE}]")
            self.db[TABLE].insert_all([_record(r, sample=False) for r in rows])  # type: ignore[union-attr]
            self._set_meta(
                {
                    "origin": "import",
                    "rows": str(len(rows)),
                    "file": Path(path).name,
                    "imported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                }
            )
        logger.info("enterprise registry: imported %d rows", len(rows))
        return len(rows)

    def get(self, licence_no: str) -> Company | None:
        self.ensure_loaded()
        rows = list(self.db[TABLE].rows_where("licence_key = ?", [licence_key(licence_no)]))
        return _company(rows[0]) if rows else None

    def search(self, query: str, limit: int = 5) -> list[CompanyMatch]:
        """Best matches first: by licence number, else by name (typos, order, diacritics)."""
        self.ensure_loaded()
        scored: dict[str, tuple[float, dict[str, Any]]] = {}
        for row, score in self._by_licence(query):
            scored[row["licence_no"]] = (score, row)
        wanted = normalise_name(query)
        if wanted:
            for row in self._candidates(wanted):
                score = name_score(wanted, row["search_names"].split(" | "))
                if score >= MIN_SCORE and score > scored.get(row["licence_no"], (0.0, None))[0]:
                    scored[row["licence_no"]] = (score, row)
        ranked = sorted(scored.values(), key=lambda item: (-item[0], item[1]["name"]))
        return [_match(row, score) for score, row in ranked[: max(limit, 0)]]

    def _by_licence(self, query: str) -> list[tuple[dict[str, Any], float]]:
        if not re.search(r"\d", query or ""):
            return []
        exact = list(self.db[TABLE].rows_where("licence_key = ?", [licence_key(query)]))
        if exact:
            return [(row, 1.0) for row in exact]
        number = _licence_number(query)
        stripped = re.sub(r"[\s\d/\-.]", "", query)
        if not number or stripped:  # only a bare number ("123", "số 123") matches by number
            return []
        return [(row, 0.95) for row in self.db[TABLE].rows_where("licence_number = ?", [number])]

    def _candidates(self, wanted: str) -> list[dict[str, Any]]:
        table = self.db[TABLE]
        if table.count <= FULL_SCAN_MAX_ROWS:
            return list(table.rows)
        terms = " OR ".join(f'"{w}"*' for w in wanted.split())
        return list(table.search(terms, limit=500))  # type: ignore[union-attr]


def name_score(query: str, names: list[str]) -> float:
    """Similarity (0..1) of a normalised query to the best of a company's normalised names.

    Mostly: how many query words appear, allowing typos, in the name (so "sao mai" finds
    "mau thu nhan luc sao mai"); then, as a tie-breaker, how close the whole strings are.
    """
    query_words = query.split()
    if not query_words:
        return 0.0
    best = 0.0
    for name in names:
        name_words = name.split()
        if not name_words:
            continue
        weight = 0.0
        found = 0.0
        for word in query_words:
            match = process.extractOne(word, name_words, scorer=fuzz.ratio)
            similarity = match[1] if match else 0.0
            weight += len(word)
            if similarity >= WORD_MATCH_MIN:
                found += len(word) * similarity / 100
        coverage = found / weight
        closeness = fuzz.token_sort_ratio(query, name) / 100
        joined = fuzz.partial_ratio(query.replace(" ", ""), name.replace(" ", "")) / 100
        score = max(0.85 * coverage + 0.15 * closeness, 0.9 * joined if len(query) >= 6 else 0.0)
        best = max(best, score)
    return round(min(best, 1.0), 3)


def _company(row: dict[str, Any]) -> Company:
    return Company(
        licence_no=row["licence_no"],
        name=row["name"],
        short_names=tuple(s for s in (row["short_names"] or "").split(";") if s),
        address=row["address"] or "",
        province=row["province"] or "",
        licence_date=row["licence_date"],
        status=row["status"],
        status_date=row["status_date"],
        source=row["source"] or "",
        list_date=row["list_date"],
        sample=bool(row["sample"]),
    )


def _match(row: dict[str, Any], score: float) -> CompanyMatch:
    return CompanyMatch(
        licence_no=row["licence_no"],
        name=row["name"],
        status=row["status"],
        score=score,
        province=row["province"] or "",
        licence_date=row["licence_date"],
        status_date=row["status_date"],
        list_date=row["list_date"],
        source=row["source"] or "",
        sample=bool(row["sample"]),
    )
