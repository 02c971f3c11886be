"""IDX reading and validation, the data search order, and the verified downloader."""

from __future__ import annotations

import gzip
import os
import shutil
import time

import numpy as np
import pytest

from digitpad.core import data
from digitpad.core.data import (
    DatasetError,
    download_mnist,
    find_mnist_dir,
    load_split,
    parse_idx,
    read_images,
    read_labels,
)

from ..httpserver import closed_port_url, serve_folder


def idx_bytes(magic: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    head = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    return head + payload


def test_parse_good_idx(tmp_path):
    raw = idx_bytes(2051, (2, 28, 28), bytes(range(256)) * 6 + bytes(32))
    images = parse_idx(raw, tmp_path / "x", 2051)
    assert images.shape == (2, 28, 28) and images.dtype == np.uint8


def test_wrong_magic_names_the_file(tmp_path):
    path = tmp_path / "labels.idx"
    path.write_bytes(idx_bytes(2049, (3,), bytes([1, 2, 3])))
    with pytest.raises(DatasetError, match="labels.idx: magic number 2049 where 2051"):
        read_images(path)


def test_declared_size_mismatch(tmp_path):
    path = tmp_path / "short.gz"
    path.write_bytes(gzip.compress(idx_bytes(2049, (5,), bytes([1, 2, 3]))))
    with pytest.raises(DatasetError, match=r"short.gz: header declares \(5,\) = 5 bytes.*has 3"):
        read_labels(path)


def test_label_out_of_range(tmp_path):
    path = tmp_path / "bad-labels"
    path.write_bytes(idx_bytes(2049, (3,), bytes([1, 12, 3])))
    with pytest.raises(DatasetError, match="label 12 is outside 0-9"):
        read_labels(path)


def test_images_must_be_28x28(tmp_path):
    path = tmp_path / "small"
    path.write_bytes(idx_bytes(2051, (1, 2, 2), bytes(4)))
    with pytest.raises(DatasetError, match="28x28"):
        read_images(path)


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "broken.gz"
    labels = np.random.default_rng(0).integers(0, 10, 5000, dtype=np.uint8)
    payload = idx_bytes(2049, (5000,), labels.tobytes())
    compressed = gzip.compress(payload)
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(DatasetError, match="broken.gz: corrupt gzip"):
        read_labels(path)


def test_truncated_header(tmp_path):
    path = tmp_path / "tiny"
    path.write_bytes(b"\x00\x00")
    with pytest.raises(DatasetError, match="too short"):
        read_labels(path)


def test_label_count_must_match_images(tmp_path, mnist_dir):
    for stem in ("t10k-images-idx3-ubyte.gz",):
        shutil.copy(mnist_dir / stem, tmp_path / stem)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(2049, (3,), bytes(3)))
    with pytest.raises(DatasetError, match="3 labels for 10000 images"):
        load_split(tmp_path, "test")


def test_real_mnist_matches_known_facts(mnist_train, mnist_test):
    assert mnist_train.images.shape == (60000, 28, 28)
    assert np.bincount(mnist_train.labels).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert np.bincount(mnist_test.labels).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]
    assert mnist_train.labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert mnist_test.labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    pixels = mnist_train.as_float()
    assert float(pixels.mean()) == pytest.approx(0.1307, abs=1e-4)
    assert float(pixels.std()) == pytest.approx(0.3081, abs=1e-4)
    assert mnist_train.sha256 == data.SHA256["train-images-idx3-ubyte"]


# -- where the data is found -------------------------------------------------------------


def test_search_order(tmp_path, mnist_dir, monkeypatch):
    monkeypatch.setattr(data, "user_data_dir", lambda: tmp_path / "user")
    env = {data.ENV_VAR: str(mnist_dir)}
    assert find_mnist_dir(str(mnist_dir), environ={}) == mnist_dir
    assert find_mnist_dir(None, environ=env) == mnist_dir
    with pytest.raises(DatasetError, match="empty.*--data"):
        (tmp_path / "empty").mkdir()
        find_mnist_dir(str(tmp_path / "empty"), environ=env)
    with pytest.raises(DatasetError, match="digitpad data download"):
        find_mnist_dir(None, environ={})
    user = tmp_path / "user" / "mnist"
    user.mkdir(parents=True)
    for stem in data.FILES.values():
        shutil.copy(mnist_dir / f"{stem}.gz", user)
    assert find_mnist_dir(None, environ={}) == user


def test_env_folder_without_data_is_named(tmp_path):
    with pytest.raises(DatasetError, match=f"{tmp_path}.*{data.ENV_VAR}"):
        find_mnist_dir(None, environ={data.ENV_VAR: str(tmp_path)})


# -- downloading -------------------------------------------------------------------------


@pytest.fixture
def corrupt_mirror(tmp_path):
    folder = tmp_path / "corrupt-mirror"
    folder.mkdir()
    for stem in data.FILES.values():
        (folder / f"{stem}.gz").write_bytes(gzip.compress(b"not mnist at all " * 100))
    return folder


