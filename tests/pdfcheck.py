"""Checks of rendered PDFs with poppler-utils (pdftotext, pdffonts, pdftoppm): the text a
reader sees, that every font is embedded, and that no page is blank."""

from __future__ import annotations

import subprocess
from pathlib import Path

BODY_DARK_PIXELS = 10  # dark pixels above the footer band (bottom tenth) that make a page not blank


def _run(*args: str) -> bytes:
    return subprocess.run(args, capture_output=True, check=True).stdout


def text(pdf: Path) -> str:
    return _run("pdftotext", str(pdf), "-").decode("utf-8")


def page_texts(pdf: Path) -> list[str]:
    return text(pdf).split("\f")[:-1]


def fonts(pdf: Path) -> list[tuple[str, bool]]:
    """(font name, embedded) for every font the PDF uses."""
    lines = _run("pdffonts", str(pdf)).decode().splitlines()[2:]
    out = []
    for line in lines:
        cols = line.split()
        # name type... encoding emb sub uni object ID: emb is the 5th column from the end
        out.append((cols[0], cols[-5] == "yes"))
    return out


def dark_pixels_per_page(pdf: Path, tmp: Path) -> list[int]:
    """Pixels darker than mid-grey on each page above its bottom tenth (where the page
    number is), rendered in greyscale at 30 dpi."""
    prefix = tmp / pdf.stem
    _run("pdftoppm", "-gray", "-r", "30", str(pdf), str(prefix))
    counts = []
    for page in sorted(tmp.glob(f"{pdf.stem}-*.pgm")):
        data = page.read_bytes()
        # binary PGM: "P5\n<w> <h>\n<max>\n" then one byte per pixel
        parts = data.split(b"\n", 3)
        w, h = (int(x) for x in parts[1].split())
        pixels = parts[3][: w * (h * 9 // 10)]
        counts.append(sum(1 for p in pixels if p < 128))
    return counts


def check_pdf(pdf: Path, tmp: Path, *, expected: list[str]) -> str:
    """Assert fonts embedded, no blank page, and every expected string in the text;
    returns the text."""
    used = fonts(pdf)
    assert used, f"{pdf.name}: no fonts"
    assert all(embedded for _, embedded in used), f"{pdf.name}: not embedded: {used}"
    assert any("CJK" in name for name, _ in used), f"{pdf.name}: no CJK font: {used}"
    pages = page_texts(pdf)
    counts = dark_pixels_per_page(pdf, tmp)
    assert len(counts) == len(pages) >= 1
    for n, (page, dark) in enumerate(zip(pages, counts, strict=True), start=1):
        assert dark > BODY_DARK_PIXELS, f"{pdf.name}: page {n} is blank ({dark} dark pixels)"
        assert len(page.replace(f"第 {n} 页", "").split()) > 3, f"{pdf.name}: page {n} has no text"
    whole = "".join(pages)
    flat = "".join(whole.split())
    for s in expected:
        assert "".join(s.split()) in flat, f"{pdf.name}: {s!r} not in the text"
    return whole
