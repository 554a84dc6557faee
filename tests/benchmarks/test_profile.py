"""The profile summary's sample classification (`benchmarks/profile.py`)."""

import pytest

from benchmarks.profile import classify, phase_of, summarize

UMATH = "numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so"
BLAS = "libscipy_openblas64_-32a4b2a6.so"


@pytest.mark.parametrize("frame,category", [
    (f"sgemm_kernel_SKYLAKEX ({BLAS})", "GEMM"),
    (f"sgemm_small_kernel_b0_nt_SKYLAKEX ({BLAS})", "GEMM"),
    (f"sgemv_kernel_4x8 ({BLAS})", "GEMM"),
    (f"sgemm_oncopy_SKYLAKEX ({BLAS})", "GEMM packing"),
    (f"exec_blas ({BLAS})", "GEMM sync"),
    (f"saxpby_k_SKYLAKEX ({BLAS})", "elementwise"),
    (f"daxpy_k_HASWELL ({BLAS})", "elementwise"),
    (f"inner_thread ({BLAS})", "GEMM sync"),
    (f"FLOAT_add_X86_V3 ({UMATH})", "elementwise"),
    (f"FLOAT_pairwise_sum ({UMATH})", "elementwise"),
    (f"simd_binary_less_f32 ({UMATH})", "elementwise"),
    ("expf (libm.so.6)", "elementwise"),
    (f"_aligned_contig_cast_bool_to_float ({UMATH})", "copies"),
    (f"_contig_to_contig ({UMATH})", "copies"),
    (f"raw_array_assign_array ({UMATH})", "copies"),
    ("0x7f23d698b80f (libc.so.6)", "copies"),
    (f"ufunc_generic_fastcall ({UMATH})", "NumPy calls"),
    (f"PyArray_NewFromDescr_int ({UMATH})", "NumPy calls"),
    (f"npyiter_fill_axisdata ({UMATH})", "NumPy calls"),
    ("_pcg64_pcg64_uint64 (numpy/random/_pcg64.cpython-311-x86_64-linux-gnu.so)", "random"),
    ("Layer._call_in_scope (kerasx/layers/layer.py:321)", "Python"),
    ("_wrapreduction (numpy/_core/fromnumeric.py:86)", "Python"),
    ("malloc (libc.so.6)", "other"),
])
def test_innermost_frames_fall_in_their_category(frame, category):
    assert classify(frame) == category


def test_phase_is_the_frame_under_train_step():
    loop = ["fit (kerasx/trainers/trainer.py:300)",
            "StepLoop._run_steps (kerasx/trainers/step_loop.py:38)"]
    step = loop + ["Trainer.train_step (kerasx/trainers/trainer.py:236)"]
    assert phase_of(step + ["GradientTape.gradient (kerasx/autodiff/tape.py:120)"]) == "gradient"
    assert phase_of(step + ["Layer.__call__ (kerasx/layers/layer.py:299)"]) == "forward"
    assert phase_of(step + ["Optimizer.apply (kerasx/optimizers/optimizer.py:80)"]) == "optimizer"
    assert phase_of(loop + ["ArrayBatches.epoch (kerasx/trainers/data_adapter.py:330)"]) \
        == "batches"


def test_summary_counts_only_the_step_loop(tmp_path):
    loop = "StepLoop._run_steps (kerasx/trainers/step_loop.py:38);Trainer.train_step (t.py:1)"
    raw = tmp_path / "w.raw"
    raw.write_text(
        f"{loop};GradientTape.gradient (tape.py:9);sgemm_kernel_SKYLAKEX ({BLAS}) 30\n"
        f"{loop};Layer.__call__ (layer.py:3);FLOAT_add_X86_V3 ({UMATH}) 10\n"
        "<module> (x.py:1);_find_and_load (<frozen importlib._bootstrap>:1176) 500\n")
    total, categories, phases = summarize(raw)
    assert total == 40
    assert categories == {"GEMM": 0.75, "elementwise": 0.25}
    assert phases == {"gradient": 0.75, "forward": 0.25}
