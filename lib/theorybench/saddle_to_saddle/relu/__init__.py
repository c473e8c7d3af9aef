"""Type II: two-layer ReLU networks, fully connected on one-dimensional data (§9) and
convolutional on signals' patches (§10), add one ray of proportional units per plateau.
``closed_forms`` (the unit correlation, escapes, width-1 fixed points), ``sizes``, ``family``
(teachers drawn from the stated family, one batched torch run, its analysis), ``training`` (the
torch runs of one teacher: frozen dataclasses of data), ``analysis`` (plain functions comparing
those runs with the theory) and ``figures``; the chapter package exports their public names."""
