"""Cold start of the built app: seconds from launching the binary to its window being shown.

Runs the frozen app (dist/review-sentiment/review-sentiment by default) on a private Xvfb
display several times and reports the median. "Shown" is the X server's MapNotify for the
app's top-level window, watched with `xev`, so the app needs no hook and the timing includes
everything a person waits for: unpacking nothing (one-folder build), starting Python, importing
Qt, numpy and onnxruntime, loading and checking the model, building and mapping the window.

    apt-get install -y xvfb x11-utils        # once
    uv run python benchmarks/cold_start.py --runs 7
    uv run python benchmarks/cold_start.py --runs 7 --drop-caches   # as root: empty page cache first

Each start gets a fresh settings file (the app's $REVIEW_SENTIMENT_SETTINGS), so no saved window
geometry or model choice changes what is measured, and a person's real settings are untouched.
"""

from __future__ import annotations

import argparse
import os
import selectors
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _shared import machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_APP = ROOT / "dist" / "review-sentiment" / "review-sentiment"
DISPLAY = ":97"
TIMEOUT = 30.0


def start_xvfb(display: str) -> subprocess.Popen:
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while subprocess.run(["xdpyinfo", "-display", display], capture_output=True).returncode != 0:
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"cold_start: Xvfb did not start on {display} (is another server using it?)")
        time.sleep(0.05)
    return server


def watch_maps(display: str) -> subprocess.Popen:
    """xev on the root window: one line per event on its children, MapNotify when one is shown."""
    watcher = subprocess.Popen(["stdbuf", "-oL", "xev", "-display", display, "-root", "-event", "substructure"],
                               stdout=subprocess.PIPE)
    time.sleep(0.5)  # let xev select its events before anything is launched
    return watcher


def read_events(watcher: subprocess.Popen, timeout: float) -> str:
    """What xev printed within timeout seconds ("" if nothing). Unbuffered, so select() stays true to the pipe."""
    ready = selectors.DefaultSelector()
    ready.register(watcher.stdout, selectors.EVENT_READ)
    try:
        return os.read(watcher.stdout.fileno(), 65536).decode() if ready.select(timeout=timeout) else ""
    finally:
        ready.close()


def drop_page_cache() -> None:
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def one_start(app: Path, display: str, watcher: subprocess.Popen, cold: bool) -> float:
    """Seconds from exec to the first MapNotify of a top-level window."""
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb",
                   REVIEW_SENTIMENT_SETTINGS=str(Path(home) / "settings.ini"))
        env.pop("WAYLAND_DISPLAY", None)
        if cold:
            drop_page_cache()
        started = time.perf_counter()
        process = subprocess.Popen([str(app)], env=env, cwd=home,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            while True:
                if "MapNotify" in read_events(watcher, timeout=0.1):
                    return time.perf_counter() - started
                if process.poll() is not None:
                    raise SystemExit(f"cold_start: the app exited with {process.returncode} before showing "
                                     f"a window:\n{process.stderr.read()}")
                if time.perf_counter() - started > TIMEOUT:
                    raise SystemExit(f"cold_start: no window within {TIMEOUT:.0f} s")
        finally:
            process.terminate()
            process.wait(timeout=10)
            while read_events(watcher, timeout=0.3):
                pass  # the unmap and destroy events of the window just closed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, default=DEFAULT_APP, help="the built binary (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--drop-caches", action="store_true",
                        help="empty the page cache before each start (root only): a first start after boot")
    parser.add_argument("--display", default=DISPLAY, help="the Xvfb display to use (default %(default)s)")
    args = parser.parse_args(argv)
    if not args.app.is_file():
        raise SystemExit(f"cold_start: {args.app} does not exist; build it with scripts/build_app.sh")
    for tool in ("Xvfb", "xev", "xdpyinfo", "stdbuf"):
        if shutil.which(tool) is None:
            raise SystemExit(f"cold_start: {tool} is missing; apt-get install -y xvfb x11-utils")

    server = start_xvfb(args.display)
    watcher = watch_maps(args.display)
    try:
        times = [one_start(args.app, args.display, watcher, args.drop_caches) for _ in range(args.runs)]
    finally:
        watcher.terminate()
        server.terminate()
    kind = "page cache dropped before each start" if args.drop_caches else "page cache warm"
    print(f"app: {args.app}")
    print(f"machine: {machine()}")
    print(f"starts ({kind}): " + ", ".join(f"{t:.3f}" for t in times) + " s")
    print(f"cold start to window shown: median {statistics.median(times):.3f} s "
          f"(min {min(times):.3f}, max {max(times):.3f}, {len(times)} starts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
