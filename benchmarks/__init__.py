"""Side-by-side speed and memory benchmarks: kerasx against PyTorch and Keras 3."""
