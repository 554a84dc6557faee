"""Golden values of Keras 3's linear-algebra and Fourier ops (`keras.ops.linalg.*`,
`slogdet`, `logdet`, `fft`, `fft2`, `ifft2`, `rfft`, `irfft`, `stft`, `istft`) and JAX
gradients of them.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_linalg_fft.py
"""

import numpy as np

import keras
from make_golden import Golden, f32, to_np

# Each case is `name -> (op, inputs, config, view)`: `view` names a sign-free function of
# the outputs where a factorization is defined up to signs (see VIEWS); `pair` ops take
# their first two inputs as a (real, imag) tuple.
PAIR_OPS = {"fft", "fft2", "ifft2", "irfft", "istft"}


def _views():
    from keras import ops

    return {
        "eigh": lambda w, v: (w, ops.square(v)),
        "svd": lambda u, s, vh: (ops.square(u), s, ops.square(vh)),
        "qr": lambda q, r: (ops.abs(q), ops.abs(r)),
    }


def _inputs(rng):
    def well(*shape):
        return f32(rng.normal(0, 1, shape) + 3.0 * np.eye(shape[-1]))

    def spd(*shape):
        a = rng.normal(0, 1, shape)
        return f32(a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1]))

    def spread(*shape):
        q, _ = np.linalg.qr(rng.normal(0, 1, shape))
        return f32((q * np.arange(1.0, shape[-1] + 1)) @ np.swapaxes(q, -1, -2))

    spd3 = spd(2, 3, 3)
    lower = f32(np.linalg.cholesky(spd3))
    tall = f32(rng.normal(0, 1, (2, 4, 3)))
    wide = f32(np.swapaxes(tall, -1, -2))
    signal = f32(rng.normal(0, 1, (2, 29)))
    re, im = f32(rng.normal(0, 1, (2, 3, 6))), f32(rng.normal(0, 1, (2, 3, 6)))
    window = f32(rng.uniform(0.5, 1.0, 6))
    stfts = {
        "center_hann": dict(sequence_length=8, sequence_stride=4, fft_length=16),
        "hamming_no_center": dict(sequence_length=8, sequence_stride=3, fft_length=8,
                                  window="hamming", center=False),
        "no_window_odd": dict(sequence_length=7, sequence_stride=2, fft_length=9, window=None),
    }
    cases = {
        "inv": ("inv", [well(2, 3, 3)], {}, None),
        "det": ("det", [well(2, 3, 3)], {}, None),
        "slogdet": ("slogdet", [well(2, 3, 3) - 3.5 * np.eye(3, dtype="float32")], {}, None),
        "logdet": ("logdet", [spd(3, 3)], {}, None),
        "solve": ("solve", [well(2, 3, 3), f32(rng.normal(0, 1, (2, 3, 2)))], {}, None),
        "solve_vector": ("solve", [well(3, 3), f32(rng.normal(0, 1, 3))], {}, None),
        "solve_triangular_lower": ("solve_triangular", [well(2, 3, 3),
                                                        f32(rng.normal(0, 1, (2, 3, 2)))],
                                   {"lower": True}, None),
        "solve_triangular_upper_vectors": ("solve_triangular",
                                           [well(2, 3, 3), f32(rng.normal(0, 1, (2, 3)))],
                                           {"lower": False}, None),
        "cholesky": ("cholesky", [spd3], {}, None),
        "cholesky_upper": ("cholesky", [spd3], {"upper": True}, None),
        "cholesky_non_symmetric": ("cholesky", [spd3 + f32(0.3 * rng.normal(0, 1, (2, 3, 3)))],
                                   {}, None),
        "cholesky_inverse": ("cholesky_inverse", [lower[0]], {}, None),
        "cholesky_inverse_upper": ("cholesky_inverse", [np.ascontiguousarray(lower[0].T)],
                                   {"upper": True}, None),
        "pinv": ("pinv", [tall], {}, None),
        "lstsq": ("lstsq", [tall[0], f32(rng.normal(0, 1, (4, 2)))], {}, None),
        "eigh": ("eigh", [spread(2, 4, 4)], {}, "eigh"),
        "eigh_non_symmetric": ("eigh", [spread(4, 4) + f32(0.1 * rng.normal(0, 1, (4, 4)))],
                               {}, "eigh"),
        "svd_tall": ("svd", [tall], {"full_matrices": False}, "svd"),
        "svd_wide": ("svd", [wide], {"full_matrices": False}, "svd"),
        "svd_values": ("svd", [tall], {"compute_uv": False}, None),
        "qr_tall": ("qr", [tall], {}, "qr"),
        "qr_wide": ("qr", [wide], {}, "qr"),
        "lu_factor": ("lu_factor", [f32(rng.normal(0, 1, (2, 4, 4)))], {}, None),
        "matrix_rank": ("matrix_rank", [f32(np.stack([np.diag([1.0, 1e-3, 0.0]),
                                                      np.ones((3, 3))]))], {}, None),
        "fft": ("fft", [re, im], {}, None),
        "fft2": ("fft2", [re, im], {}, None),
        "ifft2": ("ifft2", [re, im], {}, None),
        "rfft_padded": ("rfft", [re], {"fft_length": 11}, None),
        "irfft_odd": ("irfft", [re, im], {"fft_length": 11}, None),
        "irfft": ("irfft", [re, im], {}, None),
        "stft_window_array": ("stft", [signal], dict(sequence_length=6, sequence_stride=5,
                                                     fft_length=8, window=window), None),
    }
    for key, settings in stfts.items():
        cases[f"stft_{key}"] = ("stft", [signal], settings, None)
        re_s, im_s = (to_np(t) for t in keras.ops.stft(signal, **settings))
        cases[f"istft_{key}"] = ("istft", [re_s, im_s], settings, None)
    cases["istft_length"] = ("istft", [to_np(t) for t in keras.ops.stft(signal, 8, 4, 16)],
                             dict(sequence_length=8, sequence_stride=4, fft_length=16,
                                  length=20), None)
    return cases


