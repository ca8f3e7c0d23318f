"""The seed post's gRPC server (grpc.aio): GrpcBenchmarkApiService from
the repository's proto/seed/v1/seed.proto (the schema imgwire's client is
built from), compiled at start-up; every method answers 100 random
floats and a 100-entry string->int map, decoding nothing (another answer of
the same types with SEED_ANSWER=variant: see answer.py)."""

import asyncio
import os
import sys
from pathlib import Path

import grpc
from grpc_tools import protoc

from answer import prediction
PROTO_DIR = Path(__file__).resolve().parents[2] / "proto" / "seed" / "v1"


def load_stubs(out_dir: str):
    """Compiles proto/seed/v1/seed.proto into out_dir and imports the modules."""
    os.makedirs(out_dir, exist_ok=True)
    rc = protoc.main([
        "grpc_tools.protoc", f"-I{PROTO_DIR}", f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}", str(PROTO_DIR / "seed.proto"),
    ])
    if rc != 0:
        raise SystemExit(f"protoc failed ({rc}) on {PROTO_DIR / 'seed.proto'}")
    sys.path.insert(0, out_dir)
    import seed_pb2, seed_pb2_grpc  # noqa: E402,E401
    return seed_pb2, seed_pb2_grpc


def make_servicer(pb2, pb2_grpc):
    def random_response():
        scores, labels = prediction()
        return pb2.BasicResponse(prediction1=scores, prediction2=labels)

    class Servicer(pb2_grpc.GrpcBenchmarkApiServiceServicer):
        async def BenchmarkBasicRequest(self, request, context):
            return random_response()

        async def BenchmarkB64Image(self, request, context):
            return random_response()

        async def BenchmarkBinaryImage(self, request, context):
            return random_response()

    return Servicer()


async def serve(port: int, gen_dir: str) -> None:
    pb2, pb2_grpc = load_stubs(gen_dir)
    # Messages up to 64 MiB: the seed's largest base64 JPEG is about 3 MB,
    # over grpcio's 4 MiB default once frames grow.
    options = [("grpc.max_receive_message_length", 64 << 20)]
    server = grpc.aio.server(options=options)
    pb2_grpc.add_GrpcBenchmarkApiServiceServicer_to_server(make_servicer(pb2, pb2_grpc), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print(f"seed gRPC server on 127.0.0.1:{port}", flush=True)
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), sys.argv[2]))
