"""Start the app: one QApplication with the app's names, sharp on high-DPI screens, light or dark as
the system is, then the main window on the shipped model (or the one named on the command line).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ORGANISATION = "review-sentiment"
APPLICATION = "Review Sentiment"
DESKTOP_FILE = "review-sentiment"
# How a person started it: from a checkout, or the command the wheel and the frozen app install
# (where this package is review_sentiment_desktop, see packaging/wheel_hook.py).
COMMAND = "python -m desktop" if __package__ == "desktop" else "review-sentiment"


def display_problem(environ: dict | None = None, platform: str | None = None) -> str | None:
    """Why no window can open here, or None. Checked first: Qt would abort the process instead."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None  # Windows and macOS always have their own window system
    has_x, has_wayland = bool(environ.get("DISPLAY")), bool(environ.get("WAYLAND_DISPLAY"))
    requested = [p.split(":")[0].strip().lower() for p in environ.get("QT_QPA_PLATFORM", "").split(";") if p.strip()]

    def can_open(name: str) -> bool:
        if name == "xcb":
            return has_x
        if name.startswith("wayland"):
            return has_wayland
        return True  # headless (offscreen, vnc, ...) or another plugin: let Qt try

    usable = any(can_open(name) for name in requested) if requested else has_x or has_wayland
    if usable:
        return None
    return ("cannot open a window: no display (DISPLAY and WAYLAND_DISPLAY are not set); run it on a "
            f"desktop, or use `{COMMAND} classify FILE` without a window")


def window_icon_file() -> Path | None:
    """The app icon: inside a frozen app (build.spec puts it in icons/), beside this module when
    installed from the wheel (packaging/wheel_hook.py puts it there), or in the source tree."""
    if getattr(sys, "frozen", False):
        bases = [Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "icons"]
    else:
        here = Path(__file__).resolve().parent
        bases = [here / "icons", here.parent / "packaging" / "icons"]
    candidates = [base / f"{DESKTOP_FILE}-256.png" for base in bases]
    return next((candidate for candidate in candidates if candidate.is_file()), None)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=COMMAND,
        description="Open the review-sentiment app. Subcommands: `classify` (no window), `--self-test`.",
    )
    parser.add_argument("review", nargs="?", type=Path, help="a .txt file to classify when the window opens")
    parser.add_argument("--model", type=Path, help="a model bundle (folder or model.onnx) instead of models/")
    return parser.parse_args(argv)


def create_application():
    """The QApplication, created once with the app's names (QSettings files are named after them)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        # Fractional scale factors (125%, 150%) render at their true size instead of rounding.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication([sys.argv[0] if sys.argv else DESKTOP_FILE])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setDesktopFileName(DESKTOP_FILE)
    icon = window_icon_file()
    if icon is not None:
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon)))
    # Light or dark: Qt takes the palette from the platform theme and follows its changes; the
    # widgets re-colour themselves on PaletteChange. Nothing here forces either scheme.
    return app


def main(argv: list[str] | None = None, settings=None) -> int:
    """Open the main window and run until it closes. `settings`: a QSettings to use (tests)."""
    try:
        args = parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as stop:  # --help, or a usage error already explained by argparse
        return int(stop.code or 0)
    problem = display_problem()
    if problem:
        print(f"review-sentiment: {problem}", file=sys.stderr)
        return 1
    app = create_application()
    from desktop.ui.main_window import MainWindow

    window = MainWindow(settings, model_path=args.model)
    window.show()
    if args.review:
        window.review_view.open_file(args.review)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