def make_linalg_fft():
    import jax
    import jax.numpy as jnp

    g = Golden(
        "linalg_fft",
        seed=61,
        description=(
            "out<i> = the i-th output of keras.ops.<op>(*inputs, **config) (pair ops take "
            "(x0, x1) as the (real, imag) tuple; 'view' cases store w, v**2 (eigh), u**2, s, "
            "vh**2 (svd) or |q|, |r| (qr)); grad<j> = d sum_i sum(out<i> * proj<i>) / d x<j> "
            "(jax.grad) over the float outputs, for differentiable ops."),
    )
    rng = np.random.default_rng(61)
    views = _views()
    not_differentiable = {"lu_factor", "matrix_rank"}
    for name, (op, inputs, config, view) in _inputs(rng).items():
        fn = getattr(keras.ops, op)

        def outputs(*xs, fn=fn, op=op, config=config, view=view):
            args = [(xs[0], xs[1]), *xs[2:]] if op in PAIR_OPS else list(xs)
            out = fn(*args, **config)
            out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
            return views[view](*out) if view else out

        outs = [to_np(o) for o in outputs(*inputs)]
        arrays = {f"x{j}": x for j, x in enumerate(inputs)}
        arrays.update({f"out{i}": o for i, o in enumerate(outs)})
        if op not in not_differentiable:
            projections = [f32(rng.normal(0, 1, o.shape)) if o.dtype.kind == "f" else None
                           for o in outs]

            def total(*xs, outputs=outputs, projections=projections):
                return sum(jnp.sum(o * p) for o, p in zip(outputs(*xs), projections)
                           if p is not None)

            grads = jax.grad(total, argnums=tuple(range(len(inputs))))(
                *[jnp.asarray(x) for x in inputs])
            arrays.update({f"proj{i}": p for i, p in enumerate(projections) if p is not None})
            arrays.update({f"grad{j}": to_np(gr) for j, gr in enumerate(grads)})
        config = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in config.items()}
        g.add(name, op, "keras.ops", config, arrays, view=view, pair=op in PAIR_OPS,
              n_inputs=len(inputs), n_outputs=len(outs))
    g.write()


if __name__ == "__main__":
    make_linalg_fft()
