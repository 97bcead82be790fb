"""Draw the app icon with QPainter and write it in every format the three desktops want.

Writes packaging/icons/: review-sentiment-<size>.png (16 to 1024), review-sentiment.ico
(Windows, PNG-compressed entries) and review-sentiment.icns (macOS). Run from the repository:

    uv run python packaging/make_icons.py

The icon: a speech bubble (a review) holding a gauge from red to green whose needle leans
positive (the verdict and how sure it is).
"""

from __future__ import annotations

import math
import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # drawing needs no screen

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QConicalGradient, QGuiApplication, QImage, QLinearGradient, QPainter, QPainterPath, QPen

ICONS = Path(__file__).resolve().parent / "icons"
NAME = "review-sentiment"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# icns chunk type for each PNG size (Apple's "icns" format; retina types reuse the larger PNGs).
ICNS_TYPES = (("icp4", 16), ("icp5", 32), ("icp6", 64), ("ic07", 128), ("ic08", 256), ("ic09", 512),
              ("ic10", 1024), ("ic11", 32), ("ic12", 64), ("ic13", 256), ("ic14", 512))

RED, AMBER, GREEN = QColor("#e5484d"), QColor("#f5b83d"), QColor("#30a46c")


def draw_icon(size: int) -> QImage:
    """The icon at one pixel size, drawn on a 100-unit canvas so every size is the same picture."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(size / 100, size / 100)
    _draw_tile(painter)
    _draw_bubble(painter)
    _draw_gauge(painter)
    painter.end()
    return image


def _draw_tile(painter: QPainter) -> None:
    gradient = QLinearGradient(0, 0, 0, 100)
    gradient.setColorAt(0, QColor("#4656d8"))
    gradient.setColorAt(1, QColor("#1f2a7a"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(gradient)
    painter.drawRoundedRect(QRectF(4, 4, 92, 92), 20, 20)


def _draw_bubble(painter: QPainter) -> None:
    bubble = QPainterPath()
    bubble.addRoundedRect(QRectF(14, 18, 72, 52), 14, 14)
    tail = QPainterPath()
    tail.moveTo(28, 64)
    tail.lineTo(24, 84)
    tail.lineTo(44, 68)
    tail.closeSubpath()
    painter.setBrush(QColor("#ffffff"))
    painter.drawPath(bubble.united(tail))


def _draw_gauge(painter: QPainter) -> None:
    centre, radius = QPointF(50, 60), 26.0
    arc = QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius)
    # Qt's conical gradient runs anticlockwise from angle 0 (the right): green, amber at the top, red.
    sweep = QConicalGradient(centre, 0)
    sweep.setColorAt(0.0, GREEN)
    sweep.setColorAt(0.25, AMBER)
    sweep.setColorAt(0.5, RED)
    sweep.setColorAt(1.0, GREEN)
    pen = QPen(sweep, 9)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawArc(arc, 170 * 16, -160 * 16)
    angle = math.radians(35)  # the needle leans positive
    tip = QPointF(centre.x() + 22 * math.cos(angle), centre.y() - 22 * math.sin(angle))
    needle = QPen(QColor("#1f2a7a"), 6)
    needle.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(needle)
    painter.drawLine(centre, tip)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#1f2a7a"))
    painter.drawEllipse(centre, 6, 6)


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data)


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding PNG-compressed images (supported since Windows Vista)."""
    sizes = [s for s in ICO_SIZES if s in pngs]
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for size in sizes:
        blob = pngs[size]
        side = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(blob), offset)
        blobs += blob
        offset += len(blob)
    return header + entries + blobs


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns: big-endian chunks of (type, length including the 8-byte chunk header, PNG)."""
    chunks = b"".join(kind.encode("ascii") + struct.pack(">I", len(pngs[size]) + 8) + pngs[size]
                      for kind, size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", len(chunks) + 8) + chunks


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (fonts and painting)
    ICONS.mkdir(parents=True, exist_ok=True)
    pngs = {size: png_bytes(draw_icon(size)) for size in PNG_SIZES}
    for size, blob in pngs.items():
        (ICONS / f"{NAME}-{size}.png").write_bytes(blob)
    (ICONS / f"{NAME}.ico").write_bytes(ico_bytes(pngs))
    (ICONS / f"{NAME}.icns").write_bytes(icns_bytes(pngs))
    print(f"wrote {len(pngs)} PNG sizes, {NAME}.ico and {NAME}.icns to {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
