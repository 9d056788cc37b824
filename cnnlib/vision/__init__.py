"""Vision beyond classification: the pieces Parts 3 to 5 build on a network's features.

:mod:`cnnlib.vision.embeddings` chooses triplets and pairs for training an embedding and makes
the identities-by-images batches they need; :mod:`cnnlib.vision.verification` measures face
verification and identification (ROC, AUC, true accept rate at a false accept rate, N-way
one-shot accuracy) in NumPy (Part 4).
"""
from . import embeddings, verification  # noqa: F401
