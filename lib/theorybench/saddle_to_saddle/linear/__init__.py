"""Type I, fully connected: deep linear networks learn the teacher one singular mode per plateau,
so the rank of the end-to-end map grows (§1-5). ``closed_forms`` (the mode equations, plateau
times and levels, width and depth), ``sizes``, ``training`` (the torch experiments),
``embedding`` (the plateaus' saddles) and ``figures``; the chapter package exports their public
names."""
