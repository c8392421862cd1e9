"""Evaluation of the bot as workers really write: every held-out text goes through the stack.

Reads tests/data/eval/intents.yml ({text, variant, intent}) and tests/data/eval/kb_questions.yml
({text, variant, kb_id}) and sends each text, from a fresh conversation, through Rasa's REST channel
exactly as `hanhtrang ask` does (cli.ask.ask_stack). Reports per variant (vi, vi_nodiac, en): intent
accuracy, article hit@1 and MRR, out-of-scope precision/recall, emergency recall, and the time per
message with one user and with 20 concurrent users (the load part sends only what the channel
adapters send, through bench/load_rest.py's driver: no tracker read after each message).

By default it starts its own stack (Rasa + action server, free loopback ports, a temporary
database), because the evaluation files emergency and hand-off tickets that must never land in a
real database. `--use-running` evaluates the stack at RASA_URL instead (only for a test stack).

Usage: .venv/bin/python -m bench.eval_nlu [--use-running] [--users 20] [--load-messages 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bench.common import (
    ROOT,
    BenchError,
    header,
    markdown_table,
    provenance_markdown,
    publish,
)
from bench.eval_scores import (
    EMERGENCY,
    KB_OUTCOMES,
    Case,
    Turn,
    confusions,
    kb_outcome,
    latency,
    per_intent,
    right_article_or_action,
    scores,
    suggested_articles,
)
from bench.load_rest import Profile, run_profile
from bench.private_stack import own_backend
from bot.rasa_client import BotReply, RasaClient
from cli.ask import ask_stack, rasa_client

INTENTS_FILE = ROOT / "tests" / "data" / "eval" / "intents.yml"
KB_FILE = ROOT / "tests" / "data" / "eval" / "kb_questions.yml"
VARIANTS = ("vi", "vi_nodiac", "en")
TARGETS = {"oos_recall": 0.60}


def load_cases(intents_path: Path = INTENTS_FILE, kb_path: Path = KB_FILE) -> list[Case]:
    cases: list[Case] = []
    for row in yaml.safe_load(intents_path.read_text(encoding="utf-8")) or []:
        cases.append(Case(text=str(row["text"]), variant=row["variant"], intent=row["intent"]))
    for row in yaml.safe_load(kb_path.read_text(encoding="utf-8")) or []:
        cases.append(Case(text=str(row["text"]), variant=row["variant"], kb_id=row["kb_id"]))
    unknown = {c.variant for c in cases} - set(VARIANTS)
    if unknown:
        raise BenchError(f"unknown variants in the evaluation files: {sorted(unknown)}")
    return cases


class RecordingClient(RasaClient):
    """RasaClient that keeps each sender's raw reply (buttons, metadata) and the send time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.replies: dict[str, tuple[BotReply, float]] = {}

    async def send(self, sender: str, text: str,
                   metadata: dict[str, Any] | None = None) -> BotReply:
        started = time.perf_counter()
        reply = await super().send(sender, text, metadata)
        self.replies[sender] = (reply, time.perf_counter() - started)
        return reply


async def run_case(client: RecordingClient, case: Case) -> Turn:
    sender = f"api:eval-{uuid.uuid4().hex}"
    summary = await ask_stack(client, case.text, sender)
    reply, seconds = client.replies.pop(sender)
    return Turn(case=case, summary=summary, suggestions=suggested_articles(reply.messages),
                emergency_flag=bool(reply.meta.get("emergency")), seconds=seconds,
                out_of_scope_reply=reply.meta.get("handled") == "out_of_scope",
                handled=reply.meta.get("handled"))


async def run_sequential(client: RecordingClient, cases: Sequence[Case]) -> list[Turn]:
    return [await run_case(client, case) for case in cases]


async def run_concurrent(client: RasaClient, cases: Sequence[Case],
                         users: int) -> tuple[list[float], float]:
    """`users` simulated workers, each sending its share of `cases` one after the other.

    Only what the channel adapters send (one REST message per case, each from a fresh
    conversation): the tracker read that scoring needs is not part of a worker's load, and it
    used to be measured with it (bench/load_rest.py --fetch-tracker shows what it cost).
    """
    messages = [(case.intent or "ask_question", case.text) for case in cases]
    result = await run_profile(client, messages, Profile("eval", users, len(messages)))
    return result.seconds, result.wall_s


