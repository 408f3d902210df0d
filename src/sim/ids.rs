//! Deterministic identifiers in the real services' formats, so the sample company is the same
//! on every run and records created at run time look like real ones.

/// SplitMix64: one step of a tiny, good-enough generator (no randomness crate needed).
pub(crate) fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A SmartHR-style UUID (version 4 layout) derived from `seed`.
pub(crate) fn uuid_like(seed: u64) -> String {
    let a = mix(seed);
    let b = mix(a);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// A KOT employee key: 64 hex characters derived from `seed`.
pub(crate) fn kot_key(seed: u64) -> String {
    use std::fmt::Write;
    let mut x = seed ^ 0x4B4F_544B_4559;
    let mut key = String::with_capacity(64);
    for _ in 0..4 {
        x = mix(x);
        // Writing to a String cannot fail.
        let _ = write!(key, "{x:016x}");
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_real_formats_and_differ_by_seed() {
        let u = uuid_like(1);
        assert_eq!(u.len(), 36);
        assert_eq!(u.matches('-').count(), 4);
        assert_ne!(uuid_like(1), uuid_like(2));
        let k = kot_key(1);
        assert_eq!(k.len(), 64);
        assert!(k.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(kot_key(1), kot_key(2));
    }
}
