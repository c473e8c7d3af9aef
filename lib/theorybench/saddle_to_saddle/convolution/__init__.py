"""Type I, convolutional: a linear convolutional network learns one teacher frequency (a
conjugate pair, rank two of the circulant map) per plateau (§7). ``closed_forms``, ``training``
(torch) and ``figures``; the chapter package exports their public names."""
