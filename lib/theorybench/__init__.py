"""Theory Workbench: six results on how neural networks train, derived, computed and tested.

One module per result (``lion``, ...) plus small shared modules (``device``, ``plotting``,
``widgets``). Closed forms are plain numpy functions; torch appears only in experiment code and is
imported lazily, so ``import theorybench.lion`` stays light.
"""

__version__ = "0.1.0"
