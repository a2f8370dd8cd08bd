"""``python -m lottery.season PUBLICATION_DIR --keys PUBLICATION_DIR/keys.json``: a whole
season checked from its publication folder (standard library and ``cryptography``)."""

from lottery._season import main

if __name__ == "__main__":
    raise SystemExit(main())
