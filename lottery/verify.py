"""``python -m lottery.verify BUNDLE.json [--key NAME=HEX ...] [--json] [--no-accel]``.

Exit status: 0 valid, 1 invalid (a check failed), 2 unreadable or malformed.
"""

from lottery._verifier import main

if __name__ == "__main__":
    raise SystemExit(main())
