"""Give an existing bundle the exporter's fast look-ups, its probabilities bit for bit unchanged.

    uv run --group train python scripts/rewrite_lookups.py models/BUNDLE

Bundles exported before `trainer/export.py` read one-column tables with `GatherElements` hold
onnxruntime's slow `Gather` (about 40 ns a position: 80% of trigram-nb's network time). This
rewrites their `model.onnx` with the same `_one_column_lookups_as_gather_elements` the exporter
now applies, checks that both outputs are the same bits as before on every IMDB review and Rotten
Tomatoes snippet, notes the rewrite in the model card's `export` block, and replaces the files
atomically (each written beside its old self, then renamed). Nothing is changed if a check fails.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(folder: Path) -> int:
    import onnx
    import onnxruntime as ort

    from review_sentiment import bundle_format as fmt
    from review_sentiment._bundle import load_bundle
    from review_sentiment.encoding import encode_batch
    from trainer.data import load_movie_reviews
    from trainer.export import _one_column_lookups_as_gather_elements

    bundle = load_bundle(folder)
    proto = onnx.load(str(bundle.path))
    rewritten = _one_column_lookups_as_gather_elements(proto)
    if not rewritten:
        print(f"{bundle.path}: no one-column look-up to rewrite; nothing changed")
        return 0
    onnx.checker.check_model(proto)
    before = ort.InferenceSession(str(bundle.path), providers=["CPUExecutionProvider"])
    after = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in before.get_outputs()]
    texts = load_movie_reviews().texts + load_movie_reviews(source="rotten_tomatoes").texts
    for start in range(0, len(texts), 512):
        ids = encode_batch(texts[start : start + 512], bundle.word_index, bundle.settings)
        for old, new in zip(before.run(names, {fmt.INPUT_NAME: ids}), after.run(names, {fmt.INPUT_NAME: ids})):
            if old.dtype != new.dtype or not np.array_equal(old, new):
                raise SystemExit(f"the rewritten model differs on reviews {start}-{start + len(ids)}; nothing changed")
    card_file = folder / fmt.CARD_JSON
    card = json.loads(card_file.read_text(encoding="utf-8"))
    card.setdefault("export", {})["one_column_lookups"] = (
        f"{rewritten} rewritten as GatherElements after export (scripts/rewrite_lookups.py); both outputs "
        f"bit-identical on {len(texts):,} reviews and snippets")
    staged_model, staged_card = bundle.path.with_suffix(".onnx.part"), card_file.with_suffix(".json.part")
    onnx.save(proto, str(staged_model))
    staged_card.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(staged_model, bundle.path)
    os.replace(staged_card, card_file)
    again = load_bundle(folder)  # the loader's own checks, on the file as it now is
    print(f"{bundle.path}: {rewritten} look-up(s) rewritten; identical on {len(texts):,} texts; loads as {again.name}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.splitlines()[2].strip())
    sys.exit(main(Path(sys.argv[1])))
