"""TorchServe handler: decodes each request's JPEG with Pillow and answers
its size as JSON {"height": H, "width": W}.

The image arrives as the raw request body (REST, application/octet-stream),
as the "data" entry of a gRPC Predictions input map, or as its base64 text
(REST with a text content type, or bytes that do not start with the JPEG
marker 0xFF 0xD8, which base64 text never does). Through the Open Inference
gRPC ModelInfer (TS_OPEN_INFERENCE_PROTOCOL=oip), TorchServe hands over the
request as JSON with the first input's `contents.bytes_contents` as base64
text in inputs[0].data[0] (its `raw_input_contents` arrive empty), and
expects an Open Inference response back: output `size` INT32 [height, width].
Torch is never used.
"""

import base64
import io
import json

from PIL import Image

JPEG_START = b"\xff\xd8"
MODEL_NAME = "decode"


def to_jpeg(value) -> bytes:
    if isinstance(value, str):
        return base64.b64decode(value)
    value = bytes(value)
    return value if value.startswith(JPEG_START) else base64.b64decode(value)


def decoded_size(jpeg: bytes) -> tuple:
    with Image.open(io.BytesIO(jpeg)) as image:
        image.load()  # decode every pixel, not only the header
        return image.height, image.width


def open_inference_answer(request: dict) -> str:
    inputs = request.get("inputs") or [{}]
    data = inputs[0].get("data") or []
    if not data:
        raise ValueError("ModelInfer: no bytes in inputs[0] (send them in contents.bytes_contents; "
                         "TorchServe drops raw_input_contents)")
    height, width = decoded_size(to_jpeg(data[0]))
    return json.dumps({
        "id": request.get("id", ""), "model_name": MODEL_NAME, "model_version": "1.0",
        "outputs": [{"name": "size", "datatype": "INT32", "shape": [2], "data": [height, width]}],
    })


def answer(row: dict) -> str:
    value = row.get("data") if row.get("data") is not None else row.get("body")
    if value is None:
        raise ValueError(f"no 'data' or 'body' in the request (keys: {sorted(row)})")
    if isinstance(value, dict):
        return open_inference_answer(value)
    height, width = decoded_size(to_jpeg(value))
    return json.dumps({"height": height, "width": width})


def handle(data, context):
    """TorchServe's module-level entry point: one answer per request."""
    if data is None:  # the load-time call with no requests
        return None
    answers = []
    for index, row in enumerate(data):
        answers.append(answer(row))
        context.set_response_content_type(index, "application/json")
    return answers
