package dev.strix.data;

/**
 * Stateless, counter-based random numbers: a number depends only on a key (built from a seed and,
 * say, the epoch and batch index) and a counter, never on how many numbers were drawn before. So
 * results do not depend on threading or on the order of work, and a GPU kernel can reproduce
 * them exactly with the same 64-bit integer arithmetic.
 *
 * <p>The mixing function is SplitMix64's finaliser (Steele, Lea and Flood, 2014), applied to
 * {@code key + (counter + 1) * 0x9E3779B97F4A7C15}.
 */
public final class CounterRandom {
    private static final long GOLDEN_GAMMA = 0x9E37_79B9_7F4A_7C15L;

    private CounterRandom() {
    }

    /** SplitMix64's finaliser: a bijection of 64-bit values that mixes every input bit into every output bit. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    /** A key derived from {@code seed} and one more coordinate (e.g. the epoch). */
    public static long key(long seed, long a) {
        return mix(mix(seed) + (a + 1) * GOLDEN_GAMMA);
    }

    /** A key derived from {@code seed} and two more coordinates (e.g. epoch and batch index). */
    public static long key(long seed, long a, long b) {
        return key(key(seed, a), b);
    }

    /** 64 random bits for ({@code key}, {@code counter}). */
    public static long bits(long key, long counter) {
        return mix(key + (counter + 1) * GOLDEN_GAMMA);
    }

    /** A uniform double in [0, 1) with 53 random bits. */
    public static double uniform(long key, long counter) {
        return (bits(key, counter) >>> 11) * 0x1.0p-53;
    }

    /** A uniform int in [0, bound) by multiply-shift (bias below bound / 2^32). */
    public static int below(long key, long counter, int bound) {
        return (int) (((bits(key, counter) >>> 32) * bound) >>> 32);
    }

    /**
     * Fills {@code order} with a permutation of 0..n-1 that depends only on {@code key}
     * (Fisher-Yates, swap index {@code i} with one drawn from [0, i]).
     */
    public static void permutation(long key, int[] order) {
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int i = order.length - 1; i > 0; i--) {
            int j = below(key, i, i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }
}
