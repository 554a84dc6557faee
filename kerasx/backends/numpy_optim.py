"""Fast NumPy optimizer updates, in place with `out=`, checked against the portable path.

Each kernel receives the optimizer's Variables (the parameter and its slots)
and rewrites their arrays in place, using one or two scratch arrays instead of
the handful of temporaries the portable expression allocates; the `*_step`
functions hold the arithmetic on plain arrays, in the portable update's order,
and `numpy_optim_many` runs them over shared buffers too. An array is only
written in place while its Variable is the sole holder: if anything else
holds it (an array the user passed to `assign`, a `get_weights()` result, a
view), the Variable first gets a private copy, so nothing outside the
optimizer ever sees its values change. The metrics' running totals are added the
same way (`add_to_variable`).

Variables of `LARGE` elements or more take some of their passes through the
BLAS's `axpby` and `axpy` where NumPy bundles one (`numpy_blas`): one pass on the
BLAS's threads for two or three NumPy passes. The values agree with NumPy's to
rounding (`m = b m + (1 - b) g` rounds differently from `m += (g - m)(1 - b)`);
smaller variables keep the NumPy passes, the same as `numpy_optim_many` runs over
their shared buffers. Inside a replayed step that owns the threads (`numpy_threads`),
the BLAS runs on one thread and Adam's and SGD's large updates are split in two
halves run at the same time.
"""

import sys

import numpy as np

from kerasx.backends.numpy_blas import level1
from kerasx.backends.numpy_threads import halves

# the size from which a variable is updated alone and through the BLAS
LARGE = 32768


def _refcount_of_value(holder):
    value = holder._value
    return sys.getrefcount(value)


class _Probe:
    __slots__ = ("_value",)


def _baseline():
    probe = _Probe()
    probe._value = np.empty(1)
    return _refcount_of_value(probe)


# references an exclusively held array has when counted by _refcount_of_value
_EXCLUSIVE = _baseline()


def is_exclusive(holder):
    """True when `holder._value` is referenced by `holder` alone."""
    return _refcount_of_value(holder) <= _EXCLUSIVE


def _writeable(value):
    return getattr(getattr(value, "flags", None), "writeable", True)


def private_buffer(var, copy=np.array):
    """The array of `var`, replaced first by a private writable copy if it is shared."""
    value = var._value
    # count first: any temporary made from `value` (even `value.flags`) holds a reference
    if sys.getrefcount(value) > _EXCLUSIVE or value.base is not None or not _writeable(value):
        value = copy(value)
        var._value = value
    return value


def add_to_variable(var, value):
    """`var += value` in the variable's own array (the metrics' running totals, every
    step): no new array, and no conversion of NumPy's scalar result back to an array."""
    p = private_buffer(var)
    np.add(p, value, out=p)


def weight_decay(param, rate):
    """`param -= param * rate`."""
    p = private_buffer(param)
    scratch = np.multiply(p, rate)
    p -= scratch


def _blas_for(param):
    """The BLAS routines for a variable of `LARGE` elements or more, else None."""
    return level1() if param._value.size >= LARGE else None


def sgd_update(param, grad, learning_rate):
    """`param -= grad * learning_rate`."""
    p = private_buffer(param)
    blas = _blas_for(param)
    if blas is not None and blas.takes(grad, p):
        halves(_sgd_blas, (grad, p), blas, learning_rate)
        return
    scratch = np.multiply(grad, learning_rate)
    p -= scratch


def _sgd_blas(grad, p, blas, learning_rate):
    blas.axpy(-learning_rate, grad, p)


def sgd_momentum_update(param, grad, m, learning_rate, momentum, nesterov):
    """`m = m * momentum - grad * lr`, then `param += m`
    (Nesterov: `param += m * momentum - grad * lr`)."""
    p, mm = private_buffer(param), private_buffer(m)
    blas = _blas_for(param)
    if blas is not None and blas.takes(grad, mm, p):
        blas.axpby(-learning_rate, grad, momentum, mm)
        if nesterov:
            blas.axpy(momentum, mm, p)
            blas.axpy(-learning_rate, grad, p)
        else:
            blas.axpy(1.0, mm, p)
        return
    step = np.multiply(grad, learning_rate)
    mm *= momentum
    mm -= step
    if nesterov:
        ahead = np.multiply(mm, momentum)
        ahead -= step
        p += ahead
    else:
        p += mm


