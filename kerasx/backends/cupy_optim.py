"""Fused CuPy optimizer updates: one `ElementwiseKernel` launch per variable.

Same contract as `numpy_optim`: the kernels receive the Variables and update
their arrays in place (after giving a Variable a private copy if its array is
shared). CuPy compiles each kernel on its first launch. The portable
array-API update stays the reference.
"""

from kerasx.backends.numpy_optim import private_buffer

_ADAM = ("T grad, T alpha, T one_minus_b1, T one_minus_b2, T eps", "T param, T m, T v",
         """m += one_minus_b1 * (grad - m);
            v += one_minus_b2 * (grad * grad - v);
            param -= (m * alpha) / (sqrt(v) + eps);""")

_AMSGRAD = ("T grad, T alpha, T one_minus_b1, T one_minus_b2, T eps",
            "T param, T m, T v, T v_hat",
            """m += one_minus_b1 * (grad - m);
               v += one_minus_b2 * (grad * grad - v);
               v_hat = max(v_hat, v);
               param -= (m * alpha) / (sqrt(v_hat) + eps);""")

_ADAMAX = ("T grad, T lr, T correction, T one_minus_b1, T b2, T eps", "T param, T m, T u",
           """m += one_minus_b1 * (grad - m);
              u = max(b2 * u, fabs(grad));
              param -= (lr * m) / (correction * (u + eps));""")

_SGD_MOMENTUM = ("T grad, T lr, T momentum", "T param, T m",
                 """m = m * momentum - grad * lr;
                    param += m;""")

_SGD_NESTEROV = ("T grad, T lr, T momentum", "T param, T m",
                 """m = m * momentum - grad * lr;
                    param += m * momentum - grad * lr;""")

_SGD = ("T grad, T lr", "T param", "param -= grad * lr;")

_DECAY = ("T rate", "T param", "param -= param * rate;")


def kernels(cupy):
    """The fused optimizer updates for CuPy (each compiled on first use)."""
    built = {}

    def kernel(name, spec):
        if name not in built:
            built[name] = cupy.ElementwiseKernel(spec[0], spec[1], spec[2], f"kerasx_{name}")
        return built[name]

    def copy(array):
        with array.device:
            return array.copy()

    def own(var):
        return private_buffer(var, copy=copy)

    def scalar(value, like):
        return like.dtype.type(value)

    def adam_update(param, grad, m, v, v_hat, alpha, beta_1, beta_2, epsilon):
        p, mm, vv = own(param), own(m), own(v)
        args = [grad] + [scalar(x, p) for x in (alpha, 1 - beta_1, 1 - beta_2, epsilon)]
        with p.device:
            if v_hat is None:
                kernel("adam", _ADAM)(*args, p, mm, vv)
            else:
                kernel("amsgrad", _AMSGRAD)(*args, p, mm, vv, own(v_hat))

    def adamax_update(param, grad, m, u, learning_rate, correction, beta_1, beta_2, epsilon):
        p, mm, uu = own(param), own(m), own(u)
        args = [scalar(x, p) for x in (learning_rate, correction, 1 - beta_1, beta_2, epsilon)]
        with p.device:
            kernel("adamax", _ADAMAX)(grad, *args, p, mm, uu)

    def sgd_momentum_update(param, grad, m, learning_rate, momentum, nesterov):
        p, mm = own(param), own(m)
        spec = ("sgd_nesterov", _SGD_NESTEROV) if nesterov else ("sgd_momentum", _SGD_MOMENTUM)
        with p.device:
            kernel(*spec)(grad, scalar(learning_rate, p), scalar(momentum, p), p, mm)

    def sgd_update(param, grad, learning_rate):
        p = own(param)
        with p.device:
            kernel("sgd", _SGD)(grad, scalar(learning_rate, p), p)

    def weight_decay(param, rate):
        p = own(param)
        with p.device:
            kernel("weight_decay", _DECAY)(scalar(rate, p), p)

    return {"adam_update": adam_update, "adamax_update": adamax_update,
            "sgd_momentum_update": sgd_momentum_update, "sgd_update": sgd_update,
            "weight_decay": weight_decay}
