"""Load on the studio (issue 15): N concurrent text2midi requests to `symgen serve`.

Starts `symgen serve` on a free port in its own process, sends N requests at once from N
threads (prompts and seeds differ), polls each job to the end and downloads its MIDI. Checks
that every request completes, that each file is exactly what `symgen text2midi` writes for the
same prompt, bars and seed on the command line (so no request interfered with another's
output), and samples the server's resident memory every 0.2 s: peak, and after the first and
the last job (bounded: it must not grow with the number of requests served).

    python benchmarks/bench_serve.py [--requests 20] [--bars 4] [--workers 1] [--record]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import report  # noqa: E402

PROMPTS = ("jazz in C minor", "a folk tune in D major", "a rock song in E minor with drums",
           "a slow waltz for strings", "pop ballad in A major with piano")  # fmt: skip


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--bars", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "symbolic.cli", "serve", "--port", str(port),
         "--workers", str(args.workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    samples: list[tuple[float, float]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set() and server.poll() is None:
            samples.append((time.perf_counter(), rss_mb(server.pid)))
            time.sleep(0.2)

    work = tempfile.TemporaryDirectory(prefix="symgen-bench-serve-")
    out = Path(work.name)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                httpx.get(base + "/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        threading.Thread(target=sample, daemon=True).start()
        cases = [(PROMPTS[i % len(PROMPTS)], i) for i in range(args.requests)]
        finished: dict[int, float] = {}
        start = time.perf_counter()

        def one(case: tuple[str, int]) -> tuple[str, bytes | None, float]:
            prompt, seed = case
            with httpx.Client(base_url=base, timeout=60) as client:
                form = {"prompt": prompt, "bars": args.bars, "seed": seed}
                job = client.post("/api/text2midi", data=form).json()
                while job.get("state") in ("queued", "running"):
                    time.sleep(0.3)
                    job = client.get(f"/api/jobs/{job['id']}").json()
                finished[seed] = time.perf_counter()
                if job.get("state") != "done":
                    return job.get("message") or job.get("error", "?"), None, 0.0
                data = client.get(job["files"]["midi"]).content
                return "done", data, time.perf_counter() - start

        with ThreadPoolExecutor(len(cases)) as pool:
            results = list(pool.map(one, cases))
        wall = time.perf_counter() - start
        stop.set()
        # the same requests on the command line, one by one: what each file must be
        mismatched, failed = 0, 0
        for (prompt, seed), (_, data, _) in zip(cases, results, strict=True):
            if data is None:
                failed += 1
                continue
            ref = out / f"cli-{seed}.mid"
            subprocess.run(
                [sys.executable, "-m", "symbolic.cli", "text2midi", prompt, "--bars",
                 str(args.bars), "--seed", str(seed), "-o", str(ref)],
                check=True, capture_output=True,
            )  # fmt: skip
            mismatched += ref.read_bytes() != data
    finally:
        stop.set()
        server.terminate()
        server.wait(10)
        work.cleanup()
    order = sorted(finished.values())
    at = {t: m for t, m in samples}
    times = sorted(at)

    def rss_at(moment: float) -> float:
        before = [t for t in times if t <= moment]
        return at[before[-1]] if before else 0.0

    peak = max((m for _, m in samples), default=0.0)
    first, last = rss_at(order[0]) if order else 0, rss_at(order[-1]) if order else 0
    table = [
        ["requests", "completed", "identical to the CLI", "failed", "wall s", "s per request",
         "RSS after first MB", "RSS after last MB", "peak RSS MB"],
        [str(args.requests), str(args.requests - failed), str(args.requests - failed - mismatched),
         str(failed), f"{wall:.1f}", f"{wall / args.requests:.2f}", f"{first:.0f}", f"{last:.0f}",
         f"{peak:.0f}"],
    ]  # fmt: skip
    note = (
        f"{args.requests} text2midi requests ({args.bars} bars, prompts {len(PROMPTS)} kinds, "
        f"seeds 0..{args.requests - 1}) sent at once from {args.requests} threads to `symgen "
        f"serve --workers {args.workers}`; each job's MIDI compared byte for byte with `symgen "
        "text2midi` run alone with the same prompt, bars and seed. Memory: the server process's "
        "VmRSS sampled every 0.2 s."
    )
    ok = failed == 0 and mismatched == 0
    report("The studio under load (issue 15)", table, note, args.record and ok)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
