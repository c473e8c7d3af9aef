"""What the architecture families of the saddle-to-saddle chapter share and do not export: input
checks (``inputs``) and the batched plain gradient-descent loop of the experiments (``gd``). The
shared public parts live beside them in the chapter package: ``plateaus`` (the plateau detector),
``scales`` (the ci and full sizes) and ``interactive`` (the explorer)."""
