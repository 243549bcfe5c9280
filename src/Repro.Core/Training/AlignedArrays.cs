using System.Runtime.InteropServices;

namespace Repro.Core.Training;

/// <summary>
/// Pinned float arrays whose element 0 sits on a 64-byte boundary, for code that hands plain arrays
/// to libtorch (torch.frombuffer). libtorch's CPU matrix products (MKL) round differently depending
/// on where their operands start, so a rerun with the same seed matches bit for bit only when every
/// buffer entering a product is 64-byte aligned (see also <see cref="AlignedBuffer"/>, which offsets
/// into a larger array instead; this class keeps the array itself aligned, so spans over it stay
/// plain <c>float[]</c> indexing).
/// </summary>
public static class AlignedArrays
{
    /// <summary>Floats per 64 bytes: segment offsets that are multiples of this keep alignment.</summary>
    public const int AlignmentFloats = 16;

    /// <summary>
    /// A zeroed pinned array of <paramref name="length"/> floats starting on a 64-byte boundary. The
    /// pinned heap gives 8-byte alignment, so allocation is retried with small spacer allocations in
    /// between (each attempt shifts the next address); after 64 misses the last array is returned
    /// unaligned, which costs repeatability in the last bits, never correctness.
    /// </summary>
    public static float[] Allocate(long length)
    {
        if (length > Array.MaxLength) throw new ArgumentException($"a buffer of {length} floats does not fit one array; use smaller batches");
        var misses = new List<object>();
        for (int attempt = 0; ; attempt++)
        {
            var data = GC.AllocateArray<float>((int)length, pinned: true);
            if (IsAligned(data) || attempt == 64) return data;
            misses.Add(data);
            misses.Add(GC.AllocateArray<float>(1 + attempt % 4, pinned: true));
        }
    }

    /// <summary>True when element 0 of <paramref name="data"/> starts on a 64-byte boundary.</summary>
    public static bool IsAligned(float[] data) =>
        data.Length == 0 || Marshal.UnsafeAddrOfPinnedArrayElement(data, 0).ToInt64() % 64 == 0;

    /// <summary><paramref name="offset"/> rounded up to a whole number of 64-byte blocks of floats.</summary>
    public static long RoundUp(long offset) => (offset + AlignmentFloats - 1) / AlignmentFloats * AlignmentFloats;
}
