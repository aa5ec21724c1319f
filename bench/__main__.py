"""`python -m bench [--quick]`: every benchmark, in one run, so their ratios are comparable."""

import sys

from bench import sweep

if __name__ == "__main__":
    sys.exit(sweep.main(sys.argv[1:]))
