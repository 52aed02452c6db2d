"""The multi-GPU path readers would take: ``accelerate launch`` over kexue.train, here two CPU processes.

``accelerate launch --cpu --num_processes 2`` starts a single process (accelerate 1.x runs several CPU processes
only through mpirun); ``--multi_gpu`` starts two through torchrun, and kexue.train's ``cpu=True`` then trains on
the CPU with the gloo backend -- the same launcher and code path as on several GPUs."""

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

JOB = Path(__file__).with_name("distributed_job.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(command: list[str], out: Path) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([*command, str(JOB), str(out)], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return json.loads(out.read_text())


def test_two_processes_train_to_the_result_of_one(tmp_path):
    one = _run([sys.executable], tmp_path / "one.json")
    launcher = shutil.which("accelerate", path=os.path.dirname(sys.executable)) or "accelerate"
    two = _run([launcher, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
                "--dynamo_backend", "no", "--main_process_port", str(_free_port())], tmp_path / "two.json")
    assert (one["processes"], two["processes"]) == (1, 2)
    assert one["accuracy"] > 0.9 and two["accuracy"] > 0.9  # the blobs are 1.5 apart per axis: ~0.99 is reachable
    assert abs(one["accuracy"] - two["accuracy"]) < 0.03, (one, two)
    assert abs(one["loss"] - two["loss"]) < 0.1, (one, two)
