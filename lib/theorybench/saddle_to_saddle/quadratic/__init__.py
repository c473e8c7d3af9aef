"""Type III, quadratic: a network of squared units learns one unit per plateau, in the order its
initialisation selects (§8). ``closed_forms``, ``training`` (torch) and ``figures``; the chapter
package exports their public names."""
