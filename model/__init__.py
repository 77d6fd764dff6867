"""accord model layer: pure, vectorised maths (arrays in, arrays out)."""