def adam_update(param, grad, m, v, v_hat, alpha, beta_1, beta_2, epsilon):
    """One Adam (or AMSGrad, with `v_hat`) step with the bias correction in `alpha`:
    `m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); param -= alpha m / (sqrt(v) + eps)`."""
    p, mm, vv = private_buffer(param), private_buffer(m), private_buffer(v)
    hat = None if v_hat is None else private_buffer(v_hat)
    blas = _blas_for(param)
    if blas is not None and blas.takes(grad, mm, vv, p, *([] if hat is None else [hat])):
        # on the two threads of an owned replayed step, each takes half of the elements
        halves(_adam_blas, (grad, mm, vv, hat, p), blas, alpha, beta_1, beta_2, epsilon)
        return
    scratch = np.empty_like(mm)
    adam_step(grad, mm, vv, hat, scratch, alpha, beta_1, beta_2, epsilon)
    p -= scratch


def _adam_blas(grad, m, v, v_hat, p, blas, alpha, beta_1, beta_2, epsilon):
    """Adam's update on contiguous arrays, the moments as `b m + (1 - b) g` and the
    step as one `axpy`: 7 passes, not 12."""
    scratch = np.empty_like(m)
    _moments_blas(blas, grad, m, v, scratch, beta_1, beta_2)
    _ratio(m, v, v_hat, scratch, epsilon)
    blas.axpy(-alpha, scratch, p)


def adam_step(grad, m, v, v_hat, scratch, alpha, beta_1, beta_2, epsilon):
    """Updates the arrays `m`, `v` (and `v_hat`) in place and leaves the parameter's
    decrement in `scratch`."""
    _moments(grad, m, v, scratch, beta_1, beta_2)
    _ratio(m, v, v_hat, scratch, epsilon)
    scratch *= alpha


def _ratio(m, v, v_hat, scratch, epsilon):
    """`scratch = m / (sqrt(v) + epsilon)`, with `v_hat = max(v_hat, v)` in place of `v`
    for AMSGrad."""
    second = v
    if v_hat is not None:
        np.maximum(v_hat, v, out=v_hat)
        second = v_hat
    np.sqrt(second, out=scratch)
    scratch += epsilon
    np.divide(m, scratch, out=scratch)


def _moments_blas(blas, grad, m, v, scratch, beta_1, beta_2):
    """`_moments` as `m = b1 m + (1 - b1) g` and `v = b2 v + (1 - b2) g^2` (BLAS `axpby`)."""
    blas.axpby(1 - beta_1, grad, beta_1, m)
    np.multiply(grad, grad, out=scratch)
    blas.axpby(1 - beta_2, scratch, beta_2, v)


def _moments(grad, m, v, scratch, beta_1, beta_2):
    """Adam's running moments in place: `m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2)`."""
    np.subtract(grad, m, out=scratch)
    scratch *= 1 - beta_1
    m += scratch
    np.multiply(grad, grad, out=scratch)
    scratch -= v
    scratch *= 1 - beta_2
    v += scratch


def adamax_update(param, grad, m, u, learning_rate, correction, beta_1, beta_2, epsilon):
    """`m += (g - m)(1 - b1); u = max(b2 u, |g|); param -= lr m / (correction (u + eps))`."""
    p, mm, uu = private_buffer(param), private_buffer(m), private_buffer(u)
    blas = _blas_for(param)
    if blas is not None and blas.takes(grad, mm, uu, p):
        # 7 passes instead of 11: the first moment as `axpby`, the step as `axpy`
        scratch = np.empty_like(mm)
        blas.axpby(1 - beta_1, grad, beta_1, mm)
        uu *= beta_2
        np.abs(grad, out=scratch)
        np.maximum(uu, scratch, out=uu)
        np.add(uu, epsilon, out=scratch)
        np.divide(mm, scratch, out=scratch)
        blas.axpy(-learning_rate / correction, scratch, p)
        return
    p -= adamax_step(grad, mm, uu, np.empty_like(mm), learning_rate, correction, beta_1,
                     beta_2, epsilon)


