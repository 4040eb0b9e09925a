"""Tests for `get_file`: cache layout, hashes, offline errors, atomic writes, safe extraction.

Nothing is downloaded: sources are local `file://` URLs or a patched `_urlopen`.
"""

import hashlib
import io
import os
import pathlib
import re
import tarfile
import urllib.error
import zipfile

import pytest

from lamina.utils import file_utils, get_file

DATA = b"lamina test payload\n" * 100
SHA256 = hashlib.sha256(DATA).hexdigest()
MD5 = hashlib.md5(DATA).hexdigest()


@pytest.fixture
def home(tmp_path, monkeypatch):
    path = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(path))
    return path


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "server" / "data.bin"
    path.parent.mkdir()
    path.write_bytes(DATA)
    return path


def no_network(monkeypatch, error=None):
    calls = []

    def refuse(url, timeout=None):
        calls.append(url)
        raise error or urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(file_utils, "_urlopen", refuse)
    return calls


def leftovers(directory):
    return sorted(name for name in os.listdir(directory) if name.startswith("."))


def test_downloads_into_keras_home_and_verifies_hash(home, source, capsys):
    path = get_file("data.bin", origin=source.as_uri(), file_hash=SHA256)
    assert path == str(home / "datasets" / "data.bin")
    assert pathlib.Path(path).read_bytes() == DATA
    assert leftovers(home / "datasets") == []
    umask = os.umask(0o22)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
    out = capsys.readouterr().out
    size = len(DATA)
    assert re.fullmatch(f"Downloading data from {re.escape(source.as_uri())}\n"
                        f"{size}/{size} ━{{20}} 0s [0-9]+(us|ms|s)/step\n", out)


def test_cached_file_is_used_without_network(home, source, monkeypatch):
    first = get_file("data.bin", origin=source.as_uri(), file_hash=SHA256)
    calls = no_network(monkeypatch)
    assert get_file("data.bin", origin=source.as_uri(), file_hash=SHA256) == first
    assert calls == []


def test_name_defaults_to_the_url_basename_and_md5_is_accepted(home, source):
    path = get_file(origin=source.as_uri(), md5_hash=MD5)
    assert path == str(home / "datasets" / "data.bin")
    assert get_file(origin=source.as_uri(), file_hash=MD5.upper(), hash_algorithm="md5") == path


def test_file_hash_may_be_a_collection_of_accepted_hashes(home, source):
    other = "0" * 64
    path = get_file("data.bin", origin=source.as_uri(), file_hash=[other, SHA256])
    assert pathlib.Path(path).read_bytes() == DATA
    assert get_file("data.bin", origin=source.as_uri(), file_hash={MD5, other}) == path


def test_cache_dir_and_absolute_cache_subdir(tmp_path, source, home):
    path = get_file("a.bin", origin=source.as_uri(), cache_dir=tmp_path / "c", cache_subdir="x")
    assert path == str(tmp_path / "c" / "x" / "a.bin")
    absolute = tmp_path / "abs"
    path = get_file("b.bin", origin=source.as_uri(), cache_subdir=str(absolute))
    assert path == str(absolute / "b.bin") and not os.path.exists(home / "datasets")


def test_unwritable_cache_falls_back_to_temporary_directory(tmp_path, home, source, monkeypatch):
    monkeypatch.setattr(file_utils.tempfile, "tempdir", str(tmp_path / "tmp"))
    os.makedirs(tmp_path / "tmp")
    real = file_utils._writable
    monkeypatch.setattr(file_utils, "_writable", lambda d: False if str(home) in d else real(d))
    path = get_file("data.bin", origin=source.as_uri())
    assert path == str(tmp_path / "tmp" / ".keras" / "datasets" / "data.bin")


