"""cnnlib.part4.train_face_embedding trains on one thread, so every machine computes one network."""

import torch

from cnnlib import part4


def test_training_runs_on_one_thread_and_restores_the_thread_count(monkeypatch):
    seen = []
    from cnnlib import train

    real_fit = train.fit

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(train, "fit", spy)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        model, history = part4.train_face_embedding(cache=False, progress=False, epochs=1, width=2,
                                                    embedding_dim=4)
        assert seen == [1]
        assert torch.get_num_threads() == 2
        assert len(history["train_loss"]) == 1
        # the cache key does not depend on the thread count any more
        key2 = part4._fingerprint(part4.RECIPE)
        torch.set_num_threads(1)
        assert part4._fingerprint(part4.RECIPE) == key2
    finally:
        torch.set_num_threads(before)
