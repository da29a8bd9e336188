"""Export slides: each slide drawn as a PNG and all of them as one PDF (Qt's own
PDF writer, no extra dependency), written atomically into a folder.

A slide must be shown before it can be drawn (its scatter is the window's
scatter, its image comes back from the worker), so the export steps through the
slides in the GUI thread on a timer, with progress and Cancel, and puts the view
back as it was when it ends.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

from PySide6.QtCore import QMarginsF, QObject, QRect, QRectF, QSizeF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPageSize, QPainter, QPdfWriter
from PySide6.QtWidgets import QWidget

from explorer.core.atomic_file import atomic_write
from explorer.core.preview import PreviewState
from explorer.ui.images import to_qimage

SLIDE_SIZE = (1600, 900)
PDF_NAME = "slides.pdf"
TICK_MS = 40
MAX_WAIT_TICKS = 750  # a slide whose image never comes (30 s) is drawn without it


def file_stem(number: int, name: str) -> str:
    """``slide-01-intro``: the slide's number and a file-safe form of its name."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name.strip().lower()).strip("-.")[:60]
    return f"slide-{number:02d}" + (f"-{safe}" if safe else "")


def render_slide(scatter: QWidget, state: PreviewState, title: str, number: str, theme,
                 size: tuple[int, int] = SLIDE_SIZE) -> QImage:
    """One slide as an image: its title and number, the scatter on the left, the preview on the right."""
    w, h = size
    margin, title_h = 40, 96
    image = QImage(w, h, QImage.Format.Format_RGB32)
    image.fill(QColor(theme.window))
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    font = QFont()
    font.setPixelSize(44)
    font.setBold(True)
    p.setFont(font)
    p.setPen(QColor(theme.text))
    top = QRect(margin, 0, w - 2 * margin, title_h)
    p.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
    font.setBold(False)
    font.setPixelSize(28)
    p.setFont(font)
    p.setPen(QColor(theme.muted_text))
    p.drawText(top, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, number)
    body = QRect(margin, title_h, w - 2 * margin, h - title_h - margin)
    left = QRect(body.left(), body.top(), int(body.width() * 0.6), body.height())
    right = QRect(left.right() + margin, body.top(), body.right() - left.right() - margin, body.height())
    shot = scatter.grab()
    fitted = shot.size().scaled(left.size(), Qt.AspectRatioMode.KeepAspectRatio)
    p.drawPixmap(QRect(left.topLeft(), fitted), shot)
    side = min(right.width(), right.height() - 160)
    box = QRect(right.left(), right.top(), side, side)
    if state.image is not None:
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # crisp pixels, as in the preview
        p.drawImage(box, to_qimage(state.image))
    else:
        p.fillRect(box, QColor(theme.image_background))
        p.setPen(QColor(theme.empty_text))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, "no image")
    lines = [state.title] + [f"{k}: {v}" for k, v in state.rows[:4]]
    font.setPixelSize(26)
    p.setFont(font)
    p.setPen(QColor(theme.text))
    text = QRect(right.left(), box.bottom() + 12, right.width(), right.bottom() - box.bottom() - 12)
    p.drawText(text, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
               "\n".join(x for x in lines if x))
    p.end()
    return image


def write_png(path: Path, image: QImage) -> None:
    """``image`` as a PNG at ``path``, atomically."""
    def write(tmp: str) -> None:
        if not image.save(tmp, "PNG"):
            raise OSError(errno.EIO, "Qt could not write the PNG", tmp)

    atomic_write(path, write)


def write_pdf(path: Path, images: list[QImage]) -> None:
    """``images`` as the pages of one PDF at ``path`` (a page the shape of each image), atomically."""
    def write(tmp: str) -> None:
        pdf = QPdfWriter(tmp)
        pdf.setTitle("Slides")
        pdf.setCreator("Latent Explorer")
        pdf.setResolution(144)  # a 1600-px slide is a 800-pt (11-inch) page, drawn pixel for pixel
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0))
        painter = QPainter()
        try:
            for i, image in enumerate(images):
                size = QPageSize(QSizeF(image.width() / 2, image.height() / 2), QPageSize.Unit.Point, "Slide",
                                 QPageSize.SizeMatchPolicy.ExactMatch)
                if i == 0:
                    pdf.setPageSize(size)
                    if not painter.begin(pdf):
                        raise OSError(errno.EIO, "Qt could not start the PDF", tmp)
                else:
                    pdf.setPageSize(size)
                    pdf.newPage()
                painter.drawImage(QRectF(0, 0, pdf.width(), pdf.height()), image)
        finally:
            if painter.isActive():
                painter.end()  # writes the file's end and closes it
        del pdf

    atomic_write(path, write)