def test_download_from_local_mirror_verifies_and_writes(tmp_path, mnist_dir):
    target = tmp_path / "downloaded"
    seen = []
    with serve_folder(mnist_dir) as url:
        folder = download_mnist(
            target, mirrors=(url,), progress=lambda name, done, total: seen.append(name)
        )
    assert folder == target
    assert sorted(p.name for p in target.iterdir()) == sorted(
        f"{stem}.gz" for stem in data.FILES.values()
    )
    assert load_split(target, "test").labels[:3].tolist() == [7, 2, 1]
    assert sorted(set(seen)) == sorted(f"{stem}.gz" for stem in data.FILES.values())


def test_corrupted_mirror_falls_back_to_the_next(tmp_path, mnist_dir, corrupt_mirror):
    target = tmp_path / "downloaded"
    with serve_folder(corrupt_mirror) as bad, serve_folder(mnist_dir) as good:
        download_mnist(target, mirrors=(bad, good))
    assert find_mnist_dir(str(target), environ={}) == target


def test_corrupted_download_leaves_nothing_that_looks_valid(tmp_path, corrupt_mirror):
    target = tmp_path / "downloaded"
    with serve_folder(corrupt_mirror) as bad, pytest.raises(DatasetError) as info:
        download_mnist(target, mirrors=(bad,))
    assert "SHA-256" in str(info.value) and "train-images-idx3-ubyte.gz" in str(info.value)
    assert list(target.iterdir()) == []


def test_offline_fails_fast_with_advice(tmp_path):
    with pytest.raises(DatasetError, match="offline.*--data DIR"):
        download_mnist(tmp_path / "d", mirrors=(closed_port_url(),), timeout=2)
    assert list((tmp_path / "d").iterdir()) == []


def test_cancelled_download_leaves_nothing(tmp_path, mnist_dir):
    target = tmp_path / "downloaded"
    with serve_folder(mnist_dir) as url, pytest.raises(data.DownloadCancelled):
        download_mnist(target, mirrors=(url,), should_stop=lambda: True)
    assert list(target.iterdir()) == []


def test_leftovers_of_a_killed_download_are_removed(tmp_path, mnist_dir):
    target = tmp_path / "d"
    target.mkdir()
    leftover = target / ".train-images-idx3-ubyte.gz.abc.part"
    leftover.write_bytes(b"half a file")
    os.utime(leftover, (1_000_000_000, 1_000_000_000))  # from a download killed long ago
    theirs = target / ".holiday-video.mp4.part"  # another program's download: not ours
    theirs.write_bytes(b"someone else's")
    with serve_folder(mnist_dir) as url:
        download_mnist(target, mirrors=(url,))
    assert not leftover.exists() and theirs.exists()
    assert len(list(target.iterdir())) == 5


def test_existing_valid_files_are_kept(tmp_path, mnist_dir):
    target = tmp_path / "d"
    target.mkdir()
    for stem in data.FILES.values():
        shutil.copy(mnist_dir / f"{stem}.gz", target)
    # No mirror is reachable, yet nothing needs fetching.
    assert download_mnist(target, mirrors=(closed_port_url(),)) == target


# -- misbehaving servers (issue 10, class 3) ------------------------------------------------


@pytest.mark.parametrize(
    "mode,words",
    [
        ("trickle", "took longer than 2 s"),
        ("endless", "sent more than"),
        ("garbage", "NOT HTTP AT ALL"),
        ("headers", "got more than 100 headers"),
        ("oversize", "offers 1,000,000,000,000 bytes"),
        ("missing", "HTTP 404 Not Found"),
    ],
)
def test_a_misbehaving_mirror_fails_in_bounded_time_and_the_next_is_tried(
    tmp_path, mnist_dir, mode, words
):
    from ..httpserver import misbehaving_server

    target = tmp_path / "d"
    start = time.monotonic()
    with misbehaving_server(mode) as bad, pytest.raises(DatasetError) as info:
        download_mnist(target, mirrors=(bad,), timeout=2, deadline=2)
    message = str(info.value)
    assert words in message and "offline" not in message  # it answered: not offline
    assert time.monotonic() - start < 30
    assert list(target.iterdir()) == []  # no partial file left
    with misbehaving_server(mode) as bad, serve_folder(mnist_dir) as good:
        download_mnist(target, mirrors=(bad, good), timeout=2, deadline=2)
    assert find_mnist_dir(str(target), environ={}) == target


def test_a_small_gzip_that_inflates_past_any_mnist_file_is_refused(tmp_path):
    import gzip as gz

    bomb = tmp_path / "train-images-idx3-ubyte.gz"
    with gz.open(bomb, "wb") as out:
        header = (
            (2051).to_bytes(4, "big") + (200_000).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
        )
        out.write(header)
        block = b"\0" * (1 << 20)
        for _ in range(160):  # 160 MB of zeros: about 160 KB on disk
            out.write(block)
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(DatasetError, match="more than 67,108,864 bytes"):
        read_images(bomb)


def test_an_empty_test_set_is_refused_not_scored_zero(tmp_path, mnist_dir):
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        shutil.copy(mnist_dir / f"{stem}.gz", tmp_path)
    with gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz", "wb") as out:
        out.write((2051).to_bytes(4, "big") + b"\0\0\0\0" + (28).to_bytes(4, "big") * 2)
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as out:
        out.write((2049).to_bytes(4, "big") + b"\0\0\0\0")
    with pytest.raises(DatasetError, match="holds no images"):
        load_split(tmp_path, "test")
