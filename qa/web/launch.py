"""`streamlit run app.py` on a free local port, started and stopped: for the browser tests, the page
benchmark (eval/bench_page.py) and the screenshots (docs/make_screenshots.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(env: dict, port: int, app: Path = APP, output: IO | int = subprocess.DEVNULL) -> subprocess.Popen:
    """The server process of ``app`` on 127.0.0.1:``port``, headless, no file watcher, no usage stats."""
    return subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=20)


class NotServing(RuntimeError):
    """The server exited, or did not answer its health check in time."""


@contextmanager
def serving(env: dict, timeout_s: float = 120, output: IO | int = subprocess.DEVNULL) -> Iterator[str]:
    """app.py served with ``env``; yields its URL once its health check answers, stops it on the
    way out. NotServing when it does not come up within ``timeout_s`` or exits first."""
    port = free_port()
    proc = start(env, port, output=output)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout_s
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise NotServing(f"streamlit did not come up within {timeout_s:.0f} s (exit status {proc.poll()})")
            time.sleep(0.3)
        yield url
    finally:
        stop(proc)
