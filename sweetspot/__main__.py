"""`python -m sweetspot`: the same as the `sweetspot` command."""

from sweetspot.cli import main

main()
