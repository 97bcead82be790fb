"""The verdict at a glance: the label, how sure, a bar with the uncertain band, and the band's width."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSpinBox, QVBoxLayout, QWidget

from review_sentiment._classify import Verdict
from review_sentiment._verdict import DEFAULT_UNCERTAIN_BAND, MAX_UNCERTAIN_BAND, percent, verdict_words
from desktop.ui import theme


class VerdictBar(QWidget):
    """0% (negative) to 100% (positive), the uncertain band shaded, a marker at the probability."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.probability: float | None = None
        self.band = DEFAULT_UNCERTAIN_BAND
        self.setMinimumHeight(42)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Probability of positive")

    def show_probability(self, probability: float | None, band: float) -> None:
        self.probability, self.band = probability, band
        self.setAccessibleDescription("" if probability is None else f"{probability:.0%} positive")
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        track = QRectF(6, 8, self.width() - 12, 14)
        left, width = track.left(), track.width()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(theme.label_colour(self, "negative")))
        painter.drawRoundedRect(QRectF(left, track.top(), width / 2, track.height()), 4, 4)
        painter.setBrush(QColor(theme.label_colour(self, "positive")))
        painter.drawRoundedRect(QRectF(left + width / 2, track.top(), width / 2, track.height()), 4, 4)
        band = QRectF(left + width * (0.5 - self.band / 2), track.top() - 3, width * self.band, track.height() + 6)
        painter.setBrush(QColor(theme.label_colour(self, "uncertain")))
        painter.drawRect(band)
        text_colour = palette.color(QPalette.ColorRole.WindowText)
        painter.setPen(text_colour)
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 0.85)
        painter.setFont(font)
        below = QRectF(left, track.bottom() + 3, width, self.height() - track.bottom() - 3)
        painter.drawText(below, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, "negative")
        painter.drawText(below, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, "uncertain")
        painter.drawText(below, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, "positive")
        if self.probability is not None:
            x = left + width * self.probability
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Base), 5))
            painter.drawLine(int(x), int(track.top() - 6), int(x), int(track.bottom() + 6))
            painter.setPen(QPen(text_colour, 3))
            painter.drawLine(int(x), int(track.top() - 6), int(x), int(track.bottom() + 6))
        painter.end()


class VerdictPanel(QWidget):
    """Shows one verdict, or a calm state (paste a review, loading, no model)."""

    band_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setObjectName("verdictTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 2.2)
        font.setBold(True)
        self.title.setFont(font)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bar = VerdictBar()
        self.band_box = QSpinBox()
        self.band_box.setRange(0, round(MAX_UNCERTAIN_BAND * 50))
        self.band_box.setPrefix("50 ± ")
        self.band_box.setSuffix(" %")
        self.band_box.setToolTip("Verdicts this close to 50% are called uncertain")
        self.band_box.setAccessibleName("Uncertain band half-width")
        self.band_box.valueChanged.connect(lambda v: self.band_changed.emit(v / 50))
        band_row = QHBoxLayout()
        band_label = QLabel("&Uncertain band:")
        band_label.setBuddy(self.band_box)
        band_row.addWidget(band_label)
        band_row.addWidget(self.band_box)
        band_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        layout.addWidget(self.bar)
        layout.addLayout(band_row)
        self.set_band(DEFAULT_UNCERTAIN_BAND)

    @property
    def band(self) -> float:
        return self.band_box.value() / 50

    def set_band(self, band: float) -> None:
        self.band_box.setValue(round(band * 50))

    def show_message(self, title: str, detail: str) -> None:
        """A state without a verdict: empty text, loading, no model."""
        self.title.setText(title)
        self.title.setStyleSheet("")
        self.detail.setText(detail)
        self.bar.show_probability(None, self.band)

    def show_verdict(self, verdict: Verdict) -> None:
        headline, sure = verdict_words(verdict.label, verdict.probability, verdict.known_words)
        self.title.setText(headline)
        self.title.setStyleSheet(f"color: {theme.label_colour(self, verdict.label)};")
        lines = [sure if verdict.no_known_words else f"{sure} (probability of positive {percent(verdict.probability)})"]
        if verdict.note:
            lines.append(f"⚠ {verdict.note}")
        if verdict.truncated:
            lines.append(
                f"The review was cut: the model reads only its first {verdict.words_read} words; "
                "words after that are not weighed."
            )
        self.detail.setText("\n".join(lines))
        # No word known: nothing to place on the bar.
        self.bar.show_probability(None if verdict.no_known_words else verdict.probability, verdict.band)
