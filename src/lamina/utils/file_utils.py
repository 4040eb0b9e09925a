"""`get_file`: download a file once, keep it in Keras' cache, check its hash, unpack archives.

Files are cached where Keras caches them (`$KERAS_HOME/<cache_subdir>`, by default
`~/.keras/datasets`), so a cache filled by Keras is reused. Beyond Keras:

- A download goes to a temporary file in the cache directory and is renamed into place only
  once complete and verified, so an interrupted download never leaves a partial file.
- A cached file whose hash does not match is never deleted or overwritten: `get_file` stops
  and says which file, which hash it has, which it should have, and what to do.
- When the download fails (for example offline) and nothing is cached, the error names the
  URL and the exact path where a copy fetched by hand must be put.
- Archives are unpacked into a temporary directory first; an archive with a member that would
  land outside the target directory (absolute path, `..`, a link pointing out) is refused.
- `file_hash` may be a collection of accepted hashes, for files published in several
  byte-different but equivalent versions.
"""

import hashlib
import http.client
import inspect
import os
import secrets
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import PureWindowsPath

from lamina.utils.progbar import Progbar
from lamina.validation import received

# Patched by tests so nothing is downloaded; same signature as `urllib.request.urlopen`.
_urlopen = urllib.request.urlopen
_TIMEOUT = 60  # seconds without data before a download is abandoned
_CHUNK = 1 << 16
_ALGORITHMS = ("auto", "sha256", "md5")
_FORMATS = ("tar", "zip")


def keras_home():
    """The cache root: `$KERAS_HOME` if set, else `~/.keras`."""
    return os.path.expanduser(os.environ.get("KERAS_HOME") or os.path.join("~", ".keras"))


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """Returns the hex digest of the file at `fpath` (`algorithm`: "sha256" or "md5")."""
    hasher = hashlib.new(algorithm)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def _expected_hashes(file_hash, hash_algorithm):
    """`file_hash` as a list of `(algorithm, lowercase hex digest)` pairs."""
    hashes = [file_hash] if isinstance(file_hash, str) else file_hash
    try:
        hashes = list(hashes)
    except TypeError:
        hashes = None
    if not hashes or not all(isinstance(h, str) for h in hashes):
        raise TypeError("`get_file` expects `file_hash` to be a hash string or a collection of "
                        "hash strings. " + received("file_hash", file_hash))
    pairs = []
    for digest in hashes:
        digest = digest.strip().lower()
        algorithm = hash_algorithm
        if algorithm == "auto":
            algorithm = {64: "sha256", 32: "md5"}.get(len(digest))
        valid = all(c in "0123456789abcdef" for c in digest) and len(digest) == (
            64 if algorithm == "sha256" else 32)
        if algorithm is None or not valid:
            raise ValueError("`get_file` expects `file_hash` to hold sha256 (64 hex digits) or "
                             "md5 (32 hex digits) hashes matching `hash_algorithm="
                             f"{hash_algorithm!r}`. " + received("file_hash", file_hash))
        pairs.append((algorithm, digest))
    return pairs


def _hash_mismatch(path, expected):
    """`None` if the file at `path` has one of the `expected` hashes, else its actual hashes."""
    actual = {algorithm: hash_file(path, algorithm) for algorithm in {a for a, _ in expected}}
    if any(actual[algorithm] == digest for algorithm, digest in expected):
        return None
    return ", ".join(f"{algorithm} {digest}" for algorithm, digest in sorted(actual.items()))


def _describe(expected):
    return " or ".join(f"{algorithm} {digest}" for algorithm, digest in expected)


