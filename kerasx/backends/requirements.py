"""The versions of the required libraries that kerasx checks at import."""


def check_numpy_version(version):
    """Raises ImportError for a NumPy older than 2.0.

    kerasx's float32 arithmetic relies on NumPy 2's promotion rules (NEP 50): under
    NumPy 1.x a float32 scalar, such as a summed loss, times a Python float becomes
    float64, and float64 would spread through the losses, penalties and gradients.
    """
    major = int(str(version).split(".")[0])
    if major < 2:
        raise ImportError(
            f"kerasx needs NumPy 2.0 or newer, but NumPy {version} is installed. Under NumPy "
            "1.x a float32 scalar times a Python float is float64, which would turn float32 "
            "losses and gradients into float64. Upgrade with: pip install -U 'numpy>=2'"
        )
