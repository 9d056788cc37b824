"""Speed benchmark of cnnlib's convolutions (run with ``make bench`` or ``python -m bench``)."""
