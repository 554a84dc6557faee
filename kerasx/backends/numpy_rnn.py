"""Fast NumPy kernels (rnn), registered by the NumPy backend; the tests check each
against the portable array-API path in `kerasx.ops.rnn`.

Same contract as the portable `*_forward` / `*_backward` functions there, on
NumPy arrays: a forward returns `(outputs, final_states, saved)` or None when it
does not handle the options (the op then runs the portable path), and the
matching backward consumes its own `saved`. An `*_inference` kernel has the same
signature and is tried first when no gradient is needed; it keeps no per-timestep
buffers and returns `saved` as None. The speed comes from time-major
preallocated buffers, gate math done in place with `out=` (no temporaries per
step), sigmoid gates evaluated through one `tanh` over the gate row (sigmoid(x) =
0.5 tanh(x / 2) + 0.5, with the 1/2 folded into the weights), and the weight
gradients taken as one matmul over all timesteps. The kernels live in
`numpy_lstm`, `numpy_gru` and `numpy_simple_rnn`, which share `numpy_rnn_steps`.
"""

from kerasx.backends import numpy_gru, numpy_lstm, numpy_simple_rnn

KERNELS = {**numpy_lstm.KERNELS, **numpy_gru.KERNELS, **numpy_simple_rnn.KERNELS}