def test_mismatching_cached_file_is_kept_and_explained(home, source, monkeypatch):
    cached = home / "datasets" / "data.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"my own file")
    calls = no_network(monkeypatch)
    actual = hashlib.sha256(b"my own file").hexdigest()
    with pytest.raises(ValueError, match=(
            f"The cached file {cached} has sha256 {actual}, but `file_hash` expects sha256 "
            f"{SHA256}\\. lamina does not delete or overwrite .* delete or move it .* "
            "`force_download=True`")):
        get_file("data.bin", origin=source.as_uri(), file_hash=SHA256)
    assert cached.read_bytes() == b"my own file" and calls == []


def test_mismatching_download_is_discarded(home, source):
    wrong = "f" * 64
    with pytest.raises(ValueError, match=(
            f"The file downloaded from {source.as_uri()} has sha256 {SHA256}, but `file_hash` "
            f"expects sha256 {wrong}\\. The download was discarded")):
        get_file("data.bin", origin=source.as_uri(), file_hash=wrong)
    assert os.listdir(home / "datasets") == []


def test_offline_error_names_the_url_and_where_to_put_the_file(home, monkeypatch):
    no_network(monkeypatch)
    url = "https://example.invalid/files/data.bin"
    target = home / "datasets" / "data.bin"
    with pytest.raises(OSError, match=(
            f"Could not download {url}: <urlopen error .*name resolution>\\. Nothing is cached "
            f"at {target}\\. If this machine is offline, download {url} on a machine that is "
            f"online and copy the file to exactly this path: {target} It must have sha256 "
            f"{SHA256}\\.")):
        get_file("data.bin", origin=url, file_hash=SHA256)
    assert os.listdir(home / "datasets") == []


def test_missing_local_source_is_a_download_error(home, tmp_path):
    url = (tmp_path / "nowhere.bin").as_uri()
    with pytest.raises(OSError, match=f"Could not download {url}: .*No such file"):
        get_file(origin=url)


class FakeResponse(io.BytesIO):
    def __init__(self, data, length=None, fail_after=None):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data) if length is None else length)}
        self.fail_after = fail_after

    def read(self, size=-1):
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise self.error
        return super().read(min(size, 7))


def serve(monkeypatch, response):
    monkeypatch.setattr(file_utils, "_urlopen", lambda url, timeout=None: response)


def test_truncated_download_leaves_nothing(home, monkeypatch):
    serve(monkeypatch, FakeResponse(DATA[:50], length=len(DATA)))
    with pytest.raises(OSError, match=f"the connection closed after 50 of {len(DATA)} bytes"):
        get_file("data.bin", origin="https://example.invalid/data.bin")
    assert os.listdir(home / "datasets") == []


@pytest.mark.parametrize("error, expected", [(ConnectionResetError("reset by peer"), OSError),
                                             (KeyboardInterrupt(), KeyboardInterrupt)])
def test_interrupted_download_leaves_no_partial_file(home, monkeypatch, error, expected):
    response = FakeResponse(DATA, fail_after=21)
    response.error = error
    serve(monkeypatch, response)
    with pytest.raises(expected, match="reset by peer" if expected is OSError else None):
        get_file("data.bin", origin="https://example.invalid/data.bin")
    assert os.listdir(home / "datasets") == []


def test_force_download_replaces_the_cached_file(home, source):
    cached = home / "datasets" / "data.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"old")
    get_file("data.bin", origin=source.as_uri(), file_hash=SHA256, force_download=True)
    assert cached.read_bytes() == DATA


def test_failed_forced_download_keeps_the_cached_file(home, monkeypatch):
    cached = home / "datasets" / "data.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"old")
    no_network(monkeypatch)
    with pytest.raises(OSError, match=f"The existing file at {cached} was left unchanged"):
        get_file("data.bin", origin="https://example.invalid/data.bin", force_download=True)
    assert cached.read_bytes() == b"old"


def make_tar(path, entries, mode="w:gz"):
    """`entries`: (name, kind, payload) with kind "file", "dir", "sym", "hard" or "fifo"."""
    with tarfile.open(path, mode) as archive:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            data = None
            if kind == "file":
                data = payload.encode()
                info.size = len(data)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind in ("sym", "hard"):
                info.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE
                info.linkname = payload
            else:
                info.type = tarfile.FIFOTYPE
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


