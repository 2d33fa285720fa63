// Prints Rust's Display (`format!("{}", v)`, what `to_string` returns) for a fixed list of
// f64 and f32 values, one line each: the type, the bit pattern in hex, the text. The C++
// test tests/core/float_exactness_test.cpp compares the library's OneFuzz-compatible
// encoding with these lines byte for byte. See README.md here for how to regenerate.
//
// The list is deterministic: hand-picked edge cases, then families of values built from a
// fixed-seed generator (SplitMix64) over bit patterns. Nothing depends on the machine.

struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

// 2^e exactly, subnormals included (powi may round them to zero).
fn pow2_64(e: i32) -> f64 {
    if e >= -1022 {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (e + 1074))
    }
}
fn pow2_32(e: i32) -> f32 {
    if e >= -126 {
        f32::from_bits(((e + 127) as u32) << 23)
    } else {
        f32::from_bits(1u32 << (e + 149))
    }
}

fn next_up64(v: f64) -> f64 {
    f64::from_bits(v.to_bits() + 1) // only used on positive finite values below MAX
}
fn next_down64(v: f64) -> f64 {
    f64::from_bits(v.to_bits() - 1) // only used on positive values above 0
}

// The number of significant digits in a Display text ("0.0625" has 3).
fn significant_digits(text: &str) -> usize {
    let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
    digits.trim_start_matches('0').trim_end_matches('0').len()
}

// Ties: m * 2^-p with m odd is exactly m * 5^p / 10^p, a decimal of digits(m * 5^p)
// significant digits ending in 5. When Rust's shortest form has one digit fewer, the value
// lies exactly halfway between two shortest candidates: the case where Rust takes the one
// above and round-half-even (std::to_chars) the even one. Kept only when it is such a tie.
fn ties64(rng: &mut SplitMix64, out: &mut Vec<f64>, count: usize) {
    let mut made = 0;
    while made < count {
        let p = 1 + rng.below(27) as u32;
        let bits = 1 + rng.below(53) as u32;
        let m = (rng.next() >> (64 - bits)) | 1;
        let exact = (m as u128) * 5u128.pow(p);
        if exact >= 10u128.pow(18) {
            continue;
        }
        let x = (m as f64) * pow2_64(-(p as i32)); // exact: m < 2^53, a power of two
        if significant_digits(&format!("{}", x)) + 1 == exact.to_string().len() {
            out.push(if rng.below(4) == 0 { -x } else { x });
            made += 1;
        }
    }
}

fn ties32(rng: &mut SplitMix64, out: &mut Vec<f32>, count: usize) {
    let mut made = 0;
    while made < count {
        let p = 1 + rng.below(14) as u32;
        let bits = 1 + rng.below(24) as u32;
        let m = (rng.next() >> (64 - bits)) | 1;
        let exact = (m as u128) * 5u128.pow(p);
        if exact >= 10u128.pow(11) {
            continue;
        }
        let x = (m as f32) * pow2_32(-(p as i32));
        if significant_digits(&format!("{}", x)) + 1 == exact.to_string().len() {
            out.push(if rng.below(4) == 0 { -x } else { x });
            made += 1;
        }
    }
}

