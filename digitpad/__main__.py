"""`python -m digitpad`: the same as the `digitpad` command."""

from digitpad.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
