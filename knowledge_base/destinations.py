"""Destinations (countries/territories) with their programmes, caps, contacts and sources.

The data lives in destinations.yml so that a reviewer can check every number against its source
without reading code. This module only loads it into typed objects and recognises which country a
worker means ("đi nhat 3 nam" → "JP"), because the chatbot's forms and the fee check both need it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.loader import Citation
from knowledge_base.text import fold

DESTINATIONS_PATH = Path(__file__).parent / "destinations.yml"

# Deposit-cap kinds (DepositCap.kind).
DEPOSIT_AMOUNT = "amount"
DEPOSIT_NONE = "none"
DEPOSIT_AIR_TICKET = "air_ticket"
DEPOSIT_UNKNOWN = "unknown"

_WORD_RE = re.compile(r"\w+", re.UNICODE)
_SHORT_ALIAS_LEN = 3


class DestinationDataError(Exception):
    """destinations.yml is malformed (bad shape, unknown source or contact id)."""


@dataclass(frozen=True)
class ServiceFeeCap:
    """A programme-specific service-fee cap (Circular 21/2021 App. XI as replaced in 2024).

    months_per_12 months of contract wage for every 12 months of contract, and no more than
    max_months in total when the contract lasts max_from_months or longer.
    """

    months_per_12: Decimal
    max_months: Decimal | None
    max_from_months: int
    citation: Citation


@dataclass(frozen=True)
class DepositCap:
    """Ceiling on the worker's deposit (Decree 112/2021 App. II).

    kind is "amount" (amount and currency set), "none" (no deposit may be taken), "air_ticket"
    (price of one economy ticket home, not a fixed sum) or "unknown".
    """

    kind: str
    amount: Decimal | None = None
    currency: str | None = None
    citation: Citation | None = None


UNKNOWN_DEPOSIT_CAP = DepositCap(kind=DEPOSIT_UNKNOWN)


@dataclass(frozen=True)
class Contact:
    id: str
    name: dict[str, str]
    phone: str | None
    url: str | None
    citation: Citation


@dataclass(frozen=True)
class Programme:
    id: str
    name: dict[str, str]
    aliases: tuple[str, ...]
    channel: dict[str, str]
    service_fee_cap: ServiceFeeCap | None = None
    # None: the country's deposit cap applies; otherwise this programme's own cap.
    deposit_cap: DepositCap | None = None


@dataclass(frozen=True)
class Destination:
    iso2: str
    name: dict[str, str]
    aliases: tuple[str, ...]
    ambiguous_aliases: tuple[str, ...]
    programmes: tuple[Programme, ...]
    deposit_cap: DepositCap
    restrictions: dict[str, str]
    contacts: tuple[Contact, ...]
    citations: tuple[Citation, ...]
    emergency_numbers: dict[str, str] = field(default_factory=dict)

    def programme(self, text: str) -> Programme | None:
        """The programme whose id or alias is `text` (case and diacritics ignored)."""
        wanted = _norm_key(text)
        for programme in self.programmes:
            keys = {_norm_key(programme.id)} | {_norm_key(a) for a in programme.aliases}
            keys |= {_norm_key(n) for n in programme.name.values()}
            if wanted in keys:
                return programme
        return None

    def deposit_cap_for(self, programme: Programme | None) -> DepositCap:
        """The deposit cap that applies: the programme's own if it has one, else the country's."""
        if programme is not None and programme.deposit_cap is not None:
            return programme.deposit_cap
        return self.deposit_cap


def _norm_key(text: str) -> str:
    return " ".join(_WORD_RE.findall(fold(text))).replace("_", " ")


def _texts(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) != {"vi", "en"} or not all(value.values()):
        raise DestinationDataError(f"{where}: expected {{vi, en}}")
    return {str(k): " ".join(str(v).split()) for k, v in value.items()}


def _citation(raw: dict[str, Any]) -> Citation:
    return Citation(
        doc=str(raw.get("doc", "")),
        article=str(raw.get("article", "") or ""),
        clause=str(raw.get("clause", "") or ""),
        url=str(raw.get("url", "") or ""),
        verification=str(raw.get("verification", "unverified")),
        note=" ".join(str(raw.get("note", "") or "").split()),
    )


class _Parser:
    """Turns the parsed YAML into dataclasses, resolving source/contact/channel ids."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.sources = {k: _citation(v) for k, v in (data.get("sources") or {}).items()}
        self.channels = {
            k: _texts(v, f"channels.{k}") for k, v in (data.get("channels") or {}).items()
        }
        self.contacts = {
            k: Contact(
                id=k,
                name=_texts(v.get("name"), f"contacts.{k}.name"),
                phone=v.get("phone"),
                url=v.get("url"),
                citation=self.source(v.get("citation"), f"contacts.{k}"),
            )
            for k, v in (data.get("contacts") or {}).items()
        }

    def source(self, key: Any, where: str) -> Citation:
        if key not in self.sources:
            raise DestinationDataError(f"{where}: unknown source {key!r}")
        return self.sources[key]

    def deposit_cap(self, raw: Any, where: str) -> DepositCap:
        if raw is None:
            return UNKNOWN_DEPOSIT_CAP
        if not isinstance(raw, dict):
            raise DestinationDataError(f"{where}: deposit_cap must be a mapping or null")
        citation = self.source(raw.get("citation"), where)
        if raw.get("none") is True:
            return DepositCap(kind=DEPOSIT_NONE, citation=citation)
        if raw.get("rule") == DEPOSIT_AIR_TICKET:
            return DepositCap(kind=DEPOSIT_AIR_TICKET, citation=citation)
        if raw.get("amount") is not None and raw.get("currency"):
            return DepositCap(
                kind=DEPOSIT_AMOUNT,
                amount=Decimal(str(raw["amount"])),
                currency=str(raw["currency"]),
                citation=citation,
            )
        raise DestinationDataError(f"{where}: unrecognised deposit_cap {raw!r}")

    def fee_cap(self, raw: Any, where: str) -> ServiceFeeCap | None:
        if raw is None:
            return None
        max_months = raw.get("max_months")
        return ServiceFeeCap(
            months_per_12=Decimal(str(raw["months_per_12"])),
            max_months=None if max_months is None else Decimal(str(max_months)),
            max_from_months=int(raw.get("max_from_months", 36)),
            citation=self.source(raw.get("citation"), where),
        )

    def programme(self, raw: dict[str, Any], where: str) -> Programme:
        channel_id = raw.get("channel")
        if channel_id not in self.channels:
            raise DestinationDataError(f"{where}: unknown channel {channel_id!r}")
        return Programme(
            id=str(raw["id"]),
            name=_texts(raw.get("name"), f"{where}.name"),
            aliases=tuple(str(a) for a in raw.get("aliases") or ()),
            channel=self.channels[channel_id],
            service_fee_cap=self.fee_cap(raw.get("service_fee_cap"), f"{where}.service_fee_cap"),
            deposit_cap=(
                self.deposit_cap(raw["deposit_cap"], f"{where}.deposit_cap")
                if "deposit_cap" in raw
                else None
            ),
        )

    def destination(self, iso2: str, raw: dict[str, Any]) -> Destination:
        where = f"destinations.{iso2}"
        contacts = []
        for contact_id in raw.get("contacts") or ():
            if contact_id not in self.contacts:
                raise DestinationDataError(f"{where}: unknown contact {contact_id!r}")
            contacts.append(self.contacts[contact_id])
        return Destination(
            iso2=iso2,
            name=_texts(raw.get("name"), f"{where}.name"),
            aliases=tuple(str(a) for a in raw.get("aliases") or ()),
            ambiguous_aliases=tuple(str(a) for a in raw.get("ambiguous_aliases") or ()),
            programmes=tuple(
                self.programme(p, f"{where}.programmes[{i}]")
                for i, p in enumerate(raw.get("programmes") or ())
            ),
            deposit_cap=self.deposit_cap(raw.get("deposit_cap"), f"{where}.deposit_cap"),
            restrictions=_texts(raw.get("restrictions"), f"{where}.restrictions"),
            contacts=tuple(contacts),
            citations=tuple(self.source(c, where) for c in raw.get("citations") or ()),
            emergency_numbers={
                str(k): str(v) for k, v in (raw.get("emergency_numbers") or {}).items()
            },
        )


