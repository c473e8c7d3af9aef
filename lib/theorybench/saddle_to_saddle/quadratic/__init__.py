"""Type III, quadratic: a network of squared units learns one unit per plateau, in the order its
initialisation selects (§8). ``closed_forms``, ``sizes``, ``training`` (torch; the runs' data),
``analysis`` (functions of a run) and ``figures``; the chapter package exports their public
names."""
