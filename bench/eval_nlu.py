"""Evaluation of the bot as workers really write: every held-out text goes through the stack.

Reads tests/data/eval/intents.yml ({text, variant, intent}) and tests/data/eval/kb_questions.yml
({text, variant, kb_id}) and sends each text, from a fresh conversation, through Rasa's REST channel
exactly as `hanhtrang ask` does (cli.ask.ask_stack). Reports per variant (vi, vi_nodiac, en): intent
accuracy, article hit@1 and MRR, out-of-scope precision/recall, emergency recall, and the time per
message with one user and with 20 concurrent users.

By default it starts its own stack (Rasa + action server, free loopback ports, a temporary
database), because the evaluation files emergency and hand-off tickets that must never land in a
real database. `--use-running` evaluates the stack at RASA_URL instead (only for a test stack).

Usage: .venv/bin/python -m bench.eval_nlu [--use-running] [--users 20] [--load-messages 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.common import (
    ROOT,
    BenchError,
    header,
    markdown_table,
    provenance_markdown,
    write_results,
)
from bench.metrics import mean, percentile, ratio, reciprocal_rank
from bot.rasa_client import BotReply, RasaClient
from cli.ask import ask_stack, rasa_client
from cli.stack import StackSettings, free_port

INTENTS_FILE = ROOT / "tests" / "data" / "eval" / "intents.yml"
KB_FILE = ROOT / "tests" / "data" / "eval" / "kb_questions.yml"
VARIANTS = ("vi", "vi_nodiac", "en")
OOS_INTENT = "out_of_scope"
FALLBACK = "nlu_fallback"
EMERGENCY = "emergency"
ARTICLE_PAYLOAD = "/ask_article"
START_TIMEOUT_S = 300
TARGETS = {"oos_recall": 0.60}


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


def handled_as_out_of_scope(summary: dict[str, Any]) -> bool:
    """The bot treated the text as outside what it serves: no article, ticket or form started."""
    return (
        summary.get("intent") in (OOS_INTENT, FALLBACK)
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


def scores(turns: Sequence[Turn]) -> dict[str, Any]:
    """Every quality measure for one group of turns (one variant, or all)."""
    intent_turns = [t for t in turns if t.case.intent is not None]
    kb_turns = [t for t in turns if t.case.kb_id is not None]
    oos_gold = [t for t in intent_turns if t.case.intent == OOS_INTENT]
    oos_pred = [t for t in turns if handled_as_out_of_scope(t.summary)]
    emergencies = [t for t in intent_turns if t.case.intent == EMERGENCY]
    flagged = [t for t in turns if is_emergency(t)]
    return {
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
        "oos_recall": ratio(sum(handled_as_out_of_scope(t.summary) for t in oos_gold),
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
                emergency_flag=bool(reply.meta.get("emergency")), seconds=seconds)


async def run_sequential(client: RecordingClient, cases: Sequence[Case]) -> list[Turn]:
    return [await run_case(client, case) for case in cases]


async def run_concurrent(client: RecordingClient, cases: Sequence[Case],
                         users: int) -> tuple[list[Turn], float]:
    """`users` simulated workers, each sending its share of `cases` one after the other."""
    queue: asyncio.Queue[Case] = asyncio.Queue()
    for case in cases:
        queue.put_nowait(case)
    turns: list[Turn] = []

    async def user() -> None:
        while not queue.empty():
            turns.append(await run_case(client, queue.get_nowait()))

    started = time.perf_counter()
    await asyncio.gather(*(user() for _ in range(users)))
    return turns, time.perf_counter() - started


def load_sample(cases: Sequence[Case], count: int) -> list[Case]:
    """An even spread over the cases (every variant and kind), deterministic."""
    if count >= len(cases):
        return list(cases)
    step = len(cases) / count
    return [cases[int(i * step)] for i in range(count)]


def _wait(url: str, params: dict[str, str], procs: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise BenchError(f"a stack process exited early with code {p.returncode}")
        try:
            if httpx.get(url, params=params, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise BenchError(f"{url} did not answer within {START_TIMEOUT_S} s")


@contextmanager
def own_stack() -> Iterator[StackSettings]:
    """Rasa + action server on free loopback ports and a temporary database, stopped afterwards."""
    from cli.train import model_is_valid, rasa_model_path

    if not model_is_valid(rasa_model_path()):
        raise BenchError("no trained Rasa model: run `make train` first")
    with tempfile.TemporaryDirectory(prefix="hanhtrang-eval-") as tmp:
        settings = replace(
            StackSettings.from_env(),
            host="127.0.0.1",
            rasa_port=free_port(),
            action_port=free_port(),
            web_port=free_port(),
            rasa_token=secrets.token_urlsafe(16),
            db_path=Path(tmp) / "hanhtrang.db",
        )
        env, commands = settings.env(), settings.commands()
        procs: list[subprocess.Popen[bytes]] = []
        logs = {name: Path(tmp) / f"{name}.log" for name in ("actions", "rasa")}
        try:
            for name, log in logs.items():
                procs.append(subprocess.Popen(
                    commands[name], cwd=ROOT, env=env, start_new_session=True,
                    stdout=log.open("wb"), stderr=subprocess.STDOUT,
                ))
            _wait(f"{settings.action_url}/health", {}, procs)
            _wait(f"{settings.rasa_url}/status", {"token": settings.rasa_token}, procs)
            yield settings
        except BenchError:
            for name, log in logs.items():
                if log.exists():
                    tail = log.read_text(errors="replace")[-3000:]
                    print(f"----- {name} log (tail) -----\n{tail}", file=sys.stderr)
            raise
        finally:
            for p in procs:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)


def evaluate(client: RecordingClient, cases: list[Case], users: int,
             load_messages: int) -> dict[str, Any]:
    started = time.perf_counter()
    turns = asyncio.run(run_sequential(client, cases))
    sequential_s = time.perf_counter() - started
    load_turns, load_s = asyncio.run(run_concurrent(client, load_sample(cases, load_messages),
                                                    users))
    by_variant = {v: [t for t in turns if t.case.variant == v] for v in VARIANTS}
    return {
        "cases": len(cases),
        "scores": {**{v: scores(ts) for v, ts in by_variant.items()}, "all": scores(turns)},
        "latency_one_user": {**latency([t.seconds for t in turns]),
                             "wall_s": round(sequential_s, 1)},
        "latency_concurrent": {**latency([t.seconds for t in load_turns]), "users": users,
                               "wall_s": round(load_s, 1),
                               "messages_per_s": round(len(load_turns) / load_s, 2)},
        "intent_confusions": confusions(turns),
        "per_intent": per_intent(turns),
    }


def markdown(result: dict[str, Any]) -> str:
    r = result["result"]
    groups = [*VARIANTS, "all"]
    measures = [
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
        + "\nOut of scope: intent out_of_scope or nlu_fallback with no article, ticket or form. "
        "Emergency: intent emergency or an emergency ticket. MRR: 1 for the right article "
        "answered, 1/rank when it is among the offered choices, 0 otherwise.\n"
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
            result = evaluate(client, cases, args.users, args.load_messages)
        else:
            print("starting a private stack (Rasa + actions, temporary database)...",
                  file=sys.stderr)
            with own_stack() as settings:
                client = RecordingClient(settings.rasa_url, settings.rasa_token)
                stack = "a private stack started by eval_nlu on a temporary database"
                result = evaluate(client, cases, args.users, args.load_messages)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    data = {**head, "stack": stack, "rasa_model": model_info,
            "rasa_model_mtime": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                              time.gmtime(model.stat().st_mtime)),
            "targets": TARGETS, "result": result}
    json_path, md_path = write_results(args.name, data, markdown(data))
    print(markdown(data))
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
