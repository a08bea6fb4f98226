"""tritonclient's HTTP client against a live mlp server: python tritonclient_http.py <host:port> <model>.

Every case prints one JSON line {"case", "ok", ...}; the vitest suite (serving/test/conformance-clients.test.ts)
asserts on them. The expected probabilities come from the JSON answer, so binary and JSON are compared value by
value; a client-side exception becomes {"ok": false, "error": ...} instead of ending the run.
"""

import json
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

url, model = sys.argv[1], sys.argv[2]
client = httpclient.InferenceServerClient(url=url)
ROWS = np.array(
    [
        [0.5, 0.3, 0.8, 0.2, 0.9, 0.1, 0.7, 0.4, 0.6, 0.5, 0.3, 0.8, 0.2, 0.9, 0.1, 0.7, 0.4, 0.6, 0.5, 0.3],
        [-2.0] + [0.0] * 19,
    ]
)


def report(case, **fields):
    print(json.dumps({"case": case, **fields}), flush=True)


def run(case, fn):
    try:
        report(case, ok=True, **fn())
    except InferenceServerException as error:
        report(case, ok=False, error=error.message(), status=error.status())
    except Exception as error:  # noqa: BLE001 - any client failure is a result to report
        report(case, ok=False, error=f"{type(error).__name__}: {error}")


def infer(datatype, dtype, binary, outputs=None, **kwargs):
    tensor = httpclient.InferInput("input", list(ROWS.shape), datatype)
    tensor.set_data_from_numpy(ROWS.astype(dtype), binary_data=binary)
    requested = None if outputs is None else [httpclient.InferRequestedOutput(name, binary_data=b) for name, b in outputs]
    result = client.infer(model, [tensor], outputs=requested, **kwargs)
    answer = result.get_response()
    found = {}
    for output in answer["outputs"]:
        array = result.as_numpy(output["name"])
        found[output["name"]] = {
            "datatype": output["datatype"],
            "shape": list(array.shape),
            "binary": "binary_data_size" in output.get("parameters", {}),
            "data": array.tolist(),
        }
    return {"outputs": found, "id": answer.get("id"), "model_name": answer["model_name"]}


run("live", lambda: {"value": client.is_server_live()})
run("ready", lambda: {"value": client.is_server_ready()})
run("model_ready", lambda: {"value": client.is_model_ready(model)})
run("server_metadata", lambda: {"value": client.get_server_metadata()})
run("model_metadata", lambda: {"value": client.get_model_metadata(model)})
for datatype, dtype in [("FP32", np.float32), ("FP64", np.float64), ("INT64", np.int64)]:
    run(f"{datatype} json", lambda: infer(datatype, dtype, False, [("label", False), ("probabilities", False)]))
    run(f"{datatype} binary", lambda: infer(datatype, dtype, True))
run("binary in, json out", lambda: infer("FP32", np.float32, True, [("label", False), ("probabilities", False)]))
run("json in, binary out", lambda: infer("FP32", np.float32, False, [("probabilities", True), ("label", True)]))
run("only probabilities", lambda: infer("FP32", np.float32, True, [("probabilities", True)]))
run("request id", lambda: infer("FP32", np.float32, False, [("label", False)], request_id="req-7"))
run("gzip request", lambda: infer("FP32", np.float32, True, request_compression_algorithm="gzip"))
run("deflate request", lambda: infer("FP64", np.float64, False, [("label", False)], request_compression_algorithm="deflate"))
run("unknown model", lambda: {"value": client.get_model_metadata("churn")})


def infer_wrong_shape():
    tensor = httpclient.InferInput("input", [1, 3], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, 3), dtype=np.float32))
    return {"value": client.infer(model, [tensor]).get_response()}


run("wrong shape", infer_wrong_shape)
