"""Where the Rasa server's time goes per message under bench.load_rest's closed loop.

Starts a private stack (bench/private_stack.py), sends bench.load_rest's message mix from 20 users
with no think time, and samples the Rasa process with py-spy (a dev dependency of .venv;
sampling does not pause the process: `--nonblocking`). Each sampled stack is put in one bucket
(NLU component, policy, graph runner, action-server call, tracker/lock store, Sanic, ...) by the
first rule of BUCKETS it matches, and the buckets' shares are turned into milliseconds with the CPU
time the process spent per message (from /proc). py-spy samples a thread that is running or
waiting for a core alike, so on a busy machine the shares describe where the process is, not only
what it computes; the CPU time per message is the harder number.

A second private stack, with Rasa's log at DEBUG (a temporary file, deleted with the stack),
counts the calls Rasa makes to the action server per message, one message at a time, by intent of
the message.

Usage: .venv/bin/python -m bench.rasa_profile [--users 20] [--messages 200] [--repeat 3]
       [--rate 200] [--count 200] [--name rasa_profile]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.common import ROOT, BenchError, header, markdown_table, provenance_markdown, publish
from bench.load_rest import (
    Profile,
    measure,
    message_mix,
    run_profile,
    spread,
    summary,
    training_examples,
)
from bench.private_stack import own_backend
from bot.rasa_client import RasaClient

# (bucket, what a sampled stack contains to belong to it); the first matching rule wins, so
# the specific rules (one NLU component) come before the general ones (the graph runner).
Rule = str | tuple[str, ...] | Callable[[list[str]], bool]
BUCKETS: list[tuple[str, Rule]] = [
    ("event loop itself (uvloop: socket reads, waiting)",
     lambda frames: frames[-1].startswith("serve (sanic/server/runners.py")),
    ("NLU: TfidfSvmClassifier (ours)", "nlu/components/tfidf_svm_classifier.py"),
    ("NLU: DangerOverride (ours)", "nlu/components/danger_override.py"),
    ("NLU: LanguageDetector (ours)", "nlu/components/language_detector.py"),
    ("NLU: FoldingTokenizer (ours)", "rasa/nlu/tokenizers/"),
    ("NLU: RegexFeaturizer", "regex_featurizer.py"),
    ("NLU: CountVectorsFeaturizer x2", "count_vectors_featurizer.py"),
    ("NLU: RegexEntityExtractor", "regex_entity_extractor.py"),
    ("NLU: CRFEntityExtractor", "crf_entity_extractor.py"),
    ("NLU: EntitySynonymMapper", "entity_synonyms.py"),
    ("NLU: FallbackClassifier", "fallback_classifier.py"),
    ("NLU: RegexMessageHandler", "regex_message_handler.py"),
    ("policy: RulePolicy", "rule_policy.py"),
    ("policy: MemoizationPolicy", "memoization.py"),
    ("policy: ensemble and its inputs", ("rasa/core/policies/", "rasa/graph_components/")),
    ("graph runner (dask; rasa.engine)", ("dask/", "rasa/engine/")),
    ("action call: response check (jsonschema)", "jsonschema/"),
    ("action call: tracker to dict", ("current_state", "_action_call_format")),
    ("action call: JSON encoding + HTTP (aiohttp)", ("aiohttp/", "rasa/utils/endpoints.py")),
    ("action call: events from the response", "deserialise_events"),
    ("tracker store", "tracker_store.py"),
    ("lock store", "lock_store.py"),
    ("logging", ("logging/__init__.py", "structlog/")),
    ("forms and loops (Rasa's side)", ("rasa/core/actions/forms.py", "rasa/core/actions/loops.py")),
    ("tracker and domain handling", ("rasa/shared/core/trackers.py", "rasa/shared/core/events.py",
                                     "rasa/shared/core/domain.py")),
    ("message processor (other)", "rasa/core/processor.py"),
    ("Sanic: request, response, socket writes",
     ("sanic/", "rasa/core/channels/", "connection_task", "handle_request", "http1")),
]
ACTION_CALL_LOG = "Calling action endpoint to run action"


def bucket_of(frames: list[str]) -> str:
    joined = ";".join(frames)
    for name, rule in BUCKETS:
        if callable(rule):
            if rule(frames):
                return name
        elif any(part in joined for part in ((rule,) if isinstance(rule, str) else rule)):
            return name
    return "other"


def bucket_shares(raw: Path) -> tuple[int, dict[str, float]]:
    """(samples, share of each bucket) of a py-spy `--format raw` file (stack;stack;... count)."""
    counts: Counter[str] = Counter()
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            counts[bucket_of(stack.split(";"))] += int(count)
    total = sum(counts.values())
    return total, {name: n / total for name, n in counts.most_common()} if total else {}


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise BenchError("py-spy not found: .venv/bin/python -m pip install py-spy")
    return found


def profile_under_load(texts: Sequence[tuple[str, str]], args: argparse.Namespace,
                       raw: Path) -> list[dict[str, Any]]:
    """The closed-loop runs of bench.load_rest, with py-spy sampling the Rasa process."""
    with own_backend() as backend:
        s = backend.settings
        client = RasaClient(s.rasa_url, s.rasa_token)
        asyncio.run(run_profile(client, texts, Profile("warm-up", args.users, 20)))
        spy = subprocess.Popen(
            [py_spy(), "record", "--pid", str(backend.pids["rasa"]), "--rate", str(args.rate),
             "--format", "raw", "--nonblocking", "--output", str(raw), "--duration", "3600"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(2)  # py-spy attaches
            closed = Profile(f"closed loop, {args.users} users, no think time", args.users,
                             args.messages)
            runs = [summary(measure(client, texts, closed, backend.pids))
                    for _ in range(args.repeat)]
        finally:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
    return runs


def count_action_calls(texts: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Calls to the action server per message (each from a fresh conversation), by intent."""
    os.environ["LOG_LEVEL"] = "DEBUG"
    try:
        with own_backend() as backend:
            s = backend.settings
            log = s.db_path.parent / "rasa.log"
            client = RasaClient(s.rasa_url, s.rasa_token)

            async def run() -> list[tuple[str, int]]:
                out = []
                seen = log.read_text(errors="replace").count(ACTION_CALL_LOG)
                for n, (intent, text) in enumerate(texts):
                    await client.send(f"api:count-{n}", text, {"channel": "api"})
                    now = log.read_text(errors="replace").count(ACTION_CALL_LOG)
                    out.append((intent, now - seen))
                    seen = now
                return out

            calls = asyncio.run(run())
    finally:
        del os.environ["LOG_LEVEL"]
    by_intent: dict[str, list[int]] = {}
    for intent, n in calls:
        by_intent.setdefault(intent, []).append(n)
    return {"messages": len(calls), "calls": sum(n for _, n in calls),
            "by_intent": {i: {"messages": len(v), "calls_per_message": round(sum(v) / len(v), 2)}
                          for i, v in sorted(by_intent.items())}}


