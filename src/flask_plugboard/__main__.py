"""``python -m flask_plugboard new NAME``: the ``plugboard`` command without its script."""

from ._console import main

main(prog_name="plugboard")
