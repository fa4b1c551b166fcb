"""
=============================================
Streaming an exported model with ONNX Runtime
=============================================

A model that runs next to a sensor sees its signal a few samples at a time,
not as whole sequences.  This example fits a small
:class:`~sklstm.LSTMRegressor` that forecasts the next sample of a
heartbeat-like signal at every timestep, exports it with
:func:`sklstm.onnx.to_onnx`, and runs the exported graph in
`ONNX Runtime <https://onnxruntime.ai>`_ on a recording that arrives in
chunks of 25 samples.  The LSTM's state is an input and an output of the
graph: each chunk starts from the state the previous one ended in, so the
streamed forecasts are those of the whole recording predicted at once.

Running it needs ``pip install "sklstm[onnx]"`` (onnx and onnxruntime); the
exported file then needs neither Python nor sklstm (see :ref:`onnx_guide`).
"""

# %%
# A next-sample forecaster
# ------------------------
#
# :func:`~sklstm.datasets.make_ecg_beats` generates beats of 140 samples.
# Each training sequence is a beat without its last sample, and its target
# at step ``t`` is the sample ``t + 1``: one target per timestep, so the
# model predicts at every step (``return_sequences=True``).  Early stopping
# ends the fit once the held-out loss stops improving.

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort

from sklstm import LSTMRegressor
from sklstm.datasets import make_ecg_beats
from sklstm.onnx import make_feed, to_onnx

beats, _ = make_ecg_beats(300, anomaly_fraction=0.0, random_state=0)
X_train, y_train = beats[:, :-1, None], beats[:, 1:]

reg = LSTMRegressor(
    hidden_layer_sizes=16,
    return_sequences=True,
    learning_rate_init=0.01,
    early_stopping=True,
    n_iter_no_change=3,
    tol=1e-3,
    random_state=0,
)
reg.fit(X_train, y_train)
print(f"Epochs: {reg.n_iter_}, training R²: {reg.score(X_train, y_train):.3f}")

# %%
# Exporting the model
# -------------------
#
# The graph reads ``X`` (batch, time, features), the valid length of each
# sequence (``sequence_lens``), and the LSTM's initial state
# (``initial_h_0``, ``initial_c_0``); besides ``prediction`` it returns the
# final state (``final_h_0``, ``final_c_0``).  The recurrent layer is ONNX's
# own ``LSTM`` operator.

onnx_model = to_onnx(reg)
print("inputs: ", [i.name for i in onnx_model.graph.input])
print("outputs:", [o.name for o in onnx_model.graph.output])
print("operators:", sorted({node.op_type for node in onnx_model.graph.node}))

session = ort.InferenceSession(
    onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
)
output_names = [o.name for o in session.get_outputs()]

# %%
# The stream, chunk by chunk
# --------------------------
#
# A recording of six new beats arrives 25 samples at a time.  Each call
# gets one chunk and the state the previous call returned (zeros for the
# first); :func:`~sklstm.onnx.make_feed` builds the input arrays, turning
# the previous outputs ``final_*`` into this call's ``initial_*``.  A
# device without Python would do the same with ONNX Runtime's C, C++,
# C# or Java API.

recording = make_ecg_beats(6, anomaly_fraction=0.0, random_state=1)[0].ravel()
chunk = 25
streamed, states = [], None
for start in range(0, len(recording), chunk):
    samples = recording[start : start + chunk]
    feed = make_feed(session, samples[None, :, None], states=states)
    outputs = dict(zip(output_names, session.run(None, feed), strict=True))
    streamed.append(outputs["prediction"][0])
    states = outputs  # carried into the next chunk
streamed = np.concatenate(streamed)

# %%
# Against the batch prediction
# ----------------------------
#
# sklstm predicts the whole recording in one pass.  The streamed forecasts
# agree with it to float32 rounding: carrying the state makes the chunks
# one sequence.  (In ONNX Runtime the streamed forecasts are those of one
# call on the whole recording bit for bit; what differs from sklstm is the
# rounding of two implementations, which accumulates slowly along the 840
# steps.)

batch = reg.predict(recording[None, :, None])[0]
print(f"Largest difference, streamed vs batch: {np.abs(streamed - batch).max():.1e}")

steps = np.arange(len(recording))
fig, (ax, ax_diff) = plt.subplots(
    2, 1, figsize=(10, 5.5), sharex=True, height_ratios=[3, 1]
)
ax.plot(steps, recording, color="C7", linewidth=1, label="signal")
ax.plot(steps[1:], batch[:-1], color="C0", linewidth=2.5, label="sklstm, one batch")
ax.plot(
    steps[1:], streamed[:-1], color="C1", linestyle="--", label="ONNX Runtime, streamed"
)
for boundary in range(chunk, len(recording), chunk):
    ax.axvline(boundary, color="black", alpha=0.08, linewidth=1)
ax.set(ylabel="value", title="Next-sample forecasts (chunk boundaries in grey)")
ax.legend(loc="upper right")
ax_diff.plot(steps, streamed - batch, color="C3", linewidth=1)
ax_diff.set(xlabel="sample", ylabel="streamed − batch")
ax_diff.ticklabel_format(axis="y", style="sci", scilimits=(0, 0))
fig.tight_layout()
plt.show()
