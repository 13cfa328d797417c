"""Writes Models/keras_files/ with h5py, laid out as Keras's own saving code lays it out, for KerasFileTests.

Run from this folder: python3 make_keras_files.py (needs h5py and numpy; Debian: apt-get install python3-h5py).
Value k of a model's flat parameter vector (Keras's get_weights order) is ((37k mod 101) - 50) / 64, exact in float32.

- deep_stack.weights.h5: Keras 3 model.save_weights (keras/src/saving/saving_lib.py: layers/<class>_<n>/[cell/]vars/<i>)
- deep_stack_tf_keras.h5: tf.keras 2.x model.save("x.h5") (tf_keras/saving/legacy/hdf5_format.py), h5py 3 strings
- deep_stack_keras22.h5: Keras 2.2 model.save_weights (keras/engine/saving.py 2.2.4), fixed-length strings (h5py 2)
- bi_lstm.keras: Keras 3 model.save("x.keras"): metadata.json, config.json, model.weights.h5, stored
DeepStack: Input(4) -> LSTM(13, rs) -> Bidirectional(GRU(3, rs, reset_after)) -> SimpleRNN(33, relu) -> Dense(5, softmax).
BiLstm3: Input(5) -> Bidirectional(LSTM(3, rs)).
"""
import io, json, zipfile
import h5py
import numpy as np

def values(shapes):
    n = sum(int(np.prod(s)) for s in shapes)
    flat = np.array([((k * 37) % 101 - 50) / 64.0 for k in range(n)], dtype=np.float32)
    out, at = [], 0
    for s in shapes:
        size = int(np.prod(s)); out.append(flat[at:at + size].reshape(s)); at += size
    return out

def recurrent(inp, units, gates, gru=False):
    w = gates * units
    return [(inp, w), (units, w), (2, w) if gru else (w,)]

# DeepStack tensors in get_weights order.
lstm = recurrent(4, 13, 4)
gru_f = recurrent(13, 3, 3, gru=True); gru_b = recurrent(13, 3, 3, gru=True)
rnn = recurrent(6, 33, 1)
dense = [(33, 5), (5,)]
deep = values(lstm + gru_f + gru_b + rnn + dense)
L, GF, GB, R, D = deep[0:3], deep[3:6], deep[6:9], deep[9:12], deep[12:14]

def vars_group(f, path, name, tensors):
    g = f.require_group(path + "/vars"); g.attrs["name"] = name
    for i, t in enumerate(tensors): g[str(i)] = t

def keras3_deep(f):
    f.require_group("vars").attrs["name"] = "sequential"
    vars_group(f, "layers/lstm", "lstm", []); vars_group(f, "layers/lstm/cell", "lstm_cell", L)
    vars_group(f, "layers/bidirectional", "bidirectional", [])
    vars_group(f, "layers/bidirectional/forward_layer", "forward_gru", []); vars_group(f, "layers/bidirectional/forward_layer/cell", "gru_cell", GF)
    vars_group(f, "layers/bidirectional/backward_layer", "backward_gru", []); vars_group(f, "layers/bidirectional/backward_layer/cell", "gru_cell", GB)
    vars_group(f, "layers/simple_rnn", "simple_rnn", []); vars_group(f, "layers/simple_rnn/cell", "simple_rnn_cell", R)
    vars_group(f, "layers/dense", "dense", D)

with h5py.File("keras_files/deep_stack.weights.h5", "w") as f:
    keras3_deep(f)

def rnn_config(cls, name, units, rs, act="tanh", rec="sigmoid", reset_after=None):
    c = {"name": name, "trainable": True, "return_sequences": rs, "return_state": False, "go_backwards": False,
         "stateful": False, "unroll": False, "time_major": False, "units": units, "activation": act, "use_bias": True,
         "dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 2}
    if rec is not None: c["recurrent_activation"] = rec
    if reset_after is not None: c["reset_after"] = reset_after
    return {"class_name": cls, "config": c}

legacy_config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 10, 4], "dtype": "float32", "name": "lstm_input"}},
    rnn_config("LSTM", "lstm", 13, True),
    {"class_name": "Bidirectional", "config": {"name": "bidirectional", "merge_mode": "concat",
        "layer": rnn_config("GRU", "gru", 3, True, reset_after=True)}},
    rnn_config("SimpleRNN", "simple_rnn", 33, False, act="relu", rec=None),
    {"class_name": "Dense", "config": {"name": "dense", "units": 5, "activation": "softmax", "use_bias": True}}]}}

