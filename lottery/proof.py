"""``python -m lottery.proof PROOF.json [--statement FREEZE.json] [--applicant ID]``: an
inclusion proof checked with the standard library alone (docs/draw-spec.md §19)."""

from lottery._proofs import main

if __name__ == "__main__":
    raise SystemExit(main())