def _download(origin, target, expected):
    """Fetches `origin` into a temporary file beside `target`, verifies it, renames it."""
    directory = os.path.dirname(target)
    name = os.path.basename(target)
    print(f"Downloading data from {origin}")
    # Created like any new file (mode 0o666 less the umask), unlike `mkstemp`'s 0o600.
    partial = _fresh_path(directory, f".{name}.", ".part")
    try:
        with open(partial, "xb") as out:
            try:
                response = _urlopen(origin, timeout=_TIMEOUT)
            except (OSError, ValueError, http.client.HTTPException) as error:
                raise _download_error(origin, target, expected, error) from error
            with response:
                try:
                    total = int(response.headers.get("Content-Length"))
                except (TypeError, ValueError):
                    total = None
                progbar = Progbar(total)
                size = 0
                while True:
                    try:
                        chunk = response.read(_CHUNK)
                    except (OSError, http.client.HTTPException) as error:
                        raise _download_error(origin, target, expected, error) from error
                    if not chunk:
                        break
                    out.write(chunk)
                    size += len(chunk)
                    progbar.update(size, finalize=False)
                progbar.update(size, finalize=True)
        if total is not None and size != total:
            reason = f"the connection closed after {size} of {total} bytes"
            raise _download_error(origin, target, expected, reason)
        if expected and (actual := _hash_mismatch(partial, expected)) is not None:
            raise ValueError(
                f"The file downloaded from {origin} has {actual}, but `file_hash` expects "
                f"{_describe(expected)}. The download was discarded; {target} was not "
                "written. The download may have been corrupted (try again), or the file at "
                "the URL has changed (check the hash you passed).")
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _fresh_path(directory, prefix, suffix):
    while True:
        path = os.path.join(directory, f"{prefix}{secrets.token_hex(6)}{suffix}")
        if not os.path.exists(path):
            return path


def _download_error(origin, target, expected, reason):
    if os.path.exists(target):
        advice = f"The existing file at {target} was left unchanged."
    else:
        hashes = f" It must have {_describe(expected)}." if expected else ""
        advice = (f"Nothing is cached at {target}. If this machine is offline, download "
                  f"{origin} on a machine that is online and copy the file to exactly this "
                  f"path: {target}{hashes}")
    return OSError(f"Could not download {origin}: {reason}. {advice}")


def _clean_parts(name, member, link=False):
    """The normalised path components of archive path `name`; refuses ways out."""
    windows = PureWindowsPath(name)
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    what = "is a hard link to" if link else "has"
    if name.startswith(("/", "\\")) or windows.drive or windows.root:
        raise _escape_error(member, f"{what} an absolute path")
    if ".." in parts:
        raise _escape_error(member, f"{what} a path with a `..` component")
    return parts


def _escape_error(member, why):
    return ValueError(f"Refusing to extract the archive: its member {member!r} {why}, so it "
                      "could write outside the extraction directory. Nothing was extracted; "
                      "the archive may be malicious.")


def _check_tar(archive):
    links = set()  # members that are links: nothing may be written through them

    def through_link(parts):
        return any("/".join(parts[:i]) in links for i in range(1, len(parts) + 1))

    for member in archive.getmembers():
        parts = _clean_parts(member.name, member.name)
        if through_link(parts[:-1]):
            raise _escape_error(member.name, "is placed through a link")
        if member.issym() or member.islnk():
            if member.issym():
                if member.linkname.startswith(("/", "\\")) or PureWindowsPath(
                        member.linkname).drive:
                    raise _escape_error(member.name, "is a link to an absolute path")
                resolved = parts[:-1]
                for part in member.linkname.replace("\\", "/").split("/"):
                    if part == "..":
                        if not resolved:
                            raise _escape_error(member.name, "is a link pointing outside")
                        resolved.pop()
                    elif part not in ("", "."):
                        resolved.append(part)
                        if through_link(resolved):
                            raise _escape_error(member.name, "is a link through a link")
            else:  # hard link: its target is a path from the archive root
                target = _clean_parts(member.linkname, member.name, link=True)
                if through_link(target):
                    raise _escape_error(member.name, "is a link through a link")
            links.add("/".join(parts))
        elif not (member.isfile() or member.isdir()):
            raise _escape_error(member.name, "is a device or pipe, not a file or directory")


