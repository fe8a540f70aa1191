"""Speed and accuracy benchmarks against named peers; run each as ``python -m benchmarks.<script>``."""
