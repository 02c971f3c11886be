"""`python -m digitpad`: the same as the `digitpad` command, through the same entry."""

from digitpad.entry import main

if __name__ == "__main__":
    raise SystemExit(main())
