import hashlib
import os
import stat

import pytest

from appliance.adapters.blobstore import BlobStore
from appliance.domain.errors import IntegrityError, NotFoundError


@pytest.fixture
def store(tmp_path):
    return BlobStore(tmp_path / "blobs")


def test_content_addressed_layout_with_both_digests(store, tmp_path):
    data = "扫描页 page".encode() * 1000
    ref = store.put_bytes(data)
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert ref.sm3 == hashlib.new("sm3", data).hexdigest()
    assert ref.size == len(data)
    path = store.path(ref.sha256)
    assert path == tmp_path / "blobs" / "sha256" / ref.sha256[:2] / ref.sha256[2:4] / ref.sha256
    assert path.read_bytes() == data
    assert not stat.S_IMODE(path.stat().st_mode) & 0o222, "a stored blob is read-only"


def test_same_content_is_stored_once(store):
    first = store.put_bytes(b"same")
    second = store.put_bytes(b"same")
    assert first == second
    assert list(store.digests()) == [first.sha256]
    assert os.listdir(store.temp_dir) == [], "no temp files left behind"


def test_files_are_streamed_in(store, tmp_path):
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    ref = store.put_file(source)
    assert store.open(ref.sha256).read() == source.read_bytes()
    store.verify(ref)


def test_verify_detects_damage_and_loss(store):
    ref = store.put_bytes(b"original page")
    path = store.path(ref.sha256)
    os.chmod(path, 0o644)
    path.write_bytes(b"original pagE")
    with pytest.raises(IntegrityError, match="damaged"):
        store.verify(ref)
    path.unlink()
    with pytest.raises(IntegrityError, match="missing"):
        store.verify(ref)


def test_a_path_is_never_taken_for_a_digest(store):
    with pytest.raises(NotFoundError, match="not a SHA-256"):
        store.open("../../../etc/passwd")
