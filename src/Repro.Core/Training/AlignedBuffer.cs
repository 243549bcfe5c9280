using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Repro.Core.Training;

/// <summary>
/// A pinned float buffer whose used part starts on a 64-byte boundary, seen from C# as a span and from
/// libtorch as a [rows, columns] tensor sharing the memory. libtorch's CPU matrix products (MKL) may
/// round differently depending on where their operands start (MKL promises repeatable results only
/// for 64-byte-aligned data), so two runs with the same seed differ in the last bits unless every
/// buffer that enters a product is aligned; libtorch's own tensors already are.
/// </summary>
public sealed class AlignedBuffer : IDisposable
{
    private const int AlignmentFloats = 16; // 64 bytes

    public AlignedBuffer(int rows, int columns)
    {
        long length = (long)rows * columns;
        if (rows <= 0 || columns <= 0 || length + AlignmentFloats > Array.MaxLength)
            throw new ArgumentException($"an aligned buffer of {rows} x {columns} floats cannot be allocated");
        Length = (int)length;
        Rows = rows;
        Columns = columns;
        Data = GC.AllocateArray<float>(Length + AlignmentFloats, pinned: true);
        long address = Marshal.UnsafeAddrOfPinnedArrayElement(Data, 0).ToInt64();
        Offset = (int)((64 - address % 64) % 64 / sizeof(float));
        using var flat = torch.frombuffer(Data, ScalarType.Float32, Length, Offset);
        Tensor = flat.view(rows, columns).DetachFromDisposeScope(); // long-lived
    }

    public int Rows { get; }
    public int Columns { get; }
    public int Length { get; }

    /// <summary>The whole pinned array; the buffer is <see cref="Length"/> floats from <see cref="Offset"/>.</summary>
    public float[] Data { get; }
    public int Offset { get; }

    public Span<float> Span => Data.AsSpan(Offset, Length);
    public Memory<float> Memory => Data.AsMemory(Offset, Length);

    /// <summary>The buffer as a [Rows, Columns] tensor sharing its memory.</summary>
    public Tensor Tensor { get; }

    public void Dispose() => Tensor.Dispose();
}
