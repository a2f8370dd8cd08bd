"""``python -m lottery.verify BUNDLE.json [--key NAME=HEX ...] [--json] [--no-accel]``.

Exit status: 0 valid, 1 invalid (a check failed), 2 unreadable or malformed.
"""

import os
import sys
import types
from typing import Any

from lottery._verifier import main, verify


class _CallableModule(types.ModuleType):
    # Importing this submodule rebinds the package attribute ``lottery.verify`` from
    # the function to this module; making the module callable keeps
    # ``lottery.verify(bundle)`` meaning the same thing either way.
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return verify(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule


def _main() -> int:
    try:
        return main()
    except BrokenPipeError:  # the reader went away (e.g. ``| head``): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 2


if __name__ == "__main__":
    raise SystemExit(_main())
