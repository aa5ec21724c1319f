"""`python -m bench [--quick]`: every benchmark, in one run, so their ratios are comparable.

`python -m bench search [--quick]`: the disclosure search benchmark alone (bench/search.py).
"""

import sys

from bench import sweep

if __name__ == "__main__":
    if sys.argv[1:2] == ["search"]:
        from bench import search

        sys.exit(search.main(sys.argv[2:]))
    sys.exit(sweep.main(sys.argv[1:]))
