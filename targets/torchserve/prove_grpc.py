"""Calls TorchServe's gRPC APIs with a JPEG and prints what they answered:
InferenceAPIsService Ping and Predictions (input {"data": JPEG}) from the
repository's proto/torchserve/v1/inference.proto, and the Open Inference
ModelInfer from proto/kserve/v2/open_inference_grpc.proto put back in
TorchServe's package (org.pytorch.serve.grpc.openinference), as TorchServe
declares it. Stubs are compiled with grpcio-tools into GEN_DIR.

Usage: prove_grpc.py GRPC_PORT GEN_DIR JPEG
"""

import os
import sys
from pathlib import Path

import grpc
import grpc_tools
from google.protobuf import empty_pb2
from grpc_tools import protoc

REPO_PROTO = Path(__file__).resolve().parents[2] / "proto"
TORCHSERVE_OIP_PACKAGE = "org.pytorch.serve.grpc.openinference"


def torchserve_open_inference(out_dir: Path) -> Path:
    """KServe's schema in the package TorchServe serves it under."""
    text = (REPO_PROTO / "kserve/v2/open_inference_grpc.proto").read_text()
    text = text.replace("\npackage inference;\n", f"\npackage {TORCHSERVE_OIP_PACKAGE};\n", 1)
    src = out_dir / "src"
    src.mkdir(parents=True, exist_ok=True)
    (src / "open_inference_grpc.proto").write_text(text)
    return src


def compile_stubs(out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    oip_dir = torchserve_open_inference(Path(out_dir))
    includes = [REPO_PROTO / "torchserve/v1", REPO_PROTO, oip_dir, well_known]
    for path in (REPO_PROTO / "torchserve/v1/inference.proto", REPO_PROTO / "google/rpc/status.proto",
                 oip_dir / "open_inference_grpc.proto"):
        rc = protoc.main(["protoc", *(f"-I{d}" for d in includes), f"--python_out={out_dir}",
                          f"--grpc_python_out={out_dir}", str(path)])
        if rc != 0:
            raise SystemExit(f"protoc failed on {path}")
    sys.path.insert(0, out_dir)


def main(port: int, gen_dir: str, jpeg_path: str) -> None:
    compile_stubs(gen_dir)
    import inference_pb2, inference_pb2_grpc, open_inference_grpc_pb2 as oip, open_inference_grpc_pb2_grpc as oip_grpc  # noqa: E401,E402

    jpeg = open(jpeg_path, "rb").read()
    print(f"JPEG {jpeg_path}: {len(jpeg)} bytes")
    options = [("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)]
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
        stub = inference_pb2_grpc.InferenceAPIsServiceStub(channel)
        print("Ping ->", stub.Ping(empty_pb2.Empty(), timeout=10))
        answer = stub.Predictions(inference_pb2.PredictionsRequest(model_name="decode", input={"data": jpeg}), timeout=30)
        print("/org.pytorch.serve.grpc.inference.InferenceAPIsService/Predictions input={'data': JPEG} -> prediction:",
              answer.prediction.decode())
        oip_stub = oip_grpc.GRPCInferenceServiceStub(channel)
        request = oip.ModelInferRequest(
            model_name="decode",
            inputs=[oip.ModelInferRequest.InferInputTensor(name="image", datatype="BYTES", shape=[1])],
            raw_input_contents=[len(jpeg).to_bytes(4, "little") + jpeg],
        )
        try:
            print("ModelInfer (raw_input_contents) ->", oip_stub.ModelInfer(request, timeout=30))
        except grpc.RpcError as err:
            print("ModelInfer (raw_input_contents) -> error", err.code(), err.details()[:300])
        request = oip.ModelInferRequest(
            model_name="decode",
            inputs=[oip.ModelInferRequest.InferInputTensor(
                name="image", datatype="BYTES", shape=[1],
                contents=oip.InferTensorContents(bytes_contents=[jpeg]))],
        )
        try:
            print("ModelInfer (contents.bytes_contents) ->", oip_stub.ModelInfer(request, timeout=30))
        except grpc.RpcError as err:
            print("ModelInfer (contents.bytes_contents) -> error", err.code(), err.details()[:300])


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