def _extract(archive_path, destination, formats):
    """Unpacks `archive_path` into the new directory `destination`; the format it found."""
    for kind in formats:
        if kind == "tar" and tarfile.is_tarfile(archive_path):
            with tarfile.open(archive_path) as archive:
                _check_tar(archive)
                options = {}
                if "filter" in inspect.signature(archive.extractall).parameters:
                    options["filter"] = "data"  # Python's own guard, on top of ours
                archive.extractall(destination, **options)
            return kind
        if kind == "zip" and zipfile.is_zipfile(archive_path):
            with zipfile.ZipFile(archive_path) as archive:
                for name in archive.namelist():
                    _clean_parts(name, name)
                archive.extractall(destination)
            return kind
    raise ValueError(f"`get_file` could not extract {archive_path}: it is not a "
                     f"{' or '.join(formats)} archive. " + received("archive_format", formats))


def _unpack(archive_path, extraction_dir, formats):
    """Extracts into a temporary directory, then renames it to `extraction_dir`."""
    parent = os.path.dirname(extraction_dir)
    staging = _fresh_path(parent, f".{os.path.basename(extraction_dir)}.", ".extracting")
    os.mkdir(staging)  # mode 0o777 less the umask, unlike `mkdtemp`'s 0o700
    old = None
    try:
        _extract(archive_path, staging, formats)
        if os.path.exists(extraction_dir):  # only after `force_download`
            old = tempfile.mkdtemp(dir=parent, prefix=".old.")
            os.replace(extraction_dir, os.path.join(old, "previous"))
        os.replace(staging, extraction_dir)
    finally:
        for leftover in (staging, old):
            if leftover is not None and os.path.exists(leftover):
                shutil.rmtree(leftover)


def _archive_formats(archive_format):
    if archive_format == "auto":
        return list(_FORMATS)
    try:
        formats = [archive_format] if isinstance(archive_format, str) else list(archive_format)
    except TypeError:  # None, or not a collection
        formats = []
    if not formats or any(kind not in _FORMATS for kind in formats):
        raise ValueError("`get_file` expects `archive_format` to be 'auto', 'tar', 'zip' or a "
                         "list of them when `extract=True`. "
                         + received("archive_format", archive_format))
    return formats


def _paths(datadir, fname, provided, extract):
    """`(download_target, extraction_dir)` under `datadir`, named as Keras names them."""
    if not extract:
        return os.path.join(datadir, fname), None
    if provided and "." in fname:
        stem = fname[: fname.find(".")]
        return os.path.join(datadir, fname), os.path.join(datadir, f"{stem}_extracted")
    return os.path.join(datadir, f"{fname}_archive"), os.path.join(datadir, fname)


def _writable(directory):
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError:
        return False
    return os.access(directory, os.W_OK)


