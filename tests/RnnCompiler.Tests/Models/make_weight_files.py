# Writes the two weight files that tests/RnnCompiler.Tests compiles into models (RnnWeights items):
#   compiled.safetensors        Keras names, for CompiledWeightsModel: Input(3) -> Gru(4) -> Dense(2)
#   compiled_torch.safetensors  PyTorch names (nn.GRU(3, 4) named "gru", nn.Linear(4, 2) named "dense"), for
#                               CompiledTorchWeightsModel, as safetensors.torch.save_file writes them
# Deterministic; run from this folder with python3 (no torch or numpy needed).
import json, math, random, struct


def write(path, tensors, metadata):
    header, data, offset = {"__metadata__": metadata}, b"", 0
    for name, shape, values in tensors:
        chunk = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(chunk)]}
        data += chunk
        offset += len(chunk)
    text = json.dumps(header).encode() if path == "compiled.safetensors" else json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


keras = []
for index, (name, shape) in enumerate([("gru/kernel", [3, 12]), ("gru/recurrent_kernel", [4, 12]), ("gru/bias", [2, 12]),
                                       ("dense/kernel", [4, 2]), ("dense/bias", [2])]):
    count = math.prod(shape)
    keras.append((name, shape, [0.5 * math.sin(1.7 * i + index) for i in range(count)]))
write("compiled.safetensors", keras, {"format": "keras", "note": "test weights: 0.5*sin(1.7*i + tensor)"})

random.seed(6)
def uniform(n, scale):
    return [random.uniform(-scale, scale) for _ in range(n)]

write("compiled_torch.safetensors", [
    ("gru.weight_ih_l0", [12, 3], uniform(36, 0.5)),   # gates r, z, n stacked: [3 * 4, input]
    ("gru.weight_hh_l0", [12, 4], uniform(48, 0.5)),   # [3 * 4, hidden]
    ("gru.bias_ih_l0", [12], uniform(12, 0.5)),
    ("gru.bias_hh_l0", [12], uniform(12, 0.5)),
    ("dense.weight", [2, 4], uniform(8, 0.5)),          # [out, in]
    ("dense.bias", [2], uniform(2, 0.5)),
], {"format": "pt"})
