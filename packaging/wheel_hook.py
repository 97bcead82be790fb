"""Hatch build hook: what the wheel carries besides `review_sentiment/` (docs/building.md, "The wheel").

- `models/CURRENT` and the one bundle folder it names go in as `review_sentiment/models/`, where
  `review_sentiment._bundle.default_models_dir()` looks first (the frozen app ships the same two).
- The desktop app goes in as `review_sentiment_desktop/`, not as a top-level `desktop` that would
  collide with any other package of that name: a copy of `desktop/` whose own imports
  (`from desktop.ui import theme`) are rewritten to the new name, the way pip's `vendoring` tool
  renames the packages it vendors. The checkout keeps `desktop/` and `python -m desktop`.
- The window icon goes in as `review_sentiment_desktop/icons/`, where `window_icon_file()` looks.
- `trainer/` is not in the wheel at all: it needs TensorFlow and works on a checkout.

An editable install (`uv sync`) reads the checkout directly, so it gets none of these copies,
only a two-line `review_sentiment_desktop` that hands the `review-sentiment` command to `desktop`.
"""

from __future__ import annotations

import ast
import re
import shutil
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

APP_SOURCE = "desktop"
APP_NAME_IN_WHEEL = "review_sentiment_desktop"
IMPORT = re.compile(rf"^(\s*)(from|import) {APP_SOURCE}(?=[.\s])", re.MULTILINE)

EDITABLE_FORWARDER = {
    "__init__.py": '"""Editable installs only: the app is the checkout\'s `desktop` package."""\n',
    "__main__.py": "from desktop.__main__ import main  # noqa: F401  (the review-sentiment command)\n",
}


class WheelHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        self._staging = Path(tempfile.mkdtemp(prefix="review-sentiment-wheel-"))
        target = self._staging / APP_NAME_IN_WHEEL
        if version == "editable":
            target.mkdir()
            for name, text in EDITABLE_FORWARDER.items():
                (target / name).write_text(text, encoding="utf-8")
            build_data["force_include_editable"][str(target)] = APP_NAME_IN_WHEEL
            return
        root = Path(self.root)
        copy_app_renamed(root / APP_SOURCE, target)
        build_data["force_include"][str(target)] = APP_NAME_IN_WHEEL
        icon = root / "packaging" / "icons" / "review-sentiment-256.png"  # the window's icon
        build_data["force_include"][str(icon)] = f"{APP_NAME_IN_WHEEL}/icons/{icon.name}"
        build_data["force_include"].update(shipped_model(root / "models"))

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)


def shipped_model(models: Path) -> dict[str, str]:
    """models/CURRENT and the bundle folder it names, mapped to their places in the wheel."""
    pointer = models / "CURRENT"
    name = pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else ""
    if not name or not (models / name / "model.onnx").is_file():
        raise RuntimeError(f"{pointer} must name a bundle folder of {models} holding model.onnx "
                           f"(it names {name!r}); train one with `uv run --group train python -m trainer`")
    return {str(pointer): "review_sentiment/models/CURRENT", str(models / name): f"review_sentiment/models/{name}"}


def copy_app_renamed(source: Path, target: Path) -> None:
    """Copy the app's Python files, its imports of itself renamed; refuse what cannot be renamed."""
    for path in sorted(source.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        text = IMPORT.sub(rf"\1\2 {APP_NAME_IN_WHEEL}", path.read_text(encoding="utf-8"))
        _check_renamed(path, text)
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text, encoding="utf-8")


def _check_renamed(path: Path, text: str) -> None:
    for node in ast.walk(ast.parse(text, filename=str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [(alias.name, alias.asname) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [(node.module or "", "from")]
        for name, alias in names:
            if name.split(".")[0] == APP_SOURCE:
                raise RuntimeError(f"{path}:{node.lineno}: an import of `{name}` the wheel build cannot "
                                   f"rename to {APP_NAME_IN_WHEEL}; write it as `from {APP_SOURCE}... import ...`")
            if name.startswith(APP_NAME_IN_WHEEL + ".") and alias is None:
                raise RuntimeError(f"{path}:{node.lineno}: `import {name}` binds a name the renamed copy "
                                   f"lacks; write it as `from ... import ...` or `import ... as ...`")
