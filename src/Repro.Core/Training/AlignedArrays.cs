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
    /// unaligned, which costs repeatability in the last bits, never correctness. Very large arrays
    /// (measured on .NET 10: 24.6M and 49M floats) always land at the same address modulo 64 (56),
    /// whatever comes between, so once <see cref="SameMissesToStop"/> attempts in a row miss by the
    /// same amount the array is returned as it is: retrying would only pile up copies (64 of 196 MB
    /// for Mult-VAE's parameters on Gowalla, which made a refit in the selection's process grow by
    /// 240 MB/s before its first batch). The address, hence the result, is the one the 65th attempt gave.
    /// </summary>
    public static float[] Allocate(long length)
    {
        if (length > Array.MaxLength) throw new ArgumentException($"a buffer of {length} floats does not fit one array; use smaller batches");
        var misses = new List<object>();
        long lastMiss = -1;
        int sameMisses = 0;
        for (int attempt = 0; ; attempt++)
        {
            var data = GC.AllocateArray<float>((int)length, pinned: true);
            long miss = Misalignment(data);
            sameMisses = miss == lastMiss ? sameMisses + 1 : 1;
            lastMiss = miss;
            // Only a large array's repeated miss means a fixed placement; a small one can land in the same
            // freed gap a few times in a row (seen under parallel tests) and still find a boundary later.
            if (miss == 0 || attempt == 64 || (sameMisses == SameMissesToStop && length >= FixedPlacementFloats)) return data;
            misses.Add(data);
            misses.Add(GC.AllocateArray<float>(1 + attempt % 4, pinned: true));
        }
    }

    /// <summary>Attempts in a row that miss by the same number of bytes before <see cref="Allocate"/> stops retrying.</summary>
    public const int SameMissesToStop = 4;

    /// <summary>Arrays of at least this many floats (4 MB) may stop retrying after <see cref="SameMissesToStop"/> equal misses.</summary>
    public const long FixedPlacementFloats = 1 << 20;

    /// <summary>Bytes past the last 64-byte boundary at which element 0 of <paramref name="data"/> sits.</summary>
    static long Misalignment(float[] data) =>
        data.Length == 0 ? 0 : Marshal.UnsafeAddrOfPinnedArrayElement(data, 0).ToInt64() % 64;

    /// <summary>True when element 0 of <paramref name="data"/> starts on a 64-byte boundary.</summary>
    public static bool IsAligned(float[] data) => Misalignment(data) == 0;

    /// <summary><paramref name="offset"/> rounded up to a whole number of 64-byte blocks of floats.</summary>
    public static long RoundUp(long offset) => (offset + AlignmentFloats - 1) / AlignmentFloats * AlignmentFloats;
}
