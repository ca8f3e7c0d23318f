"""Writes a random-noise JPEG (as the seed post's images) for the proofs.
Usage: make_jpeg.py WIDTH HEIGHT OUT.jpg  (needs Pillow)"""

import os
import sys

from PIL import Image

width, height, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(out, quality=90)
print(f"{out}: {width}x{height}, {os.path.getsize(out)} bytes")
