"""The batch summary: how many reviews got each label, and a histogram of their probabilities
with the uncertain band shaded. Drawn with QPainter (PySide6-Essentials has no QtCharts) and
saved as PNG at twice the screen's resolution.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from review_sentiment._verdict import DEFAULT_UNCERTAIN_BAND, NEGATIVE, POSITIVE, UNCERTAIN
from desktop.ui import theme

BINS = 20
FAILED = "failed"
BAR_LABELS = (POSITIVE, NEGATIVE, UNCERTAIN, FAILED)


class SummaryChart(QWidget):
    """Counts per label on the left, the probability histogram on the right. `update_from(...)` feeds it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts = dict.fromkeys(BAR_LABELS, 0)
        self.histogram = np.zeros(BINS, dtype=np.int64)
        self.band = DEFAULT_UNCERTAIN_BAND
        self.setMinimumHeight(90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAccessibleName("Summary chart")
        self._describe()

    def sizeHint(self) -> QSize:
        return QSize(400, 130)

    def update_from(self, counts: dict, probabilities: np.ndarray, band: float) -> None:
        """New counts and probabilities (NaN for failures): redrawn at the next paint."""
        self.counts = {label: int(counts.get(label, 0)) for label in BAR_LABELS}
        known = probabilities[~np.isnan(probabilities)]
        self.histogram, _ = np.histogram(known, bins=BINS, range=(0.0, 1.0))
        self.band = band
        self._describe()
        self.update()

    def _describe(self) -> None:
        """The chart in words, for screen readers and tooltips."""
        total = sum(self.counts.values())
        parts = ", ".join(f"{self.counts[label]:,} {label}" for label in BAR_LABELS)
        self.setAccessibleDescription(f"{total:,} results: {parts}")
        self.setToolTip(f"{parts}\nHistogram: how many reviews got each probability of positive "
                        "(shaded: the uncertain band)")

    def save_png(self, path: str | Path, scale: float = 2.0) -> bool:
        """Write the chart as it looks now, at `scale` times its size on screen."""
        size = self.size() if self.width() > 50 else self.sizeHint()
        image = QImage(int(size.width() * scale), int(size.height() * scale), QImage.Format.Format_ARGB32)
        image.setDevicePixelRatio(scale)
        image.fill(self.palette().color(QPalette.ColorRole.Base))
        painter = QPainter(image)
        self._paint(painter, QRectF(0, 0, size.width(), size.height()))
        painter.end()
        return image.save(str(path), "PNG")

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Base))
        self._paint(painter, QRectF(self.rect()))
        painter.end()

    def _paint(self, painter: QPainter, area: QRectF) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        margin = 8.0
        inner = area.adjusted(margin, margin, -margin, -margin)
        split = inner.left() + min(max(inner.width() * 0.42, 150.0), 260.0)
        self._paint_counts(painter, QRectF(inner.left(), inner.top(), split - inner.left() - margin, inner.height()))
        self._paint_histogram(painter, QRectF(split + margin, inner.top(), inner.right() - split - margin,
                                              inner.height()))

    def _text_colour(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.Text)

    def _paint_counts(self, painter: QPainter, box: QRectF) -> None:
        metrics = painter.fontMetrics()
        line = metrics.height() + 4
        name_width = max(metrics.horizontalAdvance(label) for label in BAR_LABELS) + 8
        number_width = metrics.horizontalAdvance("000,000") + 6
        largest = max(self.counts.values()) or 1
        bar_space = max(10.0, box.width() - name_width - number_width)
        top = box.top() + max(0.0, (box.height() - line * len(BAR_LABELS)) / 2)
        for row, label in enumerate(BAR_LABELS):
            y = top + row * line
            colour = QColor(theme.label_colour(self, label))
            painter.setPen(self._text_colour())
            painter.drawText(QRectF(box.left(), y, name_width, line), Qt.AlignmentFlag.AlignVCenter, label)
            bar = QRectF(box.left() + name_width, y + 3, bar_space * self.counts[label] / largest, line - 6)
            painter.fillRect(bar, colour)
            painter.setPen(self._text_colour())
            painter.drawText(QRectF(bar.right() + 4, y, number_width, line), Qt.AlignmentFlag.AlignVCenter,
                             f"{self.counts[label]:,}")

    def _paint_histogram(self, painter: QPainter, box: QRectF) -> None:
        if box.width() < 40:
            return
        metrics = painter.fontMetrics()
        axis = metrics.height() + 2
        plot = QRectF(box.left(), box.top(), box.width(), box.height() - axis)
        band = QRectF(plot.left() + plot.width() * (0.5 - self.band / 2), plot.top(),
                      plot.width() * self.band, plot.height())
        shade = QColor(self._text_colour())
        shade.setAlphaF(0.08)
        painter.fillRect(band, shade)
        largest = int(self.histogram.max()) or 1
        width = plot.width() / BINS
        for i, count in enumerate(self.histogram.tolist()):
            middle = (i + 0.5) / BINS
            label = UNCERTAIN if abs(middle - 0.5) < self.band / 2 else POSITIVE if middle >= 0.5 else NEGATIVE
            height = plot.height() * count / largest
            painter.fillRect(QRectF(plot.left() + i * width + 1, plot.bottom() - height, width - 2, height),
                             QColor(theme.label_colour(self, label)))
        painter.setPen(self._text_colour())
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        for fraction, text, align in ((0.0, "0%", Qt.AlignmentFlag.AlignLeft), (0.5, "50%", Qt.AlignmentFlag.AlignHCenter),
                                      (1.0, "100% positive", Qt.AlignmentFlag.AlignRight)):
            x = plot.left() + plot.width() * fraction
            text_box = QRectF(x - 60 if align != Qt.AlignmentFlag.AlignLeft else x, plot.bottom() + 1, 120, axis)
            if align == Qt.AlignmentFlag.AlignRight:
                text_box.moveRight(x)
            painter.drawText(text_box, align | Qt.AlignmentFlag.AlignTop, text)
