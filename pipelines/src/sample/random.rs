//! Seeding and small sampling helpers over [`SmallRng`].

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// SplitMix64 finaliser: spreads the bits of a seed.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The generator of one comune: derived from the global seed and the ISTAT
/// code only, so a comune's sample does not depend on which other comuni
/// are generated, nor in which order.
pub(crate) fn comune_rng(seed: u64, istat: &str) -> SmallRng {
    let mut h = splitmix64(seed);
    for b in istat.bytes() {
        h = splitmix64(h ^ u64::from(b));
    }
    SmallRng::seed_from_u64(h)
}

/// Index drawn with the given integer weights (at least one positive).
pub(crate) fn weighted_index(rng: &mut SmallRng, weights: impl Iterator<Item = u32> + Clone) -> usize {
    let total: u32 = weights.clone().sum();
    let mut x = rng.random_range(0..total.max(1));
    for (i, w) in weights.enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    0
}

/// One element of a non-empty slice.
pub(crate) fn pick<'a, T>(rng: &mut SmallRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// True with probability `p`.
pub(crate) fn chance(rng: &mut SmallRng, p: f64) -> bool {
    rng.random::<f64>() < p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comune_streams_differ_and_repeat() {
        let a: Vec<u32> = (0..4).map(|_| comune_rng(1, "015146").random()).collect();
        let mut r = comune_rng(1, "015146");
        let b: Vec<u32> = (0..4).map(|_| r.random()).collect();
        let mut r1 = comune_rng(1, "015146");
        let again: Vec<u32> = (0..4).map(|_| r1.random()).collect();
        assert_eq!(b, again);
        assert!(a.iter().all(|x| *x == a[0]));
        let mut other = comune_rng(1, "015002");
        assert_ne!(b, (0..4).map(|_| other.random()).collect::<Vec<u32>>());
        let mut other_seed = comune_rng(2, "015146");
        assert_ne!(b, (0..4).map(|_| other_seed.random()).collect::<Vec<u32>>());
    }

    #[test]
    fn weighted_index_respects_zero_weights() {
        let mut r = comune_rng(7, "x");
        for _ in 0..100 {
            assert_eq!(weighted_index(&mut r, [0u32, 3, 0].into_iter()), 1);
        }
    }
}
