// Amplitude algebra of the state-vector kernels. REAL: amplitudes are f32 (every gate of the
// circuit is real: RY, CZ, X, H, ...); else complex vec2<f32>.
#include "lib/complex.wgsl"

#if ${REAL}
alias Amp = f32;
fn one() -> Amp { return 1.0; }
fn zero() -> Amp { return 0.0; }
fn prob(a: Amp) -> f32 { return a * a; }
fn mul(m: Amp, a: Amp) -> Amp { return m * a; }
fn mul_conj(m: Amp, a: Amp) -> Amp { return m * a; }
// Re(conj(l) * x)
fn re_inner(l: Amp, x: Amp) -> f32 { return l * x; }
// A probability stored in an amplitude slot (expert sums in place).
fn from_prob(p: f32) -> Amp { return p; }
fn as_prob(a: Amp) -> f32 { return a; }
#else
alias Amp = vec2<f32>;
fn one() -> Amp { return vec2<f32>(1.0, 0.0); }
fn zero() -> Amp { return vec2<f32>(0.0, 0.0); }
fn prob(a: Amp) -> f32 { return dot(a, a); }
fn mul(m: Amp, a: Amp) -> Amp { return cmul(m, a); }
fn mul_conj(m: Amp, a: Amp) -> Amp { return cmul_conj(m, a); }
fn re_inner(l: Amp, x: Amp) -> f32 { return dot(l, x); }
fn from_prob(p: f32) -> Amp { return vec2<f32>(p, 0.0); }
fn as_prob(a: Amp) -> f32 { return a.x; }
#endif

fn scale(w: f32, a: Amp) -> Amp { return w * a; }
// |0...0>: one at basis index 0 of each state, zero elsewhere.
fn basis_zero(k: u32) -> Amp { return select(zero(), one(), k == 0u); }
