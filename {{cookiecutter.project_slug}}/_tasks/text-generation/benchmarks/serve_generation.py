"""Time to first token and tokens/s of the served model against in-process ``generate``, on the same run.

Serves the run (``serve``, real HTTP on a loopback port) and streams chat completions from it with
the official ``openai`` client; loads the same model in this process and streams the same prompts
with ``model.generate`` and transformers' ``TextIteratorStreamer``: the ceiling without HTTP, JSON,
limits, the watcher or the prediction log. Each sends every prompt twice, in the order service,
in-process, in-process, service, so that a load that rises or falls on a shared machine weighs on both
alike; tokens/s is over the time spent in each one's requests. Prompts are the test split's rows
rendered into chat messages by the prompts spec (``prompting.render_messages``, as training and
evaluation render them); decoding is greedy, so both sides generate the same tokens (checked). It
prints the median time to first token and the tokens/s of each, and the service's share of the
ceiling (target: tokens/s at least 0.5 of in-process).

    python benchmarks/serve_generation.py [--run ID] [--prompts 20] [--max-tokens 48] [--check]

Train a run first (``train``). Run it on an otherwise idle machine: the client, the server and
the in-process model share its cores. ``--check`` exits 1 when the target is missed. The BentoML
stores and the prediction log live in a temporary directory.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
HOST = "127.0.0.1"
TARGET = 0.5
#: seconds between rounds, for the watcher to check the replies of the last one
SETTLE_S = 1.0


@dataclass
class Result:
    name: str
    ttft: list[float] = field(default_factory=list)
    tokens: int = 0
    seconds: float = 0.0  # wall time spent in requests, each from its start to its last token
    texts: list[str] = field(default_factory=list)

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0

    def row(self) -> str:
        ttft = statistics.median(self.ttft) * 1000
        return f"{self.name:<34} {ttft:>10.1f} {self.tokens_per_s:>10.1f} {self.tokens:>8}"


def prompts(count: int) -> tuple[list[list[dict]], str]:
    """(chat messages of ``count`` test rows, the served model's name)."""
    sys.path.insert(0, str(SRC))
    from {{ cookiecutter.package_name }}.specs.project import load_project
    from {{ cookiecutter.package_name }}.tasks.generation.prompting import render_messages

    project = load_project(ROOT)
    rows = [json.loads(line) for line in project.data_file("test").read_text(encoding="utf-8").splitlines() if line]
    return [render_messages(project.specs["prompts"], row) for row in rows[:count]], project.model.name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_ready(port: int, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"serve exited with {process.returncode}")
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return
        time.sleep(0.2)
    raise SystemExit("the service did not become ready")


@contextlib.contextmanager
def served(model: str, args: argparse.Namespace, workdir: Path) -> Iterator[Callable[[list[dict], Result], None]]:
    """``serve`` running the run, and a function that streams one chat from it with the openai client."""
    from openai import OpenAI

    port = free_port()
    env = {**os.environ, "BENTOML_HOME": str(workdir / "bentoml"), "PYTHONPATH": str(SRC)}
    command = [sys.executable, "-m", "{{ cookiecutter.package_name }}", "--project", str(ROOT), "serve",
               "--port", str(port), "--logs", str(workdir / "predictions")]  # fmt: skip
    if args.run:
        command += ["--run", args.run]
    with (workdir / "serve.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_ready(port, process)
            client = OpenAI(base_url=f"http://{HOST}:{port}/v1", api_key="not-checked", max_retries=0)

            def one(messages: list[dict], result: Result) -> None:
                start = time.perf_counter()
                stream = client.chat.completions.create(
                    model=model, messages=messages, max_tokens=args.max_tokens, temperature=0, stream=True,
                    stream_options={"include_usage": True},
                )  # fmt: skip
                pieces, first = [], None
                for chunk in stream:
                    if chunk.choices and chunk.choices[0].delta.content:
                        first = first or time.perf_counter() - start
                        pieces.append(chunk.choices[0].delta.content)
                    if chunk.usage:
                        result.tokens += chunk.usage.completion_tokens
                result.ttft.append(first if first is not None else time.perf_counter() - start)
                result.seconds += time.perf_counter() - start
                result.texts.append("".join(pieces))

            yield one
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(60)


def in_process(run_dir: Path, args: argparse.Namespace) -> Callable[[list[dict], Result], None]:
    """A function that streams one chat with ``model.generate`` and ``TextIteratorStreamer`` in this process."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, TextIteratorStreamer

    tokenizer = AutoTokenizer.from_pretrained(run_dir / "model")
    model = AutoModelForCausalLM.from_pretrained(run_dir / "model", dtype=torch.float32).eval()

    def one(messages: list[dict], result: Result) -> None:
        start = time.perf_counter()
        prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ids = torch.tensor([tokenizer(prompt, add_special_tokens=False)["input_ids"]])
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        out: dict = {}

        def work() -> None:
            with torch.inference_mode():
                out["ids"] = model.generate(
                    input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=args.max_tokens,
                    do_sample=False, streamer=streamer, pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
                )  # fmt: skip

        worker = threading.Thread(target=work)
        worker.start()
        pieces, first = [], None
        for text in streamer:
            if text:
                first = first or time.perf_counter() - start
                pieces.append(text)
        worker.join()
        result.ttft.append(first if first is not None else time.perf_counter() - start)
        result.seconds += time.perf_counter() - start
        result.tokens += out["ids"].shape[1] - ids.shape[1]
        result.texts.append("".join(pieces))

    return one


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="run to serve (default: the latest)")
    parser.add_argument("--prompts", type=int, default=20, help="test rows to send (default: %(default)s)")
    parser.add_argument("--max-tokens", type=int, default=48, help="most tokens per answer (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()
    torch_threads = os.environ.get("OMP_NUM_THREADS")
    chats, model = prompts(args.prompts)
    from {{ cookiecutter.package_name }}.training.runs import resolve_run

    run_dir = resolve_run(ROOT, args.run)
    service, ceiling = Result("service (HTTP, openai client)"), Result("in-process generate (no HTTP)")
    with tempfile.TemporaryDirectory(prefix="serve-generation-") as tmp, served(model, args, Path(tmp)) as remote:
        local = in_process(run_dir, args)
        remote(chats[0], Result("warm-up"))
        local(chats[0], Result("warm-up"))
        for send, result in ((remote, service), (local, ceiling), (local, ceiling), (remote, service)):
            for messages in chats:
                send(messages, result)
            time.sleep(SETTLE_S)  # the service's watcher finishes its checks before the other side runs
    same = sum(a == b for a, b in zip(service.texts, ceiling.texts, strict=True))
    print(f"run {run_dir.name}: {len(chats)} chats twice each, greedy, at most {args.max_tokens} tokens each"
          f" (OMP_NUM_THREADS={torch_threads or 'unset'})")  # fmt: skip
    print(f"{'':<34} {'TTFT ms':>10} {'tokens/s':>10} {'tokens':>8}")
    for result in (service, ceiling):
        print(result.row())
    ratio = service.tokens_per_s / ceiling.tokens_per_s
    ttft_ratio = statistics.median(ceiling.ttft) / statistics.median(service.ttft)
    print(f"same text from both: {same}/{len(service.texts)}")
    print(f"service / in-process: tokens/s {ratio:.2f} (target >= {TARGET}), time to first token {ttft_ratio:.2f}")
    if same != len(service.texts):
        print("the service and generate disagree: the benchmark compares different work")
        return 1
    return 1 if args.check and ratio < TARGET else 0


if __name__ == "__main__":
    raise SystemExit(main())
