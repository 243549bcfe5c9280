namespace Repro.Core.Training;

/// <summary>
/// xoshiro256** seeded through SplitMix64: a small generator whose stream is fixed by its seed alone,
/// independent of the .NET version and of libtorch's global generator. Used for dropout masks and the
/// reparameterisation noise, so a training run is repeatable from its seed.
/// </summary>
public sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spareNormal;
    private bool _hasSpare;

    public SeededRandom(ulong seed) => Reseed(seed);

    /// <summary>Restarts the stream that <paramref name="seed"/> determines.</summary>
    public void Reseed(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
        _hasSpare = false;
    }

    /// <summary>The generator's full state (four words, then the pending normal's bits and a flag), so a stream can be saved and continued exactly.</summary>
    public ulong[] GetState() =>
        [_s0, _s1, _s2, _s3, BitConverter.DoubleToUInt64Bits(_spareNormal), _hasSpare ? 1UL : 0UL];

    /// <summary>Continues the stream from what <see cref="GetState"/> returned.</summary>
    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 6) throw new ArgumentException($"a generator state has 6 words, got {state.Length}", nameof(state));
        if ((state[0] | state[1] | state[2] | state[3]) == 0) throw new ArgumentException("the generator state must not be all zero", nameof(state));
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
        _spareNormal = BitConverter.UInt64BitsToDouble(state[4]);
        _hasSpare = state[5] != 0;
    }

    /// <summary>Uniform integer in [0, <paramref name="bound"/>): the high word of a 64 x 64-bit product (bias below bound / 2^64).</summary>
    public int NextBelow(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), $"bound must be > 0, got {bound}");
        return (int)Math.BigMul(NextUInt64(), (ulong)bound, out _);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform on [0, 1) with 24 random bits.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform on [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal (Box-Muller, polar form; pairs are used in turn).</summary>
    public double NextNormal()
    {
        if (_hasSpare) { _hasSpare = false; return _spareNormal; }
        double u, v, s;
        do
        {
            u = 2 * NextDouble() - 1;
            v = 2 * NextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double f = Math.Sqrt(-2 * Math.Log(s) / s);
        _spareNormal = v * f;
        _hasSpare = true;
        return u * f;
    }

    /// <summary>Glorot (Xavier) uniform: U(-r, r), r = sqrt(6 / (fanIn + fanOut)), TF's default initialiser.</summary>
    public void FillGlorotUniform(Span<float> target, int fanIn, int fanOut)
    {
        double r = Math.Sqrt(6.0 / (fanIn + fanOut));
        for (int k = 0; k < target.Length; k++) target[k] = (float)((2 * NextDouble() - 1) * r);
    }

    /// <summary>N(0, stddev^2) truncated at two standard deviations (redrawn), as TF's truncated_normal.</summary>
    public void FillTruncatedNormal(Span<float> target, double stddev)
    {
        for (int k = 0; k < target.Length; k++)
        {
            double z;
            do { z = NextNormal(); } while (Math.Abs(z) > 2);
            target[k] = (float)(z * stddev);
        }
    }
}