def markdown(data: dict[str, Any]) -> str:
    runs = data["runs"]
    cpu = data["rasa_cpu_ms_per_message"]
    shares = data["shares"]
    rows = [[name, f"{100 * share:.1f}", f"{share * cpu:.2f}"] for name, share in shares.items()]
    calls = data.get("action_calls")
    out = (
        "# Where the Rasa server's time goes under 20 users (py-spy)\n\n"
        + provenance_markdown(data)
        + f"- load average before the runs: {data['load_average_before']}\n"
        + f"- {data['samples']} py-spy samples of the Rasa process at {data['rate']} Hz over "
        f"{len(runs)} closed-loop runs of {runs[0]['messages']} messages\n\n"
        + markdown_table(["runs", "p50 ms", "p95 ms", "messages/s", "Rasa CPU ms/message"],
                         [[len(runs), spread(runs, "p50_ms"), spread(runs, "p95_ms"),
                           spread(runs, "messages_per_s"),
                           " / ".join(str(r["cpu_ms_per_message"]["rasa"]) for r in runs)]])
        + "\n## Share of the Rasa process's samples\n\n"
        "ms per message = share × the Rasa process's CPU time per message (median of the runs, "
        f"{cpu} ms); a share includes time spent waiting for a core.\n\n"
        + markdown_table(["bucket", "% of samples", "≈ ms per message"], rows)
    )
    if calls:
        out += (
            f"\n## Calls to the action server per message\n\n{calls['calls']} calls for "
            f"{calls['messages']} messages, one at a time, each from a fresh conversation "
            f"({calls['calls'] / calls['messages']:.2f} per message).\n\n"
            + markdown_table(["intent", "messages", "calls per message"],
                             [[i, r["messages"], f'{r["calls_per_message"]:.2f}']
                              for i, r in calls["by_intent"].items()])
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rasa_profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--messages", type=int, default=200, help="messages per closed-loop run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kb-share", type=float, default=0.25)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--count", type=int, default=200,
                        help="messages sent one at a time to count action calls (0: skip)")
    parser.add_argument("--name", default="rasa_profile", help="result file name")
    args = parser.parse_args(argv)
    if not args.name.startswith("rasa_profile"):
        parser.error("--name must start with rasa_profile")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    texts = message_mix(training_examples(), max(args.messages, args.count), args.kb_share)
    head = header(ROOT / "config.yml")
    load_before = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        with tempfile.TemporaryDirectory(prefix="rasa-profile-") as tmp:
            raw = Path(tmp) / "rasa.raw"
            runs = profile_under_load(texts, args, raw)
            samples, shares = bucket_shares(raw)
        calls = count_action_calls(texts[: args.count]) if args.count else None
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    cpu_values = sorted(r["cpu_ms_per_message"]["rasa"] for r in runs)
    data = {**head, "load_average_before": load_before, "rate": args.rate, "samples": samples,
            "runs": runs, "rasa_cpu_ms_per_message": cpu_values[len(cpu_values) // 2],
            "shares": shares, "action_calls": calls}
    publish(args.name, data, markdown(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
