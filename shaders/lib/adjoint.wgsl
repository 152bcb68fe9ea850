// The two states of the adjoint kernels, psi and lambda, in workgroup memory (SLOTS amplitudes
// each: the kernel's override), and what the forward pass and the backward sweep do to a pair of
// their amplitudes.

var<workgroup> psi: array<Amp, SLOTS>;
var<workgroup> lam: array<Amp, SLOTS>;

// psi <- U psi on the pair (i0, i1).
fn forward_pair(i0: u32, i1: u32, m: array<Amp, 4>) {
  let r = apply2(m, psi[i0], psi[i1]);
  psi[i0] = r[0];
  psi[i1] = r[1];
}

// Exchanges the entries i0 and j of psi, and of lambda too when `both`.
fn swap_entries(i0: u32, j: u32, both: bool) {
  let t = psi[i0];
  psi[i0] = psi[j];
  psi[j] = t;
  if (both) {
    let u = lam[i0];
    lam[i0] = lam[j];
    lam[j] = u;
  }
}

// One backward step on the pair (i0, i1): psi <- U^dagger psi; with_grad: returns
// Re <lambda| dU |psi> (d = dU), else 0; lambda <- U^dagger lambda.
fn backward_pair(i0: u32, i1: u32, m: array<Amp, 4>, d: array<Amp, 4>, with_grad: bool) -> f32 {
  let x = apply2_adjoint(m, psi[i0], psi[i1]);
  psi[i0] = x[0];
  psi[i1] = x[1];
  let la = lam[i0];
  let lb = lam[i1];
  var g = 0.0;
  if (with_grad) { g = pair_derivative(d, la, lb, x[0], x[1]); }
  let l = apply2_adjoint(m, la, lb);
  lam[i0] = l[0];
  lam[i1] = l[1];
  return g;
}
