"""Pictures: shared figures (:mod:`cnnlib.viz.plot`), the generic slider explorer
(:mod:`cnnlib.viz.widgets`) and the chapter explorers built on it
(:mod:`cnnlib.viz.explorers`)."""