def adamax_step(grad, m, u, scratch, learning_rate, correction, beta_1, beta_2, epsilon):
    """Updates `m` and `u` in place and returns the parameter's decrement (in `scratch`)."""
    np.subtract(grad, m, out=scratch)
    scratch *= 1 - beta_1
    m += scratch
    u *= beta_2
    np.abs(grad, out=scratch)
    np.maximum(u, scratch, out=u)
    np.add(u, epsilon, out=scratch)
    scratch *= correction
    np.divide(m, scratch, out=scratch)
    scratch *= learning_rate
    return scratch


def rmsprop_update(param, grad, v, m, average, learning_rate, rho, momentum, epsilon):
    """One RMSprop step (`m` is None without momentum, `average` None unless centered):
    `v = rho v + (1 - rho) g^2; param -= lr g / sqrt(v [- average^2] + eps)`, through the
    momentum slot when there is one."""
    p, vv = private_buffer(param), private_buffer(v)
    mm = None if m is None else private_buffer(m)
    aa = None if average is None else private_buffer(average)
    scratch = np.empty_like(vv)
    blas = _blas_for(param)
    if blas is not None and blas.takes(grad, vv, p, *[s for s in (mm, aa) if s is not None]):
        _rmsprop_blas(blas, p, grad, vv, mm, aa, scratch, learning_rate, rho, momentum, epsilon)
        return
    change = rmsprop_step(grad, vv, mm, aa, scratch, np.empty_like(vv), learning_rate, rho,
                          momentum, epsilon)
    p -= change


def _rmsprop_blas(blas, p, grad, v, m, average, scratch, learning_rate, rho, momentum,
                  epsilon):
    """`rmsprop_update` with the running means as `axpby` and the step as `axpy` (6 passes
    instead of 9 for the plain update)."""
    np.multiply(grad, grad, out=scratch)
    blas.axpby(1 - rho, scratch, rho, v)
    if average is None:
        np.add(v, epsilon, out=scratch)
    else:
        blas.axpby(1 - rho, grad, rho, average)
        np.multiply(average, average, out=scratch)
        np.subtract(v, scratch, out=scratch)
        scratch += epsilon
    np.sqrt(scratch, out=scratch)
    np.divide(grad, scratch, out=scratch)
    if m is None:
        blas.axpy(-learning_rate, scratch, p)
    else:
        blas.axpby(learning_rate, scratch, momentum, m)
        blas.axpy(-1.0, m, p)


def rmsprop_step(grad, v, m, average, scratch, spare, learning_rate, rho, momentum, epsilon):
    """Updates the slot arrays in place; returns the array to subtract from the parameter.

    The operations are the portable update's, in its order. `spare` is a second
    scratch array; it may be `grad` itself when the caller owns that array.
    """
    v *= rho
    np.multiply(grad, grad, out=scratch)
    scratch *= 1 - rho
    v += scratch
    if average is None:
        np.add(v, epsilon, out=scratch)
    else:
        average *= rho
        np.multiply(grad, 1 - rho, out=scratch)
        average += scratch
        np.multiply(average, average, out=scratch)
        np.subtract(v, scratch, out=scratch)
        scratch += epsilon
    np.sqrt(scratch, out=scratch)
    np.multiply(grad, learning_rate, out=spare)
    np.divide(spare, scratch, out=scratch)
    if m is None:
        return scratch
    m *= momentum
    m += scratch
    return m


def adagrad_update(param, grad, accumulator, learning_rate, epsilon):
    """`a += g^2; param -= lr g / sqrt(a + eps)`."""
    p, acc = private_buffer(param), private_buffer(accumulator)
    change = adagrad_step(grad, acc, np.empty_like(acc), np.empty_like(acc), learning_rate,
                          epsilon)
    p -= change


def adagrad_step(grad, accumulator, scratch, spare, learning_rate, epsilon):
    """Updates the accumulator in place and returns the parameter's decrement, with the
    portable update's operations in its order (`spare` may be `grad` when the caller
    owns it)."""
    np.multiply(grad, grad, out=scratch)
    accumulator += scratch
    np.add(accumulator, epsilon, out=scratch)
    np.sqrt(scratch, out=scratch)
    np.multiply(grad, learning_rate, out=spare)
    np.divide(spare, scratch, out=scratch)
    return scratch


