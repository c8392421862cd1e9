"""Load benchmark: time per message through Rasa's REST channel with many users at once.

Sends what the channel adapters send (bot/rasa_client.py: one POST to /webhooks/rest/webhook per
message, nothing else) from N simulated users at the same time, and reports p50/p95/p99 time per
message, messages/s and, for a private stack, the CPU time each process spent per message (read
from /proc), so that a slow run says where the time went.

Profiles:
- closed loop (the target measurement, what bench.eval_nlu does): every user sends its next message
  as soon as the previous reply arrives; each message from a fresh conversation. Repeated
  `--repeat` times, because the machine is shared and one run says little.
- realistic (`--realistic`, never the target): each user waits a random think time (exponential,
  mean `--think` s) between messages and keeps one conversation for several messages.

`--fetch-tracker` adds what `hanhtrang ask` does after each message (GET the whole tracker; the
load part of bench.eval_nlu did it too, before 2026-11-23), to measure that extra load; real users
never cause it.

Messages come from the NLU training data (nlu/, nlu/generated/), never from the held-out
evaluation set: a share `--kb-share` of knowledge-base questions (retrieval in the action server),
the rest spread evenly over the other intents.

Usage: .venv/bin/python -m bench.load_rest [--users 20] [--messages 200] [--repeat 3]
       [--rasa-processes N] [--realistic] [--use-running] [--name load_rest]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    NLU_DIRS,
    BenchError,
    header,
    load_examples,
    markdown_table,
    provenance_markdown,
    publish,
)
from bench.metrics import percentile
from bot.rasa_client import RasaClient, RasaUnavailable

KB_INTENT = "ask_question"


@dataclass(frozen=True)
class Profile:
    """How the simulated users behave."""

    label: str
    users: int
    messages: int
    think_s: float = 0.0  # mean think time between a user's messages (0: closed loop)
    turns_per_conversation: int = 1  # messages per sender before a new conversation starts
    fetch_tracker: bool = False


@dataclass
class RunResult:
    profile: Profile
    seconds: list[float] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)  # the intent of each timed message
    errors: int = 0
    wall_s: float = 0.0
    client_cpu_s: float = 0.0
    process_cpu_s: dict[str, float] = field(default_factory=dict)


def training_examples(dirs: Sequence[Path] = NLU_DIRS) -> list[tuple[str, str]]:
    """(intent, text) of every training example, entity annotations removed."""
    return [(intent, text) for text, intent in load_examples(dirs)]


def message_mix(examples: Sequence[tuple[str, str]], count: int, kb_share: float,
                seed: int = 0) -> list[tuple[str, str]]:
    """`count` texts: round(count * kb_share) knowledge-base questions, the rest taken in turn
    from each other intent; (intent, text) pairs shuffled with a fixed seed (the same mix for
    every run)."""
    rng = random.Random(seed)
    by_intent: dict[str, list[str]] = {}
    for intent, text in examples:
        by_intent.setdefault(intent, []).append(text)
    for texts in by_intent.values():
        rng.shuffle(texts)
    kb = by_intent.pop(KB_INTENT, [])
    kb_count = min(len(kb), round(count * kb_share))
    chosen = [(KB_INTENT, text) for text in kb[:kb_count]]
    intents = sorted(by_intent)
    position = 0
    while len(chosen) < count and intents:
        for intent in intents:
            if position < len(by_intent[intent]) and len(chosen) < count:
                chosen.append((intent, by_intent[intent][position]))
        position += 1
        if all(position >= len(by_intent[i]) for i in intents):
            position = 0
    rng.shuffle(chosen)
    return chosen


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its waited-for children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def latency_summary(seconds: Sequence[float]) -> dict[str, float | None]:
    def ms(q: float) -> float | None:
        value = percentile(seconds, q)
        return round(1000 * value, 1) if value is not None else None

    return {"p50_ms": ms(50), "p95_ms": ms(95), "p99_ms": ms(99),
            "max_ms": round(1000 * max(seconds), 1) if seconds else None}


async def run_profile(client: RasaClient, messages: Sequence[tuple[str, str]], profile: Profile,
                      seed: int = 0) -> RunResult:
    """Every user takes the next (intent, text) from a shared queue until none is left."""
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for message in messages[: profile.messages]:
        queue.put_nowait(message)
    result = RunResult(profile)
    rng = random.Random(seed)

    async def user(index: int) -> None:
        sender, turns = "", profile.turns_per_conversation
        while not queue.empty():
            intent, text = queue.get_nowait()
            if turns >= profile.turns_per_conversation:
                sender, turns = f"api:load-{index}-{uuid.uuid4().hex[:12]}", 0
            turns += 1
            metadata = {"channel": "api", "user_id": sender.partition(":")[2],
                        "message_id": uuid.uuid4().hex}
            started = time.perf_counter()
            try:
                await client.send(sender, text, metadata)
                result.seconds.append(time.perf_counter() - started)
                result.intents.append(intent)
                if profile.fetch_tracker:
                    await client.tracker(sender)
            except RasaUnavailable:
                result.errors += 1
            if profile.think_s > 0:
                await asyncio.sleep(rng.expovariate(1 / profile.think_s))

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(user(i) for i in range(profile.users)))
    result.wall_s = time.perf_counter() - started
    result.client_cpu_s = time.process_time() - cpu
    return result


def measure(client: RasaClient, texts: Sequence[tuple[str, str]], profile: Profile,
            pids: dict[str, int]) -> RunResult:
    """One run of `profile`, with the CPU time each stack process spent during it."""
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    result = asyncio.run(run_profile(client, texts, profile))
    result.process_cpu_s = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    return result


def by_intent(result: RunResult) -> dict[str, dict[str, Any]]:
    """Latency per intent of the message: which kinds of message make the tail."""
    groups: dict[str, list[float]] = {}
    for intent, seconds in zip(result.intents, result.seconds, strict=True):
        groups.setdefault(intent, []).append(seconds)
    return {intent: {"messages": len(s), **latency_summary(s)}
            for intent, s in sorted(groups.items())}


def summary(result: RunResult) -> dict[str, Any]:
    n = len(result.seconds)
    per_message = {name: round(1000 * s / n, 1) if n else None
                   for name, s in {**result.process_cpu_s, "client": result.client_cpu_s}.items()}
    return {
        "profile": asdict(result.profile),
        "messages": n,
        "errors": result.errors,
        **latency_summary(result.seconds),
        "wall_s": round(result.wall_s, 2),
        "messages_per_s": round(n / result.wall_s, 2) if result.wall_s else None,
        "cpu_ms_per_message": per_message,
        "by_intent": by_intent(result),
    }


def spread(runs: Sequence[dict[str, Any]], key: str) -> str:
    values = [r[key] for r in runs if r[key] is not None]
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:.0f}"
    return f"{percentile(values, 50):.0f} ({min(values):.0f}–{max(values):.0f})"


def slowest_intents(runs: Sequence[dict[str, Any]], top: int = 8) -> list[list[Any]]:
    """The intents with the highest p95 in the closed-loop runs (median over the runs)."""
    rows: dict[str, list[Any]] = {}
    for run in runs:
        if run["profile"]["think_s"] != 0:
            continue
        for intent, r in run.get("by_intent", {}).items():
            row = rows.setdefault(intent, [0, [], []])
            row[0] += r["messages"]
            row[1].append(r["p50_ms"])
            row[2].append(r["p95_ms"])
    table = [[intent, n, percentile(p50, 50), percentile(p95, 50)]
             for intent, (n, p50, p95) in rows.items()]
    return sorted(table, key=lambda r: -(r[3] or 0))[:top]


def markdown(data: dict[str, Any]) -> str:
    runs = data["result"]["runs"]
    labels = list(dict.fromkeys(r["profile"]["label"] for r in runs))
    rows = []
    for label in labels:
        group = [r for r in runs if r["profile"]["label"] == label]
        p = group[0]["profile"]
        rows.append([label, p["users"], len(group), sum(r["messages"] for r in group),
                     sum(r["errors"] for r in group), spread(group, "p50_ms"),
                     spread(group, "p95_ms"), spread(group, "p99_ms"),
                     spread(group, "messages_per_s")])
    processes = sorted({k for r in runs for k in r["cpu_ms_per_message"]})
    cpu_rows = [[r["profile"]["label"], i + 1, *(r["cpu_ms_per_message"].get(k) for k in processes)]
                for label in labels
                for i, r in enumerate(x for x in runs if x["profile"]["label"] == label)]
    return (
        "# Time per message under load (REST channel, loopback)\n\n"
        + provenance_markdown(data)
        + f"- stack: {data['stack']}\n"
        + f"- Rasa processes: {data['rasa_processes']}; messages from the NLU training data "
        f"({data['kb_share']:.0%} knowledge-base questions)\n"
        + f"- load average before the runs: {data['load_average_before']}\n\n"
        + "Median over the runs, (min–max) in brackets. The closed loop is the target "
        "measurement (issue 4: p95 ≤ 400 ms with 20 users); the realistic profile is shown for "
        "context only.\n\n"
        + markdown_table(["profile", "users", "runs", "messages", "errors", "p50 ms", "p95 ms",
                          "p99 ms", "messages/s"], rows)
        + "\n## Slowest kinds of message (p95 over every closed-loop run)\n\n"
        + markdown_table(["intent", "messages", "p50 ms", "p95 ms"], slowest_intents(runs))
        + "\n## CPU time per message, by process (ms)\n\n"
        + "The client is this benchmark's own process (it shares the 2 cores with the stack).\n\n"
        + markdown_table(["profile", "run", *processes], cpu_rows)
    )


@contextmanager
def stack_client(use_running: bool, rasa_processes: int | None
                 ) -> Iterator[tuple[RasaClient, dict[str, int], str, int]]:
    """A client for the running stack, or for a private one (with its pids for CPU time)."""
    if use_running:
        from cli.ask import rasa_client

        client = rasa_client()
        if not asyncio.run(client.healthy()):
            raise BenchError(f"no stack answers at {client.base_url}")
        yield client, {}, "the running stack (--use-running)", len(client.base_urls)
        return
    from bench.private_stack import own_backend

    print("starting a private stack (Rasa + actions, temporary database)...", file=sys.stderr)
    with own_backend(rasa_processes) as backend:
        s = backend.settings
        yield (RasaClient(s.rasa_url, s.rasa_token), backend.pids,
               "a private stack started by load_rest on a temporary database", s.rasa_processes)


def profiles(args: argparse.Namespace) -> list[Profile]:
    closed = Profile(f"closed loop, {args.users} users, no think time", args.users,
                     args.messages, fetch_tracker=args.fetch_tracker)
    out = [closed] * args.repeat
    if args.realistic:
        out.append(Profile(f"realistic (not the target): think time {args.think:g} s mean, "
                           f"{args.turns} messages per conversation", args.users,
                           args.realistic_messages, think_s=args.think,
                           turns_per_conversation=args.turns))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load_rest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--messages", type=int, default=200, help="messages per closed-loop run")
    parser.add_argument("--repeat", type=int, default=3, help="closed-loop runs")
    parser.add_argument("--kb-share", type=float, default=0.25)
    parser.add_argument("--fetch-tracker", action="store_true",
                        help="also GET the tracker after each message, as eval_nlu does")
    parser.add_argument("--realistic", action="store_true",
                        help="add one run of the realistic profile (not the target)")
    parser.add_argument("--think", type=float, default=5.0, help="mean think time, realistic")
    parser.add_argument("--turns", type=int, default=5, help="messages per conversation, realistic")
    parser.add_argument("--realistic-messages", type=int, default=200)
    parser.add_argument("--rasa-processes", type=int,
                        help="Rasa servers of the private stack (default: RASA_PROCESSES or 1)")
    parser.add_argument("--warm-up", type=int, default=20, help="messages sent before measuring")
    parser.add_argument("--use-running", action="store_true",
                        help="load the stack at RASA_URL (it will receive test tickets)")
    parser.add_argument("--name", default="load_rest", help="result file name in bench/results/")
    args = parser.parse_args(argv)
    if not args.name.startswith("load_"):
        parser.error("--name must start with load_ (result files bench/results/load_*)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    texts = message_mix(training_examples(), max(args.messages, args.realistic_messages),
                        args.kb_share)
    head = header()
    load_before = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        with stack_client(args.use_running, args.rasa_processes) as (client, pids, stack, n):
            warm = Profile("warm-up", min(args.users, args.warm_up), args.warm_up)
            asyncio.run(run_profile(client, texts, warm))
            runs = [summary(measure(client, texts, p, pids)) for p in profiles(args)]
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    data = {**head, "stack": stack, "rasa_processes": n, "kb_share": args.kb_share,
            "load_average_before": load_before, "result": {"runs": runs}}
    publish(args.name, data, markdown(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