def load_destinations(path: Path | None = None) -> dict[str, Destination]:
    """All destinations keyed by ISO 3166-1 alpha-2 code, in file order."""
    data = _read(path or DESTINATIONS_PATH)
    parser = _Parser(data)
    return {
        str(iso2).upper(): parser.destination(str(iso2).upper(), raw)
        for iso2, raw in (data.get("destinations") or {}).items()
    }


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DestinationDataError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise DestinationDataError(f"{path}: expected a mapping at the top level")
    return data


# --- Recognising a destination in free text -----------------------------------------------------


@dataclass(frozen=True)
class _Alias:
    iso2: str
    tokens: tuple[str, ...]  # lower-case, NFC, diacritics kept
    ambiguous: bool


@dataclass(frozen=True)
class _Token:
    text: str  # lower-case NFC
    folded: str
    plain: bool  # written without diacritics
    capitalised: bool


@dataclass(frozen=True)
class _Matcher:
    aliases: tuple[_Alias, ...]  # longest first
    scripts: tuple[tuple[str, str], ...]  # (non-Latin alias, iso2) matched as substrings
    context: frozenset[tuple[str, ...]]


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _is_latin(text: str) -> bool:
    """Latin script, Vietnamese included (Latin Extended Additional ends at U+1EFF)."""
    return all(ord(ch) < 0x250 or 0x1E00 <= ord(ch) <= 0x1EFF for ch in text if ch.isalpha())


