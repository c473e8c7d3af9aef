"""Type I, convolutional: a linear convolutional network learns one teacher frequency (a
conjugate pair, rank two of the circulant map) per plateau (§7). ``closed_forms``, ``sizes``,
``training`` (torch; the runs' data), ``analysis`` (functions of a run) and ``figures``; the
chapter package exports their public names."""
