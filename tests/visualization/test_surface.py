"""`keras.visualization`: Keras's five names, imported on first use without matplotlib or
Pillow."""

import os
import pathlib
import subprocess
import sys

import kerasx as keras

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_keras_names():
    assert sorted(keras.visualization.__all__) == [
        "draw_bounding_boxes", "draw_segmentation_masks", "plot_bounding_box_gallery",
        "plot_image_gallery", "plot_segmentation_mask_gallery"]
    assert all(callable(getattr(keras.visualization, name))
               for name in keras.visualization.__all__)


def test_imported_on_first_use_without_matplotlib_or_pillow():
    code = ("import sys, kerasx\n"
            "before = 'kerasx.visualization' in sys.modules\n"
            "kerasx.visualization.draw_bounding_boxes\n"
            "print(before, *(m in sys.modules for m in ('matplotlib', 'PIL')))")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout.split()
    assert out == ["False", "False", "False"]
