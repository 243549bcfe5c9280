namespace Repro.Core.Protocols;

/// <summary>
/// numpy's legacy global RNG (<c>np.random.seed</c>, <c>np.random.RandomState</c>): MT19937 seeded by
/// <c>init_genrand</c>, with the legacy <c>permutation</c> and <c>choice(replace=False)</c> algorithms.
/// The notebook's split (cells 17–27) is defined by this stream, so the port must match it draw for
/// draw (spec §8; checked against numpy-legacy-rng-vectors.json).
/// </summary>
public sealed class NumpyRandomState
{
    private const int StateLength = 624;
    private const int Shift = 397;
    private const uint MatrixA = 0x9908b0dfu;
    private const uint UpperMask = 0x80000000u;
    private const uint LowerMask = 0x7fffffffu;

    private readonly uint[] _state = new uint[StateLength];
    private int _position;

    public NumpyRandomState(uint seed) => Seed(seed);

    /// <summary><c>np.random.seed(seed)</c>: MT19937 <c>init_genrand</c> (numpy's <c>mt19937_seed</c>).</summary>
    public void Seed(uint seed)
    {
        _state[0] = seed;
        for (int i = 1; i < StateLength; i++)
        {
            uint previous = _state[i - 1];
            _state[i] = unchecked(1812433253u * (previous ^ (previous >> 30)) + (uint)i);
        }
        _position = StateLength;
    }

    /// <summary>The next raw 32-bit output (<c>genrand_int32</c>).</summary>
    public uint NextUInt32()
    {
        if (_position >= StateLength) Regenerate();
        uint y = _state[_position++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary>
    /// A uniform integer in [0, max] by masked rejection, as numpy's <c>random_interval</c>: the mask is
    /// <paramref name="max"/> with every lower bit set; 32-bit outputs are drawn until one masked value
    /// is at most max. (numpy switches to 64-bit draws above 0xFFFFFFFF, which a uint cannot reach.)
    /// </summary>
    public uint Interval(uint max)
    {
        if (max == 0) return 0;
        uint mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        uint value;
        while ((value = NextUInt32() & mask) > max) { }
        return value;
    }

    /// <summary>Legacy <c>shuffle</c> of a 1-d array: for i from n-1 down to 1, swap a[i] with a[Interval(i)].</summary>
    public void Shuffle(Span<int> values)
    {
        for (int i = values.Length - 1; i >= 1; i--)
        {
            int j = (int)Interval((uint)i);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    /// <summary><c>np.random.permutation(n)</c>: 0..n-1 shuffled.</summary>
    public int[] Permutation(int n)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "a permutation needs n >= 0");
        var values = new int[n];
        Permutation(values);
        return values;
    }

    /// <summary><c>np.random.permutation(destination.Length)</c> written into <paramref name="destination"/>, without allocating.</summary>
    public void Permutation(Span<int> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = i;
        Shuffle(destination);
    }

    /// <summary>
    /// <c>np.random.choice(n, size=k, replace=False)</c>, which numpy's legacy code computes as
    /// <c>permutation(n)[:k]</c>: the whole permutation is drawn, so a choice always consumes the
    /// draws of shuffling n values, however small k is.
    /// </summary>
    public int[] Choice(int n, int k)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "population size must be >= 0");
        if (k < 0 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"cannot take {k} of {n} without replacement");
        var permutation = Permutation(n);
        return k == n ? permutation : permutation.AsSpan(0, k).ToArray();
    }

    private void Regenerate()
    {
        var mt = _state;
        int kk = 0;
        uint y;
        for (; kk < StateLength - Shift; kk++)
        {
            y = (mt[kk] & UpperMask) | (mt[kk + 1] & LowerMask);
            mt[kk] = mt[kk + Shift] ^ (y >> 1) ^ ((y & 1u) != 0 ? MatrixA : 0u);
        }
        for (; kk < StateLength - 1; kk++)
        {
            y = (mt[kk] & UpperMask) | (mt[kk + 1] & LowerMask);
            mt[kk] = mt[kk + Shift - StateLength] ^ (y >> 1) ^ ((y & 1u) != 0 ? MatrixA : 0u);
        }
        y = (mt[StateLength - 1] & UpperMask) | (mt[0] & LowerMask);
        mt[StateLength - 1] = mt[Shift - 1] ^ (y >> 1) ^ ((y & 1u) != 0 ? MatrixA : 0u);
        _position = 0;
    }
}
