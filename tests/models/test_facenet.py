"""FaceNet (the small embedding network) and the siamese verifier of Part 4."""

import pytest
import torch

from cnnlib.models import FaceNet, SiameseVerifier, pair_features, summary


def test_facenet_embeds_on_the_unit_sphere():
    torch.manual_seed(0)
    model = FaceNet(in_channels=3, embedding_dim=32, width=8, input_size=32).eval()
    e = model(torch.rand(5, 3, 32, 32))
    assert e.shape == (5, 32)
    assert torch.allclose(e.norm(dim=1), torch.ones(5), atol=1e-5)
    raw = FaceNet(3, 32, 8, 32, normalize=False).eval()
    raw.load_state_dict(model.state_dict())
    r = raw(torch.rand(2, 3, 32, 32))
    assert not torch.allclose(r.norm(dim=1), torch.ones(2))
    s = summary(model, (3, 32, 32))
    assert s.total_params == sum(p.numel() for p in model.parameters())
    # the fully connected layer reads 4 * width channels of (32 / 8)^2 positions
    assert model.embedding.in_features == 32 * 4 * 4
    assert FaceNet(1, 16, 4, 48).embedding.in_features == 16 * 6 * 6


def test_facenet_rejects_wrong_inputs():
    model = FaceNet(1, 8, 4, 32)
    with pytest.raises(ValueError, match=r"expects images \(N, 1, 32, 32\)"):
        model(torch.rand(2, 3, 32, 32))
    with pytest.raises(ValueError, match="divisible by 8"):
        FaceNet(input_size=30)
    with pytest.raises(TypeError, match="width"):
        FaceNet(width=1.5)


def test_siamese_verifier_shares_one_encoder():
    torch.manual_seed(0)
    enc = FaceNet(1, 16, 4, 32).eval()
    v = SiameseVerifier(enc, 16, form="abs")
    x1, x2 = torch.rand(3, 1, 32, 32), torch.rand(3, 1, 32, 32)
    logits = v(x1, x2)
    assert logits.shape == (3,)
    assert torch.allclose(logits, v(x2, x1))              # symmetric in its two images
    e1, e2 = enc(x1), enc(x2)
    want = (v.head.weight[0] * (e1 - e2).abs()).sum(1) + v.head.bias
    assert torch.allclose(logits, want, atol=1e-6)
    # one set of weights: the encoder's gradient collects both branches
    logits.sum().backward()
    assert sum(p.numel() for p in v.parameters()) == \
        sum(p.numel() for p in enc.parameters()) + 17


def test_pair_features():
    a = torch.tensor([[0.5, -0.2, 0.0]])
    b = torch.tensor([[0.1, 0.2, 0.0]])
    assert torch.allclose(pair_features(a, b, "abs"), torch.tensor([[0.4, 0.4, 0.0]]))
    chi = pair_features(a, b, "chi2", eps=0.0 + 1e-12)
    assert torch.allclose(chi, torch.tensor([[0.16 / 0.6, 0.16 / 0.4, 0.0]]), atol=1e-6)
    with pytest.raises(ValueError, match="form must be one of"):
        pair_features(a, b, "l2")
    with pytest.raises(ValueError, match="must both be"):
        pair_features(a, b[:, :2])