def load_sample(cases: Sequence[Case], count: int) -> list[Case]:
    """An even spread over the cases (every variant and kind), deterministic."""
    if count >= len(cases):
        return list(cases)
    step = len(cases) / count
    return [cases[int(i * step)] for i in range(count)]


def turn_rows(turns: Sequence[Turn]) -> list[dict[str, Any]]:
    """One row per case: what was expected, what the bot did, and whether that was right."""
    return [
        {"text": t.case.text, "variant": t.case.variant, "expected_intent": t.case.intent,
         "expected_kb_id": t.case.kb_id, "intent": t.summary.get("intent"),
         "confidence": t.summary.get("intent_confidence"), "kb_id": t.summary.get("kb_id"),
         "kb_score": t.summary.get("kb_score"), "ticket": t.summary.get("ticket_code") is not None,
         "active_form": t.summary.get("active_form"), "suggestions": t.suggestions,
         "handled": t.handled,
         "out_of_scope_reply": t.out_of_scope_reply,
         "right": right_article_or_action(t),
         "kb_outcome": kb_outcome(t) if t.case.kb_id else None}
        for t in turns
    ]


def evaluate(client: RecordingClient, cases: list[Case], users: int,
             load_messages: int, turns_file: Path | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    turns = asyncio.run(run_sequential(client, cases))
    sequential_s = time.perf_counter() - started
    if turns_file is not None:
        turns_file.write_text(json.dumps(turn_rows(turns), ensure_ascii=False, indent=1),
                              encoding="utf-8")
    load_seconds, load_s = asyncio.run(run_concurrent(client, load_sample(cases, load_messages),
                                                      users))
    by_variant = {v: [t for t in turns if t.case.variant == v] for v in VARIANTS}
    return {
        "cases": len(cases),
        "scores": {**{v: scores(ts) for v, ts in by_variant.items()}, "all": scores(turns)},
        "latency_one_user": {**latency([t.seconds for t in turns]),
                             "wall_s": round(sequential_s, 1)},
        "latency_concurrent": {**latency(load_seconds), "users": users,
                               "wall_s": round(load_s, 1),
                               "messages_per_s": round(len(load_seconds) / load_s, 2),
                               "sends": "REST messages only, as the channel adapters send"},
        "intent_confusions": confusions(turns),
        "per_intent": per_intent(turns),
    }


def markdown(result: dict[str, Any]) -> str:
    r = result["result"]
    groups = [*VARIANTS, "all"]
    measures = [
        ("right article or action (all cases)", "right_article_or_action"),
        ("right article or action (in-scope cases: no out-of-scope texts)",
         "right_article_or_action_in_scope"),
        ("intent accuracy", "intent_accuracy"), ("article hit@1", "article_hit_at_1"),
        ("article MRR (answer or offered choices)", "article_mrr"),
        ("right article answered or offered first", "article_first_choice"),
        ("KB question answered with a wrong article", "kb_answered_wrong_article"),
        ("out-of-scope recall", "oos_recall"), ("out-of-scope precision", "oos_precision"),
        ("out-of-scope text answered with an article", "oos_answered_with_article"),
        ("emergency recall", "emergency_recall"), ("emergency precision", "emergency_precision"),
        ("turns with no visible reply (should be 0)", "empty_replies"),
    ]
    rows = [[label, *(r["scores"][g][key] for g in groups)] for label, key in measures]
    counts = [["cases (intent / kb)",
               *(f"{r['scores'][g]['intent_cases']} / {r['scores'][g]['kb_cases']}"
                 for g in groups)]]
    one, many = r["latency_one_user"], r["latency_concurrent"]
    timing = [
        ["1 user", one["messages"], f"{one['p50_ms']:.0f}", f"{one['p95_ms']:.0f}", None],
        [f"{many['users']} concurrent users", many["messages"], f"{many['p50_ms']:.0f}",
         f"{many['p95_ms']:.0f}", f"{many['messages_per_s']:.1f}"],
    ]
    return (
        "# NLU and retrieval evaluation through the running stack\n\n"
        + provenance_markdown(result)
        + f"- stack: {result['stack']}\n"
        + f"- Rasa model: `{result['rasa_model']}`\n\n"
        + markdown_table(["measure", *groups], rows + counts)
        + "\nRight article or action: a knowledge-base question answered with the right article "
        "(offered among buttons does not count), an emergency treated as one, an out-of-scope text "
        "handled as out of scope, any other text given its intent (or, since session 7, its action "
        "done from another intent: a licence check for a question that names a company). "
        "Out of scope: no article, ticket or form, and the intent out_of_scope or nlu_fallback or "
        "(since session 6) the out-of-scope reply given to a question the article classifier "
        "put in its \"none\" class. "
        "Emergency: intent emergency or an emergency ticket. MRR: 1 for the right article "
        "answered, 1/rank when it is among the offered choices, 0 otherwise.\n"
        + "\n## What happened to the knowledge-base questions\n\n"
        + markdown_table(["outcome", *groups],
                         [[k, *(r["scores"][g]["kb_outcomes"][k] for g in groups)]
                          for k in KB_OUTCOMES])
        + "\nOffered: the expected article was among the buttons but not answered; other action: "
        "an emergency, a ticket or a form took the turn.\n"
        + "\n## Time per message (REST round trip, loopback)\n\n"
        + markdown_table(["load", "messages", "p50 ms", "p95 ms", "messages/s"], timing)
        + "\n## Recall per expected intent (all variants)\n\n"
        + markdown_table(["intent", "cases", "recall"],
                         [[k, v["cases"], v["recall"]] for k, v in r["per_intent"].items()])
        + "\n## Most frequent intent confusions\n\n"
        + markdown_table(["variant", "expected", "answered", "count"],
                         r["intent_confusions"][:20])
        + "\n## Emergency texts classified as another intent\n\n"
        + markdown_table(["variant", "expected", "answered", "count"],
                         [c for c in r["intent_confusions"] if c[1] == EMERGENCY])
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.eval_nlu", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--use-running", action="store_true",
                        help="evaluate the stack at RASA_URL (it will receive test tickets)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--load-messages", type=int, default=200)
    parser.add_argument("--intents", type=Path, default=INTENTS_FILE)
    parser.add_argument("--kb", type=Path, default=KB_FILE)
    parser.add_argument("--limit", type=int, help="evaluate an even sample of this many cases")
    parser.add_argument("--name", default="eval", help="result file name in bench/results/")
    parser.add_argument("--turns", type=Path,
                        help="also write what happened to each case (JSON) to this file; for the "
                             "development set only: reading the held-out set's cases is tuning")
    args = parser.parse_args(argv)
    # A plain `kill` must still stop the private stack (the finally blocks run on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    cases = load_cases(args.intents, args.kb)
    if args.limit:
        cases = load_sample(cases, args.limit)
    from cli.train import rasa_model_path

    head = header()
    model = rasa_model_path()
    model_info = f"{model.relative_to(ROOT) if model.is_relative_to(ROOT) else model}"
    try:
        if args.use_running:
            base = rasa_client()
            client = RecordingClient(base.base_url, base.token)
            if not asyncio.run(client.healthy()):
                print(f"error: no stack answers at {base.base_url}", file=sys.stderr)
                return 3
            stack = "the running stack (--use-running)"
            result = evaluate(client, cases, args.users, args.load_messages, args.turns)
        else:
            print("starting a private stack (Rasa + actions, temporary database)...",
                  file=sys.stderr)
            with own_backend() as backend:
                client = RecordingClient(backend.settings.rasa_url, backend.settings.rasa_token)
                stack = "a private stack started by eval_nlu on a temporary database"
                result = evaluate(client, cases, args.users, args.load_messages, args.turns)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    data = {**head, "stack": stack, "rasa_model": model_info,
            "rasa_model_mtime": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                              time.gmtime(model.stat().st_mtime)),
            "targets": TARGETS, "result": result}
    publish(args.name, data, markdown(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
