"""tritonclient's gRPC client against a live mlp server: python tritonclient_grpc.py <host:port> <model>.

Prints one JSON line per case, as tritonclient_http.py does; serving/test/conformance-clients.test.ts asserts on them.
"""

import json
import sys

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

url, model = sys.argv[1], sys.argv[2]
client = grpcclient.InferenceServerClient(url=url)
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


def infer(datatype, dtype, outputs=None, **kwargs):
    tensor = grpcclient.InferInput("input", list(ROWS.shape), datatype)
    tensor.set_data_from_numpy(ROWS.astype(dtype))
    requested = None if outputs is None else [grpcclient.InferRequestedOutput(name) for name in outputs]
    result = client.infer(model, [tensor], outputs=requested, **kwargs)
    answer = result.get_response(as_json=True)
    found = {}
    for output in answer["outputs"]:
        array = result.as_numpy(output["name"])
        found[output["name"]] = {"datatype": output["datatype"], "shape": list(array.shape), "data": array.tolist()}
    return {"outputs": found, "id": answer.get("id"), "model_name": answer["model_name"]}


def wrong_shape():
    tensor = grpcclient.InferInput("input", [1, 3], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, 3), dtype=np.float32))
    return {"value": client.infer(model, [tensor]).get_response(as_json=True)}


run("live", lambda: {"value": client.is_server_live()})
run("ready", lambda: {"value": client.is_server_ready()})
run("model_ready", lambda: {"value": client.is_model_ready(model)})
run("server_metadata", lambda: {"value": client.get_server_metadata(as_json=True)})
run("model_metadata", lambda: {"value": client.get_model_metadata(model, as_json=True)})
for datatype, dtype in [("FP32", np.float32), ("FP64", np.float64), ("INT64", np.int64), ("FP16", np.float16)]:
    run(f"{datatype} raw", lambda: infer(datatype, dtype))
run("only probabilities", lambda: infer("FP32", np.float32, ["probabilities"]))
run("request id", lambda: infer("FP32", np.float32, ["label"], request_id="req-7"))
run("unknown model", lambda: {"value": client.get_model_metadata("churn", as_json=True)})
run("wrong shape", wrong_shape)
