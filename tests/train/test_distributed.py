"""fit under torchrun: two CPU processes (gloo) train exactly as one process on the same batches."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import torch

from cnnlib.train import fit
from cnnlib.train.loop import _local_share, distributed_context

ROOT = Path(__file__).resolve().parents[2]

# The model has no batch normalisation: each process would normalise by its own share.
SCRIPT = textwrap.dedent("""
    import sys

    import numpy as np
    import torch

    from cnnlib.train import fit
    from cnnlib.train.loop import distributed_context


    def problem():
        rng = np.random.default_rng(0)
        x = rng.standard_normal((69, 2, 6, 6)).astype(np.float32)
        y = (x[:, 0].mean(axis=(1, 2)) > x[:, 1].mean(axis=(1, 2))).astype(np.int64)
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3), torch.nn.ReLU(),
                                    torch.nn.Flatten(), torch.nn.Linear(64, 2))
        return model, (x, y)


    if __name__ == "__main__":
        model, data = problem()
        history = fit(model, data, data, epochs=2, lr=0.1, batch_size=16, optimizer="sgd",
                      momentum=0.9, schedule="cosine", device="cpu", seed=3)
        rank, world = distributed_context()
        if rank == 0:
            torch.save({"state": model.state_dict(), "history": history.as_dict(),
                        "world": world}, sys.argv[1])
        else:
            assert history.epochs == 0 and not history.train
""")


def test_local_shares_cover_each_batch_and_reweight_the_loss():
    batch = torch.arange(5)
    shares = [_local_share(batch, r, 2) for r in range(2)]
    assert [s[0].tolist() for s in shares] == [[0, 2, 4], [1, 3]]
    assert [s[1] for s in shares] == [1.2, 0.8]          # 3 * 2 / 5 and 2 * 2 / 5
    assert _local_share(torch.arange(1), 0, 2) is None
    assert _local_share(batch, 0, 1) == (batch, 1.0)
    assert distributed_context() == (0, 1)                # not launched by torchrun


def test_two_processes_under_torchrun_match_one_process(tmp_path):
    script = tmp_path / "train_ddp.py"
    script.write_text(SCRIPT)
    out = tmp_path / "ddp.pt"
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
               OMP_NUM_THREADS="1")
    env.pop("WORLD_SIZE", None)
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                          "--nproc_per_node=2", str(script), str(out)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=280)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    # only process 0 printed its progress
    assert run.stdout.count("epoch 1/2") == 1 and run.stdout.count("epoch 2/2") == 1

    namespace = {}
    exec(compile(SCRIPT, "train_ddp", "exec"), namespace)
    model, data = namespace["problem"]()
    single = fit(model, data, data, epochs=2, lr=0.1, batch_size=16, optimizer="sgd",
                 momentum=0.9, schedule="cosine", device="cpu", seed=3, progress=False)
    saved = torch.load(out, weights_only=True)
    assert saved["world"] == 2
    for key, value in model.state_dict().items():
        torch.testing.assert_close(saved["state"][key], value, rtol=1e-5, atol=1e-6)
    # the history process 0 kept covers both processes' examples: the single run's numbers
    for key, values in single.as_dict().items():
        if key != "seconds":
            np.testing.assert_allclose(saved["history"][key], values, rtol=1e-5, atol=1e-6)