with h5py.File("keras_files/deep_stack_tf_keras.h5", "w") as f:
    f.attrs["keras_version"] = "2.15.0"; f.attrs["backend"] = "tensorflow"
    f.attrs["model_config"] = json.dumps(legacy_config).encode("utf8")
    mw = f.create_group("model_weights")
    mw.attrs["layer_names"] = [b"lstm", b"bidirectional", b"simple_rnn", b"dense"]
    mw.attrs["backend"] = b"tensorflow"; mw.attrs["keras_version"] = b"2.15.0"
    layers = {
        "lstm": [("lstm/lstm_cell/" + n, t) for n, t in zip(["kernel:0", "recurrent_kernel:0", "bias:0"], L)],
        "bidirectional": [("bidirectional/forward_gru/gru_cell/" + n, t) for n, t in zip(["kernel:0", "recurrent_kernel:0", "bias:0"], GF)]
                       + [("bidirectional/backward_gru/gru_cell/" + n, t) for n, t in zip(["kernel:0", "recurrent_kernel:0", "bias:0"], GB)],
        "simple_rnn": [("simple_rnn/simple_rnn_cell/" + n, t) for n, t in zip(["kernel:0", "recurrent_kernel:0", "bias:0"], R)],
        "dense": [("dense/" + n, t) for n, t in zip(["kernel:0", "bias:0"], D)],
    }
    for name in sorted(layers):
        g = mw.create_group(name)
        g.attrs["weight_names"] = [n.encode("utf8") for n, _ in layers[name]]
        for n, t in layers[name]: g.create_dataset(n, t.shape, dtype=t.dtype)[:] = t
    f.create_group("optimizer_weights")

with h5py.File("keras_files/deep_stack_keras22.h5", "w") as f:
    f.attrs["layer_names"] = np.array([b"lstm_1", b"bidirectional_1", b"simple_rnn_1", b"dense_1"])
    f.attrs["backend"] = b"tensorflow"; f.attrs["keras_version"] = b"2.2.4"
    layers = {
        "lstm_1": [("lstm_1/" + n, t) for n, t in zip(["kernel:0", "recurrent_kernel:0", "bias:0"], L)],
        "bidirectional_1": [("bidirectional_1/forward_gru_1/" + n, t) for n, t in zip(["kernel:0", "recurrent_kernel:0", "bias:0"], GF)]
                         + [("bidirectional_1/backward_gru_1/" + n, t) for n, t in zip(["kernel:0", "recurrent_kernel:0", "bias:0"], GB)],
        "simple_rnn_1": [("simple_rnn_1/" + n, t) for n, t in zip(["kernel:0", "recurrent_kernel:0", "bias:0"], R)],
        "dense_1": [("dense_1/" + n, t) for n, t in zip(["kernel:0", "bias:0"], D)],
    }
    for name in sorted(layers):
        g = f.create_group(name)
        g.attrs["weight_names"] = np.array([n.encode("utf8") for n, _ in layers[name]])
        for n, t in layers[name]: g.create_dataset(n, t.shape, dtype=t.dtype)[:] = t

# BiLstm3 as a Keras 3 .keras archive.
bi = values(recurrent(5, 3, 4) + recurrent(5, 3, 4))
policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
lstm_cfg = {"module": "keras.layers", "class_name": "LSTM", "registered_name": None, "config": {
    "name": "forward_lstm", "trainable": True, "dtype": policy, "return_sequences": True, "return_state": False,
    "go_backwards": False, "stateful": False, "unroll": False, "zero_output_for_mask": False, "units": 3,
    "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True, "unit_forget_bias": True,
    "dropout": 0.0, "recurrent_dropout": 0.0, "seed": None}}
config = {"module": "keras", "class_name": "Sequential", "registered_name": None, "config": {
    "name": "sequential", "trainable": True, "dtype": policy, "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
         "config": {"batch_shape": [None, 9, 5], "dtype": "float32", "sparse": False, "ragged": False, "name": "input_layer", "optional": False}},
        {"module": "keras.layers", "class_name": "Bidirectional", "registered_name": None,
         "build_config": {"input_shape": [None, 9, 5]},
         "config": {"name": "bidirectional", "trainable": True, "dtype": policy, "merge_mode": "concat", "layer": lstm_cfg,
                    "backward_layer": dict(lstm_cfg, config=dict(lstm_cfg["config"], name="backward_lstm", go_backwards=True))}}]},
    "build_config": {"input_shape": [None, 9, 5]}}
buffer = io.BytesIO()
with h5py.File(buffer, "w") as f:
    f.require_group("vars").attrs["name"] = "sequential"
    vars_group(f, "layers/bidirectional", "bidirectional", [])
    vars_group(f, "layers/bidirectional/forward_layer", "forward_lstm", []); vars_group(f, "layers/bidirectional/forward_layer/cell", "lstm_cell", bi[0:3])
    vars_group(f, "layers/bidirectional/backward_layer", "backward_lstm", []); vars_group(f, "layers/bidirectional/backward_layer/cell", "lstm_cell", bi[3:6])
with zipfile.ZipFile("keras_files/bi_lstm.keras", "w") as z:
    z.writestr("metadata.json", json.dumps({"keras_version": "3.8.0", "date_saved": "2026-03-03@12:00:00"}))
    z.writestr("config.json", json.dumps(config))
    z.writestr("model.weights.h5", buffer.getvalue())
print("written")