fn doubles() -> Vec<f64> {
    let mut v: Vec<f64> = vec![
        0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 10.0, 100.0, 0.1, 0.2, 0.3, 0.1 + 0.2, 1.0 / 3.0,
        2.0 / 3.0, 2666.67, 41.8236, 99.87, 123.456, 1e-7, 1e-6, 1e-5, 0.0001, 1e15, 1e16,
        1e17, 1e21, 1e22, 1e23, 1e-22, 1e-23, 1e100, 1e-100, 1e300, 1e308, 1e-308,
        f64::from_bits(0x3fb0024000000000),
        f64::MAX, f64::MIN, f64::MIN_POSITIVE, f64::EPSILON, f64::from_bits(1),
        f64::from_bits(2), f64::from_bits(0x000fffffffffffff), f64::from_bits(0x0010000000000001),
        9007199254740991.0, 9007199254740992.0, 9007199254740994.0, 9007199254740996.0,
        4503599627370495.5, 4503599627370496.0, 2251799813685248.0, 2251799813685247.5,
        1125899906842623.75, 18446744073709551615.0, 9223372036854775807.0,
        123456789012345680.0, 1152921504606849000.0, 5e-324, 2.2250738585072014e-308,
        2.225073858507201e-308, 1.7976931348623157e308, 4.940656458412465e-324,
        0.30000000000000004, 9.090422530847497e223, std::f64::consts::PI, std::f64::consts::E,
    ];
    let mut rng = SplitMix64(0x6F6E_6566_757A_7A31); // "onefuzz1"
    // Powers of two over the whole range, every seventh, and their neighbours.
    let mut e = -1074;
    while e <= 1023 {
        let p = pow2_64(e);
        v.push(p);
        if p > 0.0 && p < f64::MAX {
            v.push(next_up64(p));
            if p.to_bits() > 1 {
                v.push(next_down64(p));
            }
        }
        e += 21;
    }
    // Powers of ten from 1e-30 to 1e30 and their neighbours; near 1e±22 a few ulps each way.
    for k in -30..=30 {
        let p: f64 = format!("1e{}", k).parse().unwrap();
        v.push(p);
        v.push(next_up64(p));
        v.push(next_down64(p));
    }
    for base in [1e22, 1e-22, 1e23, 1e-23] {
        let mut up = base;
        let mut down = base;
        for _ in 0..6 {
            up = next_up64(up);
            down = next_down64(down);
            v.push(up);
            v.push(down);
        }
    }
    // Any bit pattern (finite ones), half of them negative.
    let mut made = 0;
    while made < 250 {
        let x = f64::from_bits(rng.next());
        if x.is_finite() {
            v.push(x);
            made += 1;
        }
    }
    // Bit patterns with exponents around everyday magnitudes (2^-40 to 2^80).
    for _ in 0..300 {
        let exponent = 1023 - 40 + rng.below(121);
        let bits = (rng.next() & 0x800F_FFFF_FFFF_FFFF) | (exponent << 52);
        v.push(f64::from_bits(bits));
    }
    // Subnormals.
    for _ in 0..50 {
        v.push(f64::from_bits(1 + rng.below(0x000F_FFFF_FFFF_FFFF)));
    }
    // Integers of 2^53 and more: Rust prints the shortest digits padded with zeros.
    for _ in 0..100 {
        let shift = rng.below(40);
        let x = ((1u128 << 53) + (rng.next() as u128)) << shift;
        v.push(x as f64);
    }
    // Decimals with few digits (2666.67, 0.0001) at every scale.
    for _ in 0..200 {
        let digits = 1 + rng.below(16) as u32;
        let mantissa = rng.below(10u64.pow(digits));
        let exponent = rng.below(40) as i64 - 25;
        let x: f64 = format!("{}e{}", mantissa, exponent).parse().unwrap();
        v.push(if rng.below(4) == 0 { -x } else { x });
    }
    // Ties, mostly at the 16th and 17th significant digit.
    ties64(&mut rng, &mut v, 200);
    v
}

fn floats() -> Vec<f32> {
    let mut v: Vec<f32> = vec![
        0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 0.2, 0.3, 0.1 + 0.2, 1.0 / 3.0, 41.2890625, -41.2890625,
        41.289, 2666.67, 1e-7, 1e-6, 1e10, 1e20, 1e22, 1e-22, 3.4e38, 16777216.0, 16777217.0,
        16777218.0, 8388607.5, 4294967296.0, f32::MAX, f32::MIN, f32::MIN_POSITIVE,
        f32::EPSILON, f32::from_bits(1), f32::from_bits(0x007fffff), f32::from_bits(0x00800001),
        std::f32::consts::PI, std::f32::consts::E,
    ];
    let mut rng = SplitMix64(0x6F6E_6566_757A_7A32); // "onefuzz2"
    let mut e = -149;
    while e <= 127 {
        v.push(pow2_32(e));
        e += 3;
    }
    for k in -20..=20 {
        let p: f32 = format!("1e{}", k).parse().unwrap();
        v.push(p);
        v.push(f32::from_bits(p.to_bits() + 1));
        v.push(f32::from_bits(p.to_bits() - 1));
    }
    let mut made = 0;
    while made < 100 {
        let x = f32::from_bits(rng.next() as u32);
        if x.is_finite() {
            v.push(x);
            made += 1;
        }
    }
    for _ in 0..60 {
        let exponent = 127 - 20 + rng.below(51) as u32;
        let bits = (rng.next() as u32 & 0x807F_FFFF) | (exponent << 23);
        v.push(f32::from_bits(bits));
    }
    for _ in 0..20 {
        v.push(f32::from_bits(1 + rng.below(0x007F_FFFF) as u32));
    }
    for _ in 0..40 {
        let digits = 1 + rng.below(7) as u32;
        let mantissa = rng.below(10u64.pow(digits));
        let exponent = rng.below(20) as i64 - 12;
        let x: f32 = format!("{}e{}", mantissa, exponent).parse().unwrap();
        v.push(if rng.below(4) == 0 { -x } else { x });
    }
    ties32(&mut rng, &mut v, 80);
    v
}

// Keeps the first occurrence of each bit pattern, in order.
fn unique<T: Copy, B: std::hash::Hash + Eq>(values: Vec<T>, bits: impl Fn(T) -> B) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    values.into_iter().filter(|&x| seen.insert(bits(x))).collect()
}

fn main() {
    let d = unique(doubles(), f64::to_bits);
    let f = unique(floats(), f32::to_bits);
    println!("# f64: {} values, f32: {} values", d.len(), f.len());
    for x in d {
        println!("f64 {:016x} {}", x.to_bits(), x);
    }
    for x in f {
        println!("f32 {:08x} {}", x.to_bits(), x);
    }
}
