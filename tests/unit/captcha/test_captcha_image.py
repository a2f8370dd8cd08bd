"""The captcha parents can read: no look-alike characters, every glyph drawn whole."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from paiwei.captcha.service import ALPHABET, PADDING, ReadableCaptcha

LOOK_ALIKES = ("0O", "1IL", "VW", "7T", "5S", "8B", "6G", "2Z", "QO", "UV")


def test_no_two_look_alikes_in_the_alphabet() -> None:
    for group in LOOK_ALIKES:
        assert sum(c in ALPHABET for c in group) <= 1, group


def test_every_glyph_is_drawn_whole_with_a_clear_margin() -> None:
    captcha = ReadableCaptcha()
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    for _ in range(3):  # rotation is random: try each character several times
        for c in ALPHABET:
            glyph = captcha._draw_character(c, draw, (0, 0, 0))
            alpha = glyph.getchannel("A")
            box = alpha.getbbox()
            assert box is not None, c
            left, top, right, bottom = box
            # Nothing touches the edge: the glyph was not cut by its canvas.
            assert left >= PADDING and top >= PADDING, c
            assert right <= glyph.width - PADDING and bottom <= glyph.height - PADDING, c
            assert glyph.height <= 70, c


def test_the_image_holds_four_glyphs_without_squeezing() -> None:
    captcha = ReadableCaptcha()
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    widest = max(captcha._draw_character(c, draw, (0, 0, 0)).width for c in ALPHABET for _ in range(3))
    assert 4 * widest <= 200  # the upstream code squeezes the text when it is wider
    png = Image.open(io.BytesIO(captcha.png("MNHX")))
    assert png.size == (200, 70)
