"""A real Triton Inference Server (bundled by PyTriton, on CPU) serving
Python models that differ where the Open Inference Protocol lets a model
differ (batching, input shapes, outputs), so a client is tested against
what the protocol promises rather than one model's answer:

- `decode`: no batching; input `image` (BYTES, shape [1], the JPEG);
  output `size` (INT32, shape [2], the decoded [height, width], from Pillow).
- `decode_batch`: max_batch_size 8, `image` BYTES dims [1] (metadata shape
  [-1, 1]); output `size` INT32 dims [2] ([-1, 2]).
- `decode_batch_var`: max_batch_size 8, `image` BYTES dims [-1] ([-1, -1]);
  two outputs, as a classifier answers: `label` (BYTES, dims [1], the
  image's orientation) and `score` (FP32, dims [1], the aspect ratio).
- `pixels`: max_batch_size 8, `pixels` UINT8 dims [224, 224, 3] (decoded
  pixels, no JPEG fits it); output `mean` FP32 dims [1].

An image may also be the JPEG's base64 text (what a JSON BYTES tensor
carries): base64 never starts with the JPEG's 0xFF marker, so the two cannot
be confused.

With TRITON_OTLP_URL set (http://HOST:PORT/v1/traces), tritonserver
exports every request (`level=TIMESTAMPS`, `rate=TRITON_TRACE_RATE`,
default 1) as OpenTelemetry spans in OTLP/HTTP JSON to that URL, every
TRITON_OTLP_DELAY_MS (default 200). (With rate 0 it traces only requests
whose `traceparent` it takes, and over gRPC it misses about one in ten.)

Usage: server.py HTTP_PORT GRPC_PORT METRICS_PORT
"""

import base64
import io
import os
import signal
import sys

import numpy as np
from PIL import Image
from pytriton.model_config import ModelConfig, Tensor
from pytriton.proxy.telemetry import set_telemetry_tracer
from pytriton.triton import DEFAULT_PROTECTED_ENDPOINTS, Triton, TritonConfig, TritonSecurityConfig


JPEG_START = b"\xff\xd8"
# The models run-sh waits for, in the order they are bound.
MODELS = ("decode", "decode_batch", "decode_batch_var", "pixels")


def decoded_size(image_bytes: bytes) -> np.ndarray:
    jpeg = image_bytes if image_bytes.startswith(JPEG_START) else base64.b64decode(image_bytes)
    with Image.open(io.BytesIO(jpeg)) as image:
        image.load()  # decode every pixel, not only the header
        return np.array([image.height, image.width], dtype=np.int32)


def first_elements(batch: np.ndarray) -> list:
    """Each batch row's first BYTES element (rows of shape [1] or [k])."""
    rows = batch.reshape(batch.shape[0], -1)
    return [bytes(row[0]) for row in rows]


def infer(requests):
    """`decode`, no batching: one answer per request, the JPEG's decoded size."""
    return [{"size": decoded_size(bytes(request["image"][0]))} for request in requests]


def infer_batch(requests):
    """`decode_batch`: each request a batch [N, 1]; the answer [N, 2]."""
    return [{"size": np.stack([decoded_size(image) for image in first_elements(request["image"])])}
            for request in requests]


def infer_batch_var(requests):
    """`decode_batch_var`: each request a batch [N, k]; per row a label and a score."""
    answers = []
    for request in requests:
        sizes = [decoded_size(image) for image in first_elements(request["image"])]
        labels = [[b"landscape" if width >= height else b"portrait"] for height, width in sizes]
        scores = [[width / height] for height, width in sizes]
        answers.append({"label": np.array(labels, dtype=np.object_),
                        "score": np.array(scores, dtype=np.float32)})
    return answers


def infer_pixels(requests):
    """`pixels`: each request a batch [N, 224, 224, 3]; per row its mean."""
    return [{"mean": request["pixels"].reshape(request["pixels"].shape[0], -1).mean(axis=1, keepdims=True)
             .astype(np.float32)} for request in requests]