class SlidesExport(QObject):
    """Shows each slide, draws it, writes its PNG; then writes the PDF.

    ``finished(folder)`` when every file is written, ``failed(message)`` when one
    could not be (the message, also in the message bar, names the file and the cause).
    """

    finished = Signal(str)
    failed = Signal(str)

    def __init__(self, ctx, slides):
        super().__init__(ctx.window)
        self.ctx, self.slides = ctx, slides
        self.folder: Path | None = None
        self.written: list[Path] = []
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    def busy(self) -> bool:
        return self.folder is not None

    def start(self, folder: str | Path) -> bool:
        """Export every slide into ``folder`` (made if missing); False when it cannot start."""
        s = self.ctx.session
        if self.busy():
            self.ctx.message_bar.show_error("Slides are being exported already: wait, or Cancel it")
            return False
        if s.bank is None or not len(s.slides):
            self.ctx.message_bar.show_error("No slides to export yet: set up a view, then Add slide (Ctrl+B)")
            return False
        folder = Path(folder).expanduser()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._report(f"Could not export the slides to {folder}: {exc.strerror or exc}")
            return False
        self.folder, self.written, self._images = folder, [], []
        self._back = (self.slides.capture("the view before the export"), self.slides.index)
        self._k, self._waiting, self._ticks, self._cancelled = 0, False, 0, False
        self.ctx.jobs.begin(self, f"Exporting {len(s.slides)} slides to {folder}…", self.cancel)
        self._timer.start()
        return True

    def cancel(self) -> None:
        self._cancelled = True

    def _tick(self) -> None:
        slides = self.ctx.session.slides
        if self._cancelled:
            self._end(f"Slide export cancelled after {self._k} of {len(slides)} slides")
            return
        if self._waiting:
            self._ticks += 1
            slide = slides[self._k] if self._k < len(slides) else None
            expects_image = slide is not None and (slide.selected is not None or slide.current is not None)
            # Two ticks at least: the scatter re-bins its points on a timer after the view moves.
            if self._ticks < 2 or (expects_image and self.ctx.preview.state.image is None
                                   and self._ticks < MAX_WAIT_TICKS):
                return
            if not self._draw(slide, len(slides)):
                return
        if self._k < len(slides):
            self.slides.go_to(self._k, record=False, play=False)
            self._waiting, self._ticks = True, 0
            return
        pdf = self.folder / PDF_NAME
        try:
            write_pdf(pdf, self._images)
        except OSError as exc:
            self._end(error=f"Could not write {pdf}: {exc.strerror or exc}")
            return
        self.written.append(pdf)
        self.ctx.settings.set_last_folder(str(self.folder))
        self._end(f"Exported {len(self._images)} slides to {self.folder} (PNGs and {PDF_NAME})", done=True)

    def _draw(self, slide, n: int) -> bool:
        from explorer.ui.theme import current_theme

        image = render_slide(self.ctx.scatter, self.ctx.preview.state, slide.name, f"{self._k + 1} / {n}",
                             current_theme())
        path = self.folder / f"{file_stem(self._k + 1, slide.name)}.png"
        try:
            write_png(path, image)
        except OSError as exc:
            self._end(error=f"Could not write {path}: {exc.strerror or exc}")
            return False
        self.written.append(path)
        self._images.append(image)
        self._k += 1
        self._waiting = False
        self.ctx.jobs.progress(self, self._k, n)
        return True

    def _end(self, message: str = "", error: str = "", done: bool = False) -> None:
        self._timer.stop()
        folder, self.folder = self.folder, None
        back, index = self._back
        self.slides.show_slide(back, record=False, play=False)  # the view the user had
        self.slides.index = index
        self.slides.panel.set_slides(self.ctx.session.slides.names(), index)
        self._images = []
        self.ctx.jobs.end(self, message)
        if error:
            self._report(error)
        elif done:
            self.finished.emit(str(folder))

    def _report(self, message: str) -> None:
        self.ctx.message_bar.show_error(message)
        self.failed.emit(message)
