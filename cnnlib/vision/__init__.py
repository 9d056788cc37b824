"""Computer-vision tasks beyond classification: detection, landmarks and segmentation
(Part 3), face verification and recognition (Part 4), style transfer and what units learn (Part 5).

The box arithmetic itself (formats, IoU, NMS, RoI pooling) is an op and lives with the other
twins in :mod:`cnnlib.numpy_ops` and :mod:`cnnlib.torch_ops`. This package builds on it:

- :mod:`~cnnlib.vision.localization`: the course's target vector
  ``y = [p_c, b_x, b_y, b_h, b_w, c_1 .. c_n]`` and its loss (section 3.1);
- :mod:`~cnnlib.vision.landmarks`: landmark targets and the normalised mean error (3.2);
- :mod:`~cnnlib.vision.windows`: sliding windows and the crops a window classifier learns
  from (3.3, 3.4);
- :mod:`~cnnlib.vision.yolo`: the YOLO grid encoding and decoding, its loss as a task for
  :func:`cnnlib.train.fit`, and detection from raw network output (3.5, 3.9);
- :mod:`~cnnlib.vision.anchors`: anchor boxes on a grid, matching, k-means with the
  1 - IoU distance, the RPN's labelling rule (3.8, 3.10);
- :mod:`~cnnlib.vision.evaluation`: precision, recall and average precision, and COCO-style
  mAP through ``pycocotools`` (3.9);
- :mod:`~cnnlib.vision.proposals`: selective-search-like region proposals (3.10);
- :mod:`~cnnlib.vision.segmentation`: per-class IoU and mean IoU of label maps (3.11).

Part 4 adds:

- :mod:`~cnnlib.vision.embeddings`: triplets and pairs for training an embedding, and the
  identities-by-images batches they need;
- :mod:`~cnnlib.vision.verification`: face verification and identification measured in NumPy
  (ROC, AUC, true accept rate at a false accept rate, N-way one-shot accuracy).

Part 5 adds :mod:`~cnnlib.vision.extractors` (the feature extractors: random filters, a network
trained in the book, real VGG weights), :mod:`~cnnlib.vision.style` (neural style transfer,
texture synthesis, reconstructions) and :mod:`~cnnlib.vision.features` (what the units of a
trained network respond to).
"""
from . import embeddings, verification  # noqa: F401
from . import extractors, features, style  # noqa: F401