def _tokens(text: str) -> list[_Token]:
    out = []
    for match in _WORD_RE.finditer(_nfc(text)):
        word = match.group(0)
        lower = word.lower()
        folded = fold(lower)
        out.append(_Token(lower, folded, folded == lower, word[:1].isupper()))
    return out


@lru_cache(maxsize=4)
def _matcher(path: Path) -> _Matcher:
    data = _read(path)
    aliases: list[_Alias] = []
    scripts: list[tuple[str, str]] = []
    for iso2, raw in (data.get("destinations") or {}).items():
        code = str(iso2).upper()
        ambiguous = {_nfc(a).lower() for a in raw.get("ambiguous_aliases") or ()}
        for alias in raw.get("aliases") or ():
            alias = _nfc(str(alias))
            if not _is_latin(alias):
                scripts.append((alias, code))
                continue
            words = tuple(t.text for t in _tokens(alias))
            if not words:
                continue
            short = len("".join(words)) <= _SHORT_ALIAS_LEN
            aliases.append(_Alias(code, words, short or alias.lower() in ambiguous))
    aliases.sort(key=lambda a: -len(" ".join(a.tokens)))
    context = frozenset(tuple(fold(w).split()) for w in data.get("context_words") or ())
    return _Matcher(tuple(aliases), tuple(scripts), context)


def _token_matches(token: _Token, alias_word: str) -> bool:
    """A word typed with diacritics must match them; a plain word matches the folded alias."""
    if token.text == alias_word:
        return True
    return token.plain and fold(alias_word) == token.text


def _preceded_by_context(tokens: list[_Token], start: int, context: frozenset) -> bool:
    for words in context:
        n = len(words)
        if start >= n and tuple(t.folded for t in tokens[start - n : start]) == words:
            return True
    return False


def _accept(alias: _Alias, tokens: list[_Token], start: int, matcher: _Matcher) -> bool:
    if not alias.ambiguous:
        return True
    if len(tokens) == len(alias.tokens):  # the whole message is the alias
        return True
    if _preceded_by_context(tokens, start, matcher.context):
        return True
    matched = tokens[start : start + len(alias.tokens)]
    # A capitalised name of two words or more ("Ba Lan", not "ba lan" = "three times"). A single
    # capitalised word is not enough: Đức and Nhật are also given names.
    return len(matched) > 1 and all(t.capitalised for t in matched)


def find_country(text: str, path: Path | None = None) -> str | None:
    """ISO2 code of the first destination named in `text`, or None.

    Tolerates missing diacritics and case ("nhat ban", "HAN QUOC") and finds the name inside a
    sentence ("đi nhat 3 nam" → "JP"). Short or everyday words that are also place names ("han",
    "dai", "nhật" as in "cập nhật") count only in a clear context, so that "hạn chót" or "tốt
    nhất" never turn into a country.
    """
    if not text or not text.strip():
        return None
    matcher = _matcher((path or DESTINATIONS_PATH).resolve())
    tokens = _tokens(text)
    raw = _nfc(text)
    best: tuple[int, str] | None = None
    for start in range(len(tokens)):
        for alias in matcher.aliases:
            n = len(alias.tokens)
            window = tokens[start : start + n]
            if len(window) == n and all(
                _token_matches(t, w) for t, w in zip(window, alias.tokens, strict=True)
            ):
                if _accept(alias, tokens, start, matcher):
                    best = (start, alias.iso2)
                    break
        if best:
            break
    # Non-Latin names (日本, 한국, 台灣) have no word boundaries: look for them as substrings.
    # Their position is compared in characters against the Latin match's first token.
    script_hits = [(raw.find(s), code) for s, code in matcher.scripts if s in raw]
    if script_hits:
        pos, code = min(script_hits)
        if best is None:
            return code
        latin_pos = _char_offset(raw, best[0])
        return code if pos < latin_pos else best[1]
    return best[1] if best else None


def _char_offset(text: str, token_index: int) -> int:
    for i, match in enumerate(_WORD_RE.finditer(text)):
        if i == token_index:
            return match.start()
    return len(text)