def stop_on_signals() -> None:
    """SIGINT and SIGTERM end serve() the way Ctrl-C does, so PyTriton stops
    its tritonserver and removes its workspace. (A shell starts background
    jobs with SIGINT ignored, so Python's own handler is not there.)"""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


class NoProxyTracer:
    """Stands in for the OpenTelemetry tracer PyTriton would build for its
    own Python proxy whenever a trace config is given (it needs the
    OpenTelemetry packages and supports `mode=opentelemetry` only): the
    spans wanted are tritonserver's own, which it exports by itself."""

    def start_span(self, *args, **kwargs):
        raise RuntimeError("the proxy records no spans")


def trace_config() -> list:
    """tritonserver's --trace-config values from TRITON_OTLP_URL, or none."""
    url = os.environ.get("TRITON_OTLP_URL")
    if not url:
        return []
    delay = os.environ.get("TRITON_OTLP_DELAY_MS", "200")
    return ["mode=opentelemetry", f"opentelemetry,url={url}", f"opentelemetry,bsp_schedule_delay={delay}",
            "level=TIMESTAMPS", f"rate={os.environ.get('TRITON_TRACE_RATE', '1')}"]


def bind_models(triton: Triton) -> None:
    batching = ModelConfig(batching=True, max_batch_size=8)
    image = np.bytes_
    triton.bind(model_name="decode", infer_func=infer,
                inputs=[Tensor(name="image", dtype=image, shape=(1,))],
                outputs=[Tensor(name="size", dtype=np.int32, shape=(2,))],
                config=ModelConfig(batching=False), strict=True, trace_config=[])
    triton.bind(model_name="decode_batch", infer_func=infer_batch,
                inputs=[Tensor(name="image", dtype=image, shape=(1,))],
                outputs=[Tensor(name="size", dtype=np.int32, shape=(2,))],
                config=batching, strict=True, trace_config=[])
    triton.bind(model_name="decode_batch_var", infer_func=infer_batch_var,
                inputs=[Tensor(name="image", dtype=image, shape=(-1,))],
                outputs=[Tensor(name="label", dtype=np.bytes_, shape=(1,)),
                         Tensor(name="score", dtype=np.float32, shape=(1,))],
                config=batching, strict=True, trace_config=[])
    triton.bind(model_name="pixels", infer_func=infer_pixels,
                inputs=[Tensor(name="pixels", dtype=np.uint8, shape=(224, 224, 3))],
                outputs=[Tensor(name="mean", dtype=np.float32, shape=(1,))],
                config=batching, strict=True, trace_config=[])


def main() -> None:
    stop_on_signals()
    http_port, grpc_port, metrics_port = (int(arg) for arg in sys.argv[1:4])
    config = TritonConfig(
        http_address="127.0.0.1", http_port=http_port,
        grpc_address="127.0.0.1", grpc_port=grpc_port,
        metrics_address="127.0.0.1", metrics_port=metrics_port,
        allow_gpu_metrics=False,
    )
    tracing = trace_config()
    if tracing:
        # tritonserver gets --trace-config.
        config.trace_config = tracing
    # PyTriton's proxy gets no tracer of its own, traced or not: bind()
    # builds one for any trace_config that is not None (the models pass []),
    # which needs the OpenTelemetry packages.
    set_telemetry_tracer(NoProxyTracer())
    # PyTriton puts the statistics API behind an access token; a stock
    # tritonserver serves it openly, and imgwire reads it for server stages.
    security = TritonSecurityConfig(
        restricted_endpoints=[e for e in DEFAULT_PROTECTED_ENDPOINTS if e != "statistics"])
    with Triton(config=config, security_config=security) as triton:
        bind_models(triton)
        print(f"models {', '.join(MODELS)} served: HTTP 127.0.0.1:{http_port}, gRPC 127.0.0.1:{grpc_port}",
              flush=True)
        triton.serve()


if __name__ == "__main__":
    main()