GOOD_TAR = [("pack", "dir", None), ("pack/a.txt", "file", "alpha"),
            ("pack/sub/b.txt", "file", "beta"), ("pack/link.txt", "sym", "sub/b.txt")]


@pytest.mark.parametrize("fname, archive, extracted", [
    ("pack.tar.gz", "pack.tar.gz", "pack_extracted"),
    ("pack", "pack_archive", "pack"),
    (None, "pack.tar.gz_archive", "pack.tar.gz"),
])
def test_extracts_tar_with_keras_names(home, tmp_path, fname, archive, extracted):
    url = make_tar(tmp_path / "pack.tar.gz", GOOD_TAR).as_uri()
    path = get_file(fname, origin=url, extract=True)
    datasets = home / "datasets"
    assert path == str(datasets / extracted)
    assert os.path.isfile(datasets / archive)
    assert pathlib.Path(os.path.join(path, "pack", "a.txt")).read_text() == "alpha"
    assert pathlib.Path(os.path.join(path, "pack", "link.txt")).read_text() == "beta"
    assert leftovers(datasets) == []


def test_extracts_zip_and_untar_alias(home, tmp_path):
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as archive:
        archive.writestr("dir/c.txt", "gamma")
    path = get_file("z.zip", origin=(tmp_path / "z.zip").as_uri(), extract=True,
                    archive_format="zip")
    assert pathlib.Path(os.path.join(path, "dir", "c.txt")).read_text() == "gamma"
    url = make_tar(tmp_path / "t.tar", GOOD_TAR, mode="w").as_uri()
    path = get_file("t", origin=url, untar=True)
    assert pathlib.Path(os.path.join(path, "pack", "sub", "b.txt")).read_text() == "beta"


def test_extraction_is_reused_and_redone_only_on_force_download(home, tmp_path, monkeypatch):
    url = make_tar(tmp_path / "pack.tar.gz", GOOD_TAR).as_uri()
    path = get_file("pack.tar.gz", origin=url, extract=True)
    marker = os.path.join(path, "mine.txt")
    open(marker, "w").close()
    assert get_file("pack.tar.gz", origin=url, extract=True) == path
    assert os.path.exists(marker)
    os.remove(home / "datasets" / "pack.tar.gz")  # archive deleted, contents kept
    with monkeypatch.context() as patch:
        no_network(patch)
        assert get_file("pack.tar.gz", origin=url, extract=True) == path
    assert get_file("pack.tar.gz", origin=url, extract=True, force_download=True) == path
    assert not os.path.exists(marker)
    assert pathlib.Path(os.path.join(path, "pack", "a.txt")).read_text() == "alpha"
    assert leftovers(home / "datasets") == []


@pytest.mark.parametrize("entries, member, why", [
    ([("/tmp/evil.txt", "file", "x")], "/tmp/evil.txt", "has an absolute path"),
    ([("pack/../../evil.txt", "file", "x")], "pack/../../evil.txt",
     "has a path with a `..` component"),
    ([("out", "sym", "/etc")], "out", "is a link to an absolute path"),
    ([("pack/out", "sym", "../../x")], "pack/out", "is a link pointing outside"),
    ([("out", "hard", "../x")], "out", "is a hard link to a path with a `..` component"),
    ([("out", "hard", "/etc/passwd")], "out", "is a hard link to an absolute path"),
    ([("pack", "sym", "."), ("pack/evil.txt", "file", "x")], "pack/evil.txt",
     "is placed through a link"),
    ([("l", "sym", "."), ("x", "sym", "l/..")], "x", "is a link through a link"),
    ([("pipe", "fifo", None)], "pipe", "is a device or pipe"),
])
def test_refuses_tar_members_that_escape(home, tmp_path, entries, member, why):
    url = make_tar(tmp_path / "bad.tar.gz", [("ok.txt", "file", "fine"), *entries]).as_uri()
    with pytest.raises(ValueError, match=(f"Refusing to extract the archive: its member "
                                          f"'{member}' {why}.*Nothing was extracted")):
        get_file("bad.tar.gz", origin=url, extract=True)
    assert sorted(os.listdir(home / "datasets")) == ["bad.tar.gz"]
    assert not os.path.exists(tmp_path / "evil.txt")