def _from_cache(target, extraction_dir, expected, formats):
    """The cached result's path, `None` if there is nothing cached; never changes the file."""
    if os.path.exists(target):
        if expected and (actual := _hash_mismatch(target, expected)) is not None:
            raise ValueError(
                f"The cached file {target} has {actual}, but `file_hash` expects "
                f"{_describe(expected)}. lamina does not delete or overwrite a cached file "
                "that does not match. If the file is incomplete or outdated, delete or move "
                "it and call again to download a fresh copy, or pass `force_download=True` to "
                "replace it. If you trust the file as it is, pass its hash as `file_hash`.")
        if extraction_dir is None:
            return target
        if not os.path.exists(extraction_dir):
            _unpack(target, extraction_dir, formats)
        return extraction_dir
    # The archive was removed but its contents kept: use them rather than download again.
    if extraction_dir is not None and os.path.isdir(extraction_dir):
        return extraction_dir
    return None


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """Downloads a file from a URL unless it is already cached, and returns its local path.

    The file is stored as `<cache_dir>/<cache_subdir>/<fname>`, by default
    `~/.keras/datasets/<fname>` (`$KERAS_HOME` replaces `~/.keras` when set). It is
    downloaded to a temporary file in that directory and renamed into place only when it is
    complete and has the expected hash. A cached file with another hash is never deleted or
    overwritten: a `ValueError` says which file and which hashes, and what to do.

    Only pass a URL you trust; pass `file_hash` to make sure the file is the one you expect
    (`sha256sum FILE` prints a file's sha256).

    Args:
        fname: Name of the file in the cache. Defaults to `None`, meaning the last part of
            the URL's path. With `extract=True`, a name without an extension names the
            extraction directory; a name with one names the archive, extracted into
            `<name up to its first dot>_extracted`.
        origin: URL of the file.
        untar: Deprecated alias of `extract=True, archive_format="tar"`. Defaults to `False`.
        md5_hash: Deprecated alias of `file_hash` with `hash_algorithm="md5"`.
            Defaults to `None`.
        file_hash: The expected sha256 or md5 hex digest of the file, or a collection of
            accepted digests (a lamina extension). Defaults to `None` (not checked).
        cache_subdir: Subdirectory of the cache directory; an absolute path is used as is.
            Defaults to `"datasets"`.
        hash_algorithm: `"sha256"`, `"md5"` or `"auto"` (sha256 for 64-digit hashes, md5 for
            32-digit ones). Defaults to `"auto"`.
        extract: Whether to extract the file, a tar (possibly compressed) or zip archive.
            Archives with members that would land outside the extraction directory are
            refused. Defaults to `False`.
        archive_format: `"tar"`, `"zip"`, a list of them, or `"auto"` (both).
            Defaults to `"auto"`.
        cache_dir: The cache directory. Defaults to `None`, meaning `$KERAS_HOME` or
            `~/.keras`; when it cannot be written, a `.keras` directory in the system's
            temporary directory.
        force_download: Whether to download the file again even when a copy is cached; the
            new copy replaces the old one only once verified. Defaults to `False`.

    Returns:
        The path of the file, or of the extraction directory when `extract=True`.

    Raises:
        ValueError: For invalid arguments, a hash that does not match, or an unsafe archive.
        OSError: When the download fails; the message says where to put a copy by hand.

    Example:

    >>> import os, tempfile
    >>> source = os.path.join(tempfile.mkdtemp(), "hello.txt")
    >>> with open(source, "w") as f:
    ...     _ = f.write("hello")
    >>> cache = tempfile.mkdtemp()
    >>> sha256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    >>> path = get_file(origin="file://" + source, cache_dir=cache, file_hash=sha256)
    ... # doctest: +ELLIPSIS
    Downloading data from file://.../hello.txt
    5/5 ━━━━━━━━━━━━━━━━━━━━ 0s ...
    >>> path == os.path.join(cache, "datasets", "hello.txt")
    True
    """
    if not isinstance(origin, str) or not origin:
        raise ValueError("`get_file` expects `origin` to be the URL of the file to download. "
                         + received("origin", origin))
    if hash_algorithm not in _ALGORITHMS:
        raise ValueError("`get_file` expects `hash_algorithm` to be one of 'auto', 'sha256', "
                         "'md5'. " + received("hash_algorithm", hash_algorithm))
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    expected = [] if file_hash is None else _expected_hashes(file_hash, hash_algorithm)
    if untar:
        extract, archive_format = True, "tar"
    formats = _archive_formats(archive_format) if extract else None

    provided = bool(fname)
    if provided:
        if not isinstance(fname, (str, os.PathLike)):
            raise TypeError("`get_file` expects `fname` to be a file name (a string). "
                            + received("fname", fname))
        fname = os.fspath(fname)
        if "/" in fname or os.sep in fname or fname in (".", ".."):
            raise ValueError("`get_file` expects `fname` to be a file name, not a path; choose "
                             "the directory with `cache_dir` and `cache_subdir`. "
                             + received("fname", fname))
    else:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"`get_file` could not take a file name from the URL {origin!r}; "
                             "pass one as `fname`.")

    base = keras_home() if cache_dir is None else os.path.expanduser(os.fspath(cache_dir))
    datadir = os.path.join(base, cache_subdir)
    target, extraction_dir = _paths(datadir, fname, provided, extract)
    if not force_download and (found := _from_cache(target, extraction_dir, expected, formats)):
        return found
    if not _writable(datadir):
        fallback = os.path.join(tempfile.gettempdir(), ".keras", cache_subdir)
        if fallback != datadir and _writable(fallback):
            target, extraction_dir = _paths(fallback, fname, provided, extract)
            if not force_download and (
                    found := _from_cache(target, extraction_dir, expected, formats)):
                return found

    _download(origin, target, expected)
    if extract:
        _unpack(target, extraction_dir, formats)
        return extraction_dir
    return target
