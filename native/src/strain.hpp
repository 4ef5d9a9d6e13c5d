// Optical strain magnitude of a flow field (u, v):
//   ε = sqrt(u_x² + v_y² + ½(u_y + v_x)²)
// Difference scheme: central differences (f[i+1] − f[i−1]) / 2 inside the image; at the first and
// last row/column one-sided differences with a step of one pixel (forward on the first, backward
// on the last); along an axis of length 1 the derivative is 0. Pixel spacing is 1, so ε is a
// dimensionless rate (pixels of displacement per pixel).
#pragma once

#include "image.hpp"

namespace mer {

/** Writes ε for every pixel of (u, v) into `strain` (all three planes have the same size). */
void opticalStrain(const Plane& u, const Plane& v, const Plane& strain);

}  // namespace mer
