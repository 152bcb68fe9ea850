// Complex numbers as vec2<f32> (re, im).

fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
fn cconj(a: vec2<f32>) -> vec2<f32> { return vec2<f32>(a.x, -a.y); }
// conj(m) * a
fn cmul_conj(m: vec2<f32>, a: vec2<f32>) -> vec2<f32> { return vec2<f32>(m.x * a.x + m.y * a.y, m.x * a.y - m.y * a.x); }
