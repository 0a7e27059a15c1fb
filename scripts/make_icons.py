"""Draw the installable app's icons (coopapp/static/icon-192.png, icon-512.png): 账 in white on the
app's red, inside the maskable safe zone. Run once when the look changes; the PNGs are committed.

    .venv/bin/python scripts/make_icons.py [path to a CJK font, e.g. NotoSansCJK-Bold.ttc]
"""

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

STATIC = Path(__file__).resolve().parent.parent / "coopapp" / "static"
FONT = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
RED = (166, 27, 27)  # app.css .button.primary

for size in (192, 512):
    image = Image.new("RGB", (size, size), RED)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, int(size * 0.5), index=2)  # the .ttc's Simplified Chinese face
    draw.text((size / 2, size / 2), "账", font=font, fill="white", anchor="mm")
    image = image.quantize(colors=16)
    image.save(STATIC / f"icon-{size}.png", optimize=True)
    print(STATIC / f"icon-{size}.png", (STATIC / f"icon-{size}.png").stat().st_size, "bytes")
