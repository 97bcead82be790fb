"""The model card (JSON for programs, Markdown for people) and the training-curves picture."""

from __future__ import annotations

import json
from pathlib import Path


def write_card(folder: Path, card: dict) -> None:
    from review_encoding import bundle_format as fmt

    (folder / fmt.CARD_JSON).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / fmt.CARD_MARKDOWN).write_text(card_markdown(card), encoding="utf-8")


def card_markdown(card: dict) -> str:
    test = card["metrics"]["test"]
    (tn, fp), (fn, tp) = test["confusion_matrix"]
    hp = card["hyperparameters"]
    sizes = card["data"]["split_sizes"]
    lines = [
        f"# Model card: {card['name']}",
        "",
        f"Tells whether a movie review is positive or negative. {card['architecture']['description']}",
        "",
        "## Data",
        "",
        f"- Source: {card['data']['source']} ({card['data']['description']})",
        f"- Split (seed {card['data']['split_seed']}): {sizes['train']:,} training, "
        f"{sizes['validation']:,} validation (early stopping, calibration), {sizes['test']:,} test "
        "(never trained on nor used to choose anything)",
        f"- Training seed: {card['seed']}",
        "",
        "## Network",
        "",
        f"- Architecture: `{card['architecture']['name']}`, {card['parameters']:,} parameters",
        f"- Vocabulary {hp['vocab_size']:,} ids, input length {hp['max_length']}, batch {hp['batch_size']}, "
        f"optimizer {hp['optimizer']}, loss {hp['loss']}",
        f"- Epochs: {card['epochs_run']} run of {hp['epochs']} allowed",
        f"- Calibration: temperature {card['calibration']['temperature']:.4f}, fitted on the validation part",
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
        "## Made with",
        "",
        f"Created {card['created']}. " + ", ".join(f"{k} {v}" for k, v in card["versions"].items()) + ".",
        "",
        "## Limits",
        "",
        "Trained on English IMDB reviews only. Words beyond the first "
        f"{hp['max_length'] - 1} of a review are not read. Sarcasm, negation across sentences and "
        "reviews of other things than films are where it is most often wrong.",
        "",
    ]
    return "\n".join(lines)


def plot_curves(history: dict, path: Path) -> None:
    """Loss and accuracy per epoch, training vs validation, as the tutorial draws them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = range(1, len(history["loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    ax_loss.plot(epochs, history["loss"], "o-", markersize=3, label="Training loss")
    ax_loss.plot(epochs, history["val_loss"], "-", label="Validation loss")
    ax_loss.set(title="Training and validation loss", xlabel="Epochs", ylabel="Loss")
    ax_acc.plot(epochs, history["accuracy"], "o-", markersize=3, label="Training accuracy")
    ax_acc.plot(epochs, history["val_accuracy"], "-", label="Validation accuracy")
    ax_acc.set(title="Training and validation accuracy", xlabel="Epochs", ylabel="Accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
