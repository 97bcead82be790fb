"""What the loaded model is: from its card (data, split, test accuracy, ECE, size, date) and its curves."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFormLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from review_sentiment import bundle_format as fmt


def card_rows(bundle) -> list[tuple[str, str]]:
    """(field, value) pairs describing a bundle, from its card where it has one."""
    card = bundle.card or {}
    data = card.get("data", {})
    test = card.get("metrics", {}).get("test", {})
    # The bundle's folder and file, not the whole local path (that is in the status bar's tooltip).
    rows = [("Name", bundle.name), ("File", f"{bundle.folder.name}/{bundle.path.name}")]
    if card.get("created"):
        rows.append(("Created", str(card["created"]).replace("T", " ")[:19]))
    rows.append(("Architecture", bundle.architecture))
    if data:
        described = data.get("description") or data.get("source", "")
        reviews = data.get("reviews")
        rows.append(("Data", f"{described} ({reviews:,} reviews)" if isinstance(reviews, int) else described))
        sizes = data.get("split_sizes") or {}
        if sizes:
            rows.append(("Split", ", ".join(f"{name} {count:,}" for name, count in sizes.items())))
    if "accuracy" in test:
        rows.append(("Test accuracy", f"{test['accuracy']:.1%} on {test.get('n', '?'):,} reviews"))
    if "ece" in test:
        rows.append(("Calibration error (ECE)", f"{test['ece']:.3f}"))
    if isinstance(card.get("parameters"), int):
        rows.append(("Parameters", f"{card['parameters']:,}"))
    rows.append(("Reads", f"the first {bundle.settings.max_length - 1} words, "
                          f"vocabulary of {bundle.settings.vocab_size:,} ids"))
    rows.append(("Calibration temperature", f"{bundle.temperature:.3f}"))
    if not card:
        rows.append(("Model card", "none in this bundle"))
    return rows


class ModelPanel(QScrollArea):
    """The model card as a form, and the training curves image scaled to the panel's width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        self.curves = QLabel()
        self.curves.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.curves.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.curves.setAccessibleName("Training curves")
        layout = QVBoxLayout(inner)
        layout.addLayout(self.form)
        layout.addWidget(self.curves)
        layout.addStretch(1)
        self.setWidget(inner)
        self._pixmap: QPixmap | None = None
        self.show_bundle(None)

    def show_bundle(self, bundle, problem: str = "") -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        if bundle is None:
            self.form.addRow(self._value(problem or "No model loaded."))
            self._pixmap = None
        else:
            for name, value in card_rows(bundle):
                self.form.addRow(f"{name}:", self._value(value))
            curves = bundle.asset(fmt.CURVES_PNG)
            self._pixmap = QPixmap(str(curves)) if curves else None
        self._fit_curves()

    @staticmethod
    def _value(text: str) -> QLabel:
        label = QLabel(text)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _fit_curves(self) -> None:
        if self._pixmap is None or self._pixmap.isNull():
            self.curves.clear()
            return
        # Scale in device pixels so the image stays sharp on high-DPI screens.
        ratio = self.devicePixelRatioF()
        width = max(100, self.viewport().width() - 24)
        scaled = self._pixmap.scaledToWidth(int(width * ratio), Qt.TransformationMode.SmoothTransformation)
        scaled.setDevicePixelRatio(ratio)
        self.curves.setPixmap(scaled)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_curves()
