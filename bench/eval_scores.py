"""Scores of the bot's turns on the held-out evaluation set (pure: no stack, no I/O).

What counts as "out of scope", "emergency" and an article's rank is defined here, once, for the
report and its tests.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.metrics import mean, percentile, ratio, reciprocal_rank

OOS_INTENT = "out_of_scope"
FALLBACK = "nlu_fallback"
EMERGENCY = "emergency"
ARTICLE_PAYLOAD = "/ask_article"


@dataclass(frozen=True)
class Case:
    """A held-out text: an intent case (intent set) or a knowledge-base case (kb_id set)."""

    text: str
    variant: str
    intent: str | None = None
    kb_id: str | None = None


@dataclass(frozen=True)
class Turn:
    """What the bot did with one case."""

    case: Case
    summary: dict[str, Any]
    suggestions: list[str]
    emergency_flag: bool
    seconds: float
    # The bot gave its out-of-scope reply although the intent was a question: the article
    # classifier's "none" class decided (actions/knowledge.py answer_text).
    out_of_scope_reply: bool = False
    # What the reply's metadata says the bot did when that is not the intent's own action: since
    # session 7 a question naming a company and filed under the licence articles is checked like
    # `check_company` (handled=check_company, actions/knowledge.py answer_text).
    handled: str | None = None


def suggested_articles(messages: Sequence[dict[str, Any]]) -> list[str]:
    """Article ids offered as `/ask_article{"kb_id": ...}` buttons, in the order shown."""
    ids: list[str] = []
    for message in messages:
        for button in message.get("buttons") or []:
            payload = str(button.get("payload") or "")
            if not payload.startswith(ARTICLE_PAYLOAD + "{"):
                continue
            try:
                kb_id = json.loads(payload[len(ARTICLE_PAYLOAD):]).get("kb_id")
            except (ValueError, AttributeError):
                continue
            if kb_id and kb_id not in ids:
                ids.append(kb_id)
    return ids


def handled_as_out_of_scope(summary: dict[str, Any], out_of_scope_reply: bool = False) -> bool:
    """The bot treated the text as outside what it serves: no article, ticket or form started.

    Either the intent said so, or the intent was a question and the bot still gave its
    out-of-scope reply (`out_of_scope_reply`: the reply's metadata says handled=out_of_scope).
    """
    return (
        (summary.get("intent") in (OOS_INTENT, FALLBACK) or out_of_scope_reply)
        and summary.get("kb_id") is None
        and summary.get("ticket_code") is None
        and summary.get("active_form") is None
    )


def article_rank_score(turn: Turn) -> float:
    """1 when the expected article was answered; 1/rank among the offered choices otherwise."""
    expected = turn.case.kb_id or ""
    answered = turn.summary.get("kb_id")
    if answered is not None:
        return 1.0 if answered == expected else 0.0
    return reciprocal_rank(expected, turn.suggestions)


def is_emergency(turn: Turn) -> bool:
    return turn.summary.get("intent") == EMERGENCY or turn.emergency_flag


def right_article_or_action(turn: Turn) -> bool:
    """What issue 4's headline target counts: the bot did the right thing with this message.

    A knowledge-base question: the right article answered (offering it among buttons is not
    enough). An emergency: treated as an emergency. An out-of-scope text: handled as out of scope.
    Any other intent case: that intent recognised (its rule then runs the right action), or its
    action done from another intent (a licence check run for a question that names a company).
    """
    case = turn.case
    if case.kb_id is not None:
        return turn.summary.get("kb_id") == case.kb_id
    if case.intent == EMERGENCY:
        return is_emergency(turn)
    if case.intent == OOS_INTENT:
        return handled_as_out_of_scope(turn.summary, turn.out_of_scope_reply)
    return turn.summary.get("intent") == case.intent or turn.handled == case.intent


KB_OUTCOMES = ("right_article", "wrong_article", "offered_not_answered", "not_offered",
               "other_action")


def kb_outcome(turn: Turn) -> str:
    """What happened to a knowledge-base question, for the report's breakdown of the misses.

    right_article / wrong_article: an article was answered. Otherwise: the expected article was
    among the offered choices, or not; other_action: an emergency, ticket or form took the turn.
    """
    answered = turn.summary.get("kb_id")
    if answered is not None:
        return "right_article" if answered == turn.case.kb_id else "wrong_article"
    if is_emergency(turn) or turn.summary.get("ticket_code") or turn.summary.get("active_form"):
        return "other_action"
    return "offered_not_answered" if turn.case.kb_id in turn.suggestions else "not_offered"


def scores(turns: Sequence[Turn]) -> dict[str, Any]:
    """Every quality measure for one group of turns (one variant, or all)."""
    intent_turns = [t for t in turns if t.case.intent is not None]
    kb_turns = [t for t in turns if t.case.kb_id is not None]
    oos_gold = [t for t in intent_turns if t.case.intent == OOS_INTENT]
    oos_pred = [t for t in turns if handled_as_out_of_scope(t.summary, t.out_of_scope_reply)]
    emergencies = [t for t in intent_turns if t.case.intent == EMERGENCY]
    flagged = [t for t in turns if is_emergency(t)]
    return {
        "cases": len(turns),
        "right_article_or_action": ratio(sum(right_article_or_action(t) for t in turns),
                                         len(turns)),
        # The same without the out-of-scope texts: the questions and requests the bot serves.
        "right_article_or_action_in_scope": ratio(
            sum(right_article_or_action(t) for t in turns if t.case.intent != OOS_INTENT),
            sum(t.case.intent != OOS_INTENT for t in turns),
        ),
        "kb_outcomes": {k: sum(kb_outcome(t) == k for t in kb_turns) for k in KB_OUTCOMES},
        "intent_cases": len(intent_turns),
        "intent_accuracy": ratio(
            sum(t.summary.get("intent") == t.case.intent for t in intent_turns), len(intent_turns)
        ),
        "kb_cases": len(kb_turns),
        "article_hit_at_1": ratio(
            sum(t.summary.get("kb_id") == t.case.kb_id for t in kb_turns), len(kb_turns)
        ),
        "article_mrr": mean([article_rank_score(t) for t in kb_turns]),
        # Right article answered, or first among the choices: hit@1 if the bot always answered.
        "article_first_choice": ratio(
            sum(article_rank_score(t) == 1.0 for t in kb_turns), len(kb_turns)
        ),
        "kb_answered_wrong_article": ratio(
            sum(t.summary.get("kb_id") not in (None, t.case.kb_id) for t in kb_turns),
            len(kb_turns),
        ),
        "oos_cases": len(oos_gold),
        "oos_recall": ratio(sum(handled_as_out_of_scope(t.summary, t.out_of_scope_reply)
                                  for t in oos_gold),
                            len(oos_gold)),
        "oos_precision": ratio(sum(t.case.intent == OOS_INTENT for t in oos_pred), len(oos_pred)),
        "oos_answered_with_article": ratio(
            sum(t.summary.get("kb_id") is not None for t in oos_gold), len(oos_gold)
        ),
        "empty_replies": sum(not t.summary.get("messages") for t in turns),
        "emergency_cases": len(emergencies),
        "emergency_recall": ratio(sum(is_emergency(t) for t in emergencies), len(emergencies)),
        "emergency_precision": ratio(
            sum(t.case.intent == EMERGENCY for t in flagged), len(flagged)
        ),
    }


def latency(seconds: Sequence[float]) -> dict[str, Any]:
    p50, p95 = percentile(seconds, 50), percentile(seconds, 95)
    return {
        "messages": len(seconds),
        "p50_ms": round(1000 * p50, 1) if p50 is not None else None,
        "p95_ms": round(1000 * p95, 1) if p95 is not None else None,
    }


def per_intent(turns: Sequence[Turn]) -> dict[str, dict[str, Any]]:
    """Recall of each expected intent over all variants: which intents need more examples."""
    out: dict[str, dict[str, Any]] = {}
    for t in turns:
        if t.case.intent is None:
            continue
        row = out.setdefault(t.case.intent, {"cases": 0, "correct": 0})
        row["cases"] += 1
        row["correct"] += t.summary.get("intent") == t.case.intent
    for row in out.values():
        row["recall"] = ratio(row["correct"], row["cases"])
    return dict(sorted(out.items()))


def confusions(turns: Sequence[Turn], top: int | None = None) -> list[list[Any]]:
    """The most frequent (variant, gold intent, answered intent) mistakes: labels, never texts."""
    counts: dict[tuple[str, str, str], int] = {}
    for t in turns:
        if t.case.intent is None or t.summary.get("intent") == t.case.intent:
            continue
        key = (t.case.variant, t.case.intent, str(t.summary.get("intent")))
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [[*key, n] for key, n in ranked]
