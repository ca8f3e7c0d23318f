"""Has NVIDIA's tritonclient call a KServe v2 server (`imgwire serve`) every
way a user of it would, and checks each answer: HTTP infer with the JPEG as
binary tensor data and as base64 text in JSON, binary and JSON outputs;
gRPC infer (raw_input_contents); server and model readiness, metadata, and
the model's statistics counting the requests sent.

Usage: check.py HTTP_URL GRPC_URL JPEG HEIGHT WIDTH [MODEL]
Prints one line a check and `N passed, N failed`; exits 1 on a failure.
"""

import base64
import sys

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

results = []


def check(what, got, want):
    ok = got == want
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {what}: {got!r}" + ("" if ok else f" (want {want!r})"))


def host_port(url):
    return url.split("://", 1)[-1].rstrip("/")


def http_infers(http, model, jpeg, want):
    """Every HTTP way tritonclient sends and reads the tensor; how many infers."""
    sent = 0
    for binary_in in (True, False):
        data = jpeg if binary_in else base64.b64encode(jpeg)
        for binary_out in (True, False, None):
            tensor = httpclient.InferInput("image", [1], "BYTES")
            tensor.set_data_from_numpy(np.array([data], dtype=object), binary_data=binary_in)
            outputs = None
            if binary_out is not None:
                outputs = [httpclient.InferRequestedOutput("size", binary_data=binary_out)]
            answer = http.infer(model, [tensor], outputs=outputs)
            sent += 1
            check(f"HTTP infer, binary input {binary_in}, binary output {binary_out}",
                  answer.as_numpy("size").tolist(), want)
    return sent


def http_checks(url, model, jpeg, want):
    http = httpclient.InferenceServerClient(host_port(url))
    check("HTTP is_server_live", http.is_server_live(), True)
    check("HTTP is_server_ready", http.is_server_ready(), True)
    check("HTTP is_model_ready", http.is_model_ready(model), True)
    check("HTTP is_model_ready (unknown model)", http.is_model_ready(model + "-nope"), False)
    server = http.get_server_metadata()
    check("HTTP server extensions", sorted(server["extensions"]), ["binary_tensor_data", "statistics"])
    metadata = http.get_model_metadata(model)
    check("HTTP model metadata inputs", metadata["inputs"], [{"name": "image", "datatype": "BYTES", "shape": [1]}])
    check("HTTP model metadata outputs", metadata["outputs"], [{"name": "size", "datatype": "INT32", "shape": [2]}])
    return http


def grpc_checks(url, model, jpeg, want):
    grpc = grpcclient.InferenceServerClient(host_port(url))
    check("gRPC is_server_live", grpc.is_server_live(), True)
    check("gRPC is_server_ready", grpc.is_server_ready(), True)
    check("gRPC is_model_ready", grpc.is_model_ready(model), True)
    metadata = grpc.get_model_metadata(model, as_json=True)
    check("gRPC model metadata input", (metadata["inputs"][0]["name"], metadata["inputs"][0]["datatype"]), ("image", "BYTES"))
    tensor = grpcclient.InferInput("image", [1], "BYTES")
    tensor.set_data_from_numpy(np.array([jpeg], dtype=object))
    answer = grpc.infer(model, [tensor])
    check("gRPC infer (raw_input_contents)", answer.as_numpy("size").tolist(), want)
    return 1


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit(__doc__)
    http_url, grpc_url, jpeg_path = sys.argv[1:4]
    want = [int(sys.argv[4]), int(sys.argv[5])]
    model = sys.argv[6] if len(sys.argv) == 7 else "decode"
    jpeg = open(jpeg_path, "rb").read()
    http = http_checks(http_url, model, jpeg, want)
    before = http.get_inference_statistics(model)["model_stats"][0]["inference_stats"]
    sent = http_infers(http, model, jpeg, want)
    sent += grpc_checks(grpc_url, model, jpeg, want)
    after = http.get_inference_statistics(model)["model_stats"][0]["inference_stats"]
    for name in ("success", "queue", "compute_input", "compute_infer", "compute_output"):
        check(f"statistics {name}.count grew by the {sent} infers sent",
              after[name]["count"] - before[name]["count"], sent)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
