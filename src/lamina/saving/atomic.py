"""Atomic file writes: a file is either the old one or the complete new one, never half.

The content goes to a temporary file in the destination's directory (the same filesystem,
so the final `os.replace` is an atomic rename), which replaces the destination only once it
is completely written and flushed. If writing fails, the temporary file is removed and the
destination is untouched.
"""

import contextlib
import os
import tempfile

_UMASK = os.umask(0o022)  # read the process umask once (os.umask can only read by setting)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_write(filepath):
    """Yield a binary file object; on success it becomes `filepath` (atomically).

    Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "out.bin")
    >>> with atomic_write(path) as f:
    ...     _ = f.write(b"done")
    >>> with open(path, "rb") as f:
    ...     f.read()
    b'done'
    """
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".lamina-",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; give a normal mode
        os.replace(temporary, filepath)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
