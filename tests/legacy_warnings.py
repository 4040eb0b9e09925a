"""`one_deprecation`: the assertion every test of a Keras 1/2 spelling makes."""

import re
import sys
import warnings


class one_deprecation:  # noqa: N801 (used like `pytest.warns`)
    """Assert that the block emits exactly one `DeprecationWarning`, that its message
    matches the regex `match`, and that it points at the line of the block that caused it
    (a frame in the file running the block, not inside lamina).

    Warnings that third-party code emits are not counted. The recorded warnings are in the
    list the `with` statement binds.
    """

    def __init__(self, match):
        self.match = match

    def __enter__(self):
        self._file = sys._getframe(1).f_code.co_filename
        self._catcher = warnings.catch_warnings(record=True)
        self.caught = self._catcher.__enter__()
        warnings.simplefilter("always")
        return self.caught

    def __exit__(self, *exc_info):
        self._catcher.__exit__(*exc_info)
        if exc_info[0] is not None:
            return False
        found = [w for w in self.caught if issubclass(w.category, DeprecationWarning)
                 and "site-packages" not in w.filename]
        assert len(found) == 1, [str(w.message) for w in found]
        assert re.search(self.match, str(found[0].message)), str(found[0].message)
        assert found[0].filename == self._file, (found[0].filename, self._file)
        return False
