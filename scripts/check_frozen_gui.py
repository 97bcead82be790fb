"""Check what a person would see from the built app, on a private virtual X display (Xvfb).

    apt-get install -y xvfb xdotool imagemagick     # once (imagemagick for the screenshots)
    uv run python scripts/check_frozen_gui.py [dist/review-sentiment] [--screenshots build/gui-checks]

On a private Xvfb display, with fresh settings each time:
  window   the app opens its window and closes on Ctrl+Q with exit status 0;
  corrupt  a truncated model.onnx inside (a copy of) the app: the window opens and a dialog
           titled "No model loaded" says what is wrong, no traceback;
  missing  the same with model.onnx deleted;
  twice    two copies started at once on one settings file: both windows open, both close
           with status 0, and the settings file is still whole.
Screenshots of each land in the --screenshots folder; look at them. Exit 1 if a check fails.
"""

from __future__ import annotations

import argparse
import configparser
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DISPLAY = ""  # set once Xvfb has started
TITLE = "Review Sentiment"
DIALOG_TITLE = "No model loaded"


def start_xvfb() -> subprocess.Popen:
    """A private X server on the first free display number (Xvfb picks it and tells us)."""
    global DISPLAY
    read_end, write_end = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24",
                               "-nolisten", "tcp"], pass_fds=(write_end,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as numbers:
        number = numbers.readline().strip()
    if not number:
        raise SystemExit("check_frozen_gui: Xvfb did not start")
    DISPLAY = f":{number}"
    return server


def visible_windows(name: str) -> list[str]:
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", name],
                           capture_output=True, text=True, env=_x_env())
    return found.stdout.split()


def wait_for_windows(name: str, count: int, timeout: float = 30.0, *processes: subprocess.Popen) -> list[str]:
    """The visible windows whose title matches, once there are `count` of them (or the time is up,
    or every process given has exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        windows = visible_windows(name)
        if len(windows) >= count:
            time.sleep(0.5)  # let it paint before anyone looks
            return windows
        if processes and all(p.poll() is not None for p in processes):
            break
        time.sleep(0.1)
    return visible_windows(name)


def screenshot(path: Path) -> None:
    if shutil.which("import"):
        subprocess.run(["import", "-display", DISPLAY, "-window", "root", str(path)], check=False)


def press_quit(window: str) -> None:
    subprocess.run(["xdotool", "windowfocus", "--sync", window, "key", "ctrl+q"], env=_x_env(), check=False)


def _x_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, DISPLAY=DISPLAY, QT_QPA_PLATFORM="xcb", **extra)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def launch(binary: Path, settings: Path) -> subprocess.Popen:
    return subprocess.Popen([str(binary)], env=_x_env(REVIEW_SENTIMENT_SETTINGS=str(settings)),
                            cwd=settings.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def launch_and_wait(binary: Path, settings: Path, title: str) -> tuple[subprocess.Popen, list[str]]:
    """Start the app and wait for a window whose title matches. Once in a few dozen starts on a
    busy machine, Qt's xcb plugin fails to connect to the fresh Xvfb ("Could not load the Qt
    platform plugin"); that is the virtual display, not the app, so such a start is retried once."""
    for attempt in (1, 2):
        process = launch(binary, settings)
        windows = wait_for_windows(title, 1, 30.0, process)
        if windows or process.poll() is None or attempt == 2:
            return process, windows
        _, err = finish(process)
        if "Could not load the Qt platform plugin" not in err:
            return process, windows
        print(f"note: the X connection failed, starting again ({err.strip().splitlines()[0][:200]})")
    raise AssertionError("unreachable")


def finish(process: subprocess.Popen, timeout: float = 10.0) -> tuple[int | None, str]:
    """(exit status or None if it had to be killed, stderr)."""
    try:
        _, err = process.communicate(timeout=timeout)
        return process.returncode, err
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        return None, err


def check_window(app: Path, work: Path, shots: Path) -> list[str]:
    process, windows = launch_and_wait(app / "review-sentiment", work / "window.ini", f"^{TITLE}$")
    screenshot(shots / "window.png")
    for window in windows:
        press_quit(window)
    status, err = finish(process)
    problems = [] if windows else ["no window opened"]
    if status != 0:
        problems.append(f"exit status {status} after Ctrl+Q: {err.strip()[-300:]}")
    return problems


def check_bad_model(app: Path, work: Path, shots: Path, damage: str) -> list[str]:
    copy = work / f"app-{damage}"
    shutil.copytree(app, copy, symlinks=True)
    models = copy / "_internal" / "models"
    model = models / (models / "CURRENT").read_text(encoding="utf-8").strip() / "model.onnx"
    if damage == "corrupt":
        model.write_bytes(model.read_bytes()[:20_000])
    else:
        model.unlink()
    process, dialogs = launch_and_wait(copy / "review-sentiment", work / f"{damage}.ini", f"^{DIALOG_TITLE}")
    screenshot(shots / f"{damage}-model.png")
    exited = process.poll()
    process.kill()
    _, err = finish(process)
    problems = [] if dialogs else [f"no '{DIALOG_TITLE}' dialog appeared" + (
        f" (the app had exited with status {exited}: {err.strip()[-300:]})" if exited is not None else "")]
    if "Traceback" in err:
        problems.append(f"a traceback on stderr: {err.strip()[-300:]}")
    shutil.rmtree(copy)
    return problems


def check_twice(app: Path, work: Path, shots: Path) -> list[str]:
    settings = work / "shared.ini"
    first, second = launch(app / "review-sentiment", settings), launch(app / "review-sentiment", settings)
    windows = wait_for_windows(f"^{TITLE}$", 2, 30.0, first, second)
    screenshot(shots / "twice.png")
    for window in windows:
        press_quit(window)
        time.sleep(0.5)
    statuses = [finish(first)[0], finish(second)[0]]
    problems = [] if len(windows) == 2 else [f"{len(windows)} windows opened, not 2"]
    if statuses != [0, 0]:
        problems.append(f"exit statuses {statuses}, not [0, 0]")
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(settings, encoding="utf-8")
        if "window" not in parser.sections():
            problems.append(f"{settings} lost the saved window state: sections {parser.sections()}")
    except configparser.Error as error:
        problems.append(f"{settings} is damaged: {error}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", type=Path, nargs="?", default=ROOT / "dist" / "review-sentiment")
    parser.add_argument("--screenshots", type=Path, default=ROOT / "build" / "gui-checks")
    args = parser.parse_args(argv)
    args.app = args.app.resolve()  # the app is started from temporary folders
    if not (args.app / "review-sentiment").is_file():
        raise SystemExit(f"check_frozen_gui: no built app in {args.app}; run scripts/build_app.sh")
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            raise SystemExit(f"check_frozen_gui: {tool} is missing; apt-get install -y xvfb xdotool")
    args.screenshots.mkdir(parents=True, exist_ok=True)

    server = start_xvfb()
    failed = 0
    try:
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            checks = {
                "window": lambda: check_window(args.app, work, args.screenshots),
                "corrupt": lambda: check_bad_model(args.app, work, args.screenshots, "corrupt"),
                "missing": lambda: check_bad_model(args.app, work, args.screenshots, "missing"),
                "twice": lambda: check_twice(args.app, work, args.screenshots),
            }
            for name, check in checks.items():
                problems = check()
                failed += bool(problems)
                print(f"{name:8} {'FAILED: ' + '; '.join(problems) if problems else 'ok'}")
    finally:
        server.terminate()
    print(f"screenshots in {args.screenshots}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
