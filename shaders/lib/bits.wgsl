// Bit helpers on basis indices (qubit q of an n-qubit state is the bit of value 2^(n-1-q)).

// Index of the j-th amplitude pair's first element: j with a zero bit inserted at `stride`.
fn pair_first(j: u32, stride: u32) -> u32 {
  let low = j & (stride - 1u);
  return ((j - low) << 1u) | low;
}

// v with the bits y and z exchanged.
fn swap_bits(v: u32, y: u32, z: u32) -> u32 {
  if (((v & y) != 0u) != ((v & z) != 0u)) { return v ^ y ^ z; }
  return v;
}

// The partner of i0 under a swap of the bits y and z when i0 holds y = 0 and z = 1, else i0:
// visiting every i0 with bit y clear swaps each exchanged pair exactly once.
fn swap_partner(i0: u32, y: u32, z: u32) -> u32 {
  return select(i0, i0 ^ y ^ z, (i0 & z) != 0u);
}

// (-1)^(number of bits set in k & mask).
fn parity_sign(k: u32, mask: u32) -> f32 {
  return select(1.0, -1.0, (countOneBits(k & mask) & 1u) == 1u);
}
