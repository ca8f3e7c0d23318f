"""TorchServe handler for the models that answer as other handlers do
(TorchServe fixes no answer schema: a handler answers whatever its author
returns). Each decodes the request's JPEG (raw body, gRPC "data", or its
base64 text) with Pillow, then answers by its model's name:

- `top5`: a classifier's top-5 JSON, {"label": probability, ...} (five
  made-up labels; the probabilities follow the image's mean colour);
- `text`: plain text, "landscape 1920x1080" (text/plain);
- `raw`: raw bytes, the decoded image's first 64 bytes of pixels
  (application/octet-stream).

Torch is never used.
"""

import base64
import io
import json

from PIL import Image, ImageStat

JPEG_START = b"\xff\xd8"
LABELS = ("tabby", "tiger_cat", "Egyptian_cat", "lynx", "cougar")


def to_image(value) -> Image.Image:
    if isinstance(value, str):
        value = base64.b64decode(value)
    value = bytes(value)
    jpeg = value if value.startswith(JPEG_START) else base64.b64decode(value)
    image = Image.open(io.BytesIO(jpeg))
    image.load()  # decode every pixel, not only the header
    return image


def top5(image: Image.Image) -> str:
    means = ImageStat.Stat(image.convert("RGB")).mean
    weights = [1.0 + means[i % 3] / 255.0 + i for i in range(len(LABELS))]
    total = sum(weights)
    ranked = sorted(zip(LABELS, weights), key=lambda lw: -lw[1])
    return json.dumps({label: round(weight / total, 4) for label, weight in ranked})


def text(image: Image.Image) -> str:
    orientation = "landscape" if image.width >= image.height else "portrait"
    return f"{orientation} {image.width}x{image.height}"


def raw(image: Image.Image) -> bytes:
    return image.tobytes()[:64]


ANSWERS = {"top5": (top5, "application/json"), "text": (text, "text/plain"),
           "raw": (raw, "application/octet-stream")}


def handle(data, context):
    """TorchServe's module-level entry point: one answer per request."""
    if data is None:  # the load-time call with no requests
        return None
    answer, content_type = ANSWERS[context.model_name]
    answers = []
    for index, row in enumerate(data):
        value = row.get("data") if row.get("data") is not None else row.get("body")
        if value is None:
            raise ValueError(f"no 'data' or 'body' in the request (keys: {sorted(row)})")
        with to_image(value) as image:
            answers.append(answer(image))
        context.set_response_content_type(index, content_type)
    return answers