@pytest.mark.parametrize("name", ["../evil.txt", "/abs.txt", "a\\..\\..\\evil.txt"])
def test_refuses_zip_members_that_escape(home, tmp_path, name):
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as archive:
        archive.writestr(name, "x")
    with pytest.raises(ValueError, match="Refusing to extract the archive"):
        get_file("bad.zip", origin=(tmp_path / "bad.zip").as_uri(), extract=True)
    assert sorted(os.listdir(home / "datasets")) == ["bad.zip"]


def test_extract_of_a_non_archive_fails(home, source):
    with pytest.raises(ValueError, match=r"could not extract .*data\.bin: it is not a tar or zip "
                                         r"archive\. Received: archive_format=\['tar', 'zip'\]"):
        get_file("data.bin", origin=source.as_uri(), extract=True)
    assert os.listdir(home / "datasets") == ["data.bin"]


@pytest.mark.parametrize("kwargs, error, match", [
    ({"origin": None}, ValueError, r"`get_file` expects `origin` to be the URL of the file to "
                                   r"download\. Received: origin=None \(of type NoneType\)\."),
    ({"hash_algorithm": "sha1"}, ValueError, r"`hash_algorithm` to be one of 'auto', 'sha256', "
                                             r"'md5'\. Received: hash_algorithm='sha1'"),
    ({"file_hash": 123}, TypeError, r"`file_hash` to be a hash string or a collection of hash "
                                    r"strings\. Received: file_hash=123"),
    ({"file_hash": []}, TypeError, r"Received: file_hash=\[\]"),
    ({"file_hash": "abc"}, ValueError, r"sha256 \(64 hex digits\) or md5 \(32 hex digits\) "
                                       r"hashes matching `hash_algorithm='auto'`"),
    ({"file_hash": "z" * 64}, ValueError, r"Received: file_hash='zzzz"),
    ({"file_hash": MD5, "hash_algorithm": "sha256"}, ValueError,
     r"matching `hash_algorithm='sha256'`"),
    ({"fname": "sub/data.bin"}, ValueError, r"`fname` to be a file name, not a path; choose the "
                                            r"directory with `cache_dir` and `cache_subdir`"),
    ({"fname": ".."}, ValueError, r"Received: fname='\.\.'"),
    ({"fname": 3}, TypeError, r"`fname` to be a file name \(a string\)\. Received: fname=3"),
    ({"origin": "https://example.invalid/"}, ValueError,
     r"could not take a file name from the URL 'https://example\.invalid/'; pass one as `fname`"),
    ({"extract": True, "archive_format": "rar"}, ValueError,
     r"`archive_format` to be 'auto', 'tar', 'zip' or a list of them when `extract=True`\. "
     r"Received: archive_format='rar'"),
    ({"extract": True, "archive_format": None}, ValueError, r"Received: archive_format=None"),
    ({"extract": True, "archive_format": 5}, ValueError, r"Received: archive_format=5"),
])
def test_rejects_invalid_arguments(home, kwargs, error, match):
    arguments = {"origin": "https://example.invalid/data.bin", **kwargs}
    with pytest.raises(error, match=match):
        get_file(**arguments)


def test_keras_home_defaults_to_dot_keras(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert file_utils.keras_home() == str(tmp_path / ".keras")


def test_hash_file_matches_hashlib(source):
    assert file_utils.hash_file(source) == SHA256
    assert file_utils.hash_file(source, "md5", chunk_size=7) == MD5
