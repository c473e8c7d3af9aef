"""Type III, linear self-attention: multi-head linear attention learns one head per plateau (§6).
``closed_forms``, ``sizes``, ``training`` (torch) and ``figures``; the chapter package exports
their public names."""