def adadelta_update(param, grad, acc_grad, acc_delta, learning_rate, rho, epsilon):
    """`A = rho A + (1 - rho) g^2; d = -sqrt(D + eps) g / sqrt(A + eps);
    D = rho D + (1 - rho) d^2; param += lr d`."""
    p = private_buffer(param)
    ag, ad = private_buffer(acc_grad), private_buffer(acc_delta)
    change = adadelta_step(grad, ag, ad, np.empty_like(ag), np.empty_like(ag), learning_rate,
                           rho, epsilon)
    p += change


def adadelta_step(grad, acc_grad, acc_delta, scratch, spare, learning_rate, rho, epsilon):
    """Updates both accumulators in place and returns the parameter's increment (the
    portable update's operations in its order; `spare` may be `grad`)."""
    acc_grad *= rho
    np.multiply(grad, grad, out=scratch)
    scratch *= 1 - rho
    acc_grad += scratch
    np.add(acc_delta, epsilon, out=scratch)
    np.sqrt(scratch, out=scratch)
    scratch *= grad
    np.negative(scratch, out=scratch)
    np.add(acc_grad, epsilon, out=spare)
    np.sqrt(spare, out=spare)
    np.divide(scratch, spare, out=scratch)  # the step d
    acc_delta *= rho
    np.multiply(scratch, scratch, out=spare)
    spare *= 1 - rho
    acc_delta += spare
    scratch *= learning_rate
    return scratch


def nadam_update(param, grad, m, v, learning_rate, coefficients, epsilon):
    """One Nadam step; `coefficients` are `(beta_1, beta_2, u_t, u_t_1, 1 - prod_t_1,
    1 - prod_t, 1 - beta_2^t)` for this step."""
    p, mm, vv = private_buffer(param), private_buffer(m), private_buffer(v)
    blas = _blas_for(param)
    if blas is not None and blas.takes(grad, mm, vv, p):
        _nadam_blas(blas, p, grad, mm, vv, learning_rate, coefficients, epsilon)
        return
    change = nadam_step(grad, mm, vv, np.empty_like(mm), np.empty_like(mm), learning_rate,
                        coefficients, epsilon)
    p -= change


def _nadam_blas(blas, p, grad, m, v, learning_rate, coefficients, epsilon):
    """`nadam_update` with the moments and `m_hat` as `axpby`/`axpy` and the step as
    `axpy`: 10 passes instead of 16."""
    beta_1, beta_2, u_t, u_t_1, rest_t_1, rest_t, correction_2 = coefficients
    scratch, spare = np.empty_like(m), np.empty_like(m)
    _moments_blas(blas, grad, m, v, scratch, beta_1, beta_2)
    np.multiply(m, u_t_1 / rest_t_1, out=scratch)
    blas.axpy((1 - u_t) / rest_t, grad, scratch)
    np.divide(v, correction_2, out=spare)
    np.sqrt(spare, out=spare)
    spare += epsilon
    np.divide(scratch, spare, out=scratch)
    blas.axpy(-learning_rate, scratch, p)


def nadam_step(grad, m, v, scratch, spare, learning_rate, coefficients, epsilon):
    """Updates `m` and `v` in place and returns the parameter's decrement: `m_hat =
    u_t_1 m / (1 - prod_t_1) + (1 - u_t) g / (1 - prod_t)`, `v_hat = v / (1 - b2^t)`,
    `lr m_hat / (sqrt(v_hat) + eps)` (the portable update's operations in its order;
    `spare` may be `grad`)."""
    beta_1, beta_2, u_t, u_t_1, rest_t_1, rest_t, correction_2 = coefficients
    _moments(grad, m, v, scratch, beta_1, beta_2)
    np.multiply(m, u_t_1, out=scratch)
    scratch /= rest_t_1
    np.multiply(grad, 1 - u_t, out=spare)
    spare /= rest_t
    scratch += spare
    scratch *= learning_rate
    np.divide(v, correction_2, out=spare)
    np.sqrt(spare, out=spare)
    spare += epsilon
    np.divide(scratch, spare, out=scratch)
    return scratch


KERNELS = {
    "add_to_variable": add_to_variable,
    "weight_decay": weight_decay,
    "sgd_update": sgd_update,
    "sgd_momentum_update": sgd_momentum_update,
    "adam_update": adam_update,
    "adamax_update": adamax_update,
    "rmsprop_update": rmsprop_update,
    "adagrad_update": adagrad_update,
    "adadelta_update": adadelta_update,
    "nadam_update": nadam_update,
}
