using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Core.Training;

/// <summary>One named parameter inside a <see cref="FlatParameters"/> buffer.</summary>
/// <param name="IsWeight">True for a weight matrix (penalised by an L2 term), false for a bias.</param>
public sealed record ParameterSegment(string Name, long Offset, int Rows, int Columns, bool IsWeight)
{
    public long Length => (long)Rows * Columns;
}

/// <summary>
/// All parameters of a network in one pinned float array, so that a fused optimiser makes a single
/// pass over them and saving is one write. libtorch sees each parameter as a tensor view of the same
/// memory (torch.frombuffer shares it), so matrix products write into and read from these arrays
/// directly.
/// </summary>
public sealed class FlatParameters : IDisposable
{
    private readonly Dictionary<string, ParameterSegment> _byName = new();
    private readonly Tensor _whole;
    private readonly Dictionary<string, Tensor> _views = new();

    public FlatParameters(IReadOnlyList<(string Name, int Rows, int Columns, bool IsWeight)> layout)
    {
        var segments = new List<ParameterSegment>();
        long offset = 0;
        foreach (var (name, rows, columns, isWeight) in layout)
        {
            var s = new ParameterSegment(name, offset, rows, columns, isWeight);
            segments.Add(s);
            _byName.Add(name, s);
            // Each segment starts on a 64-byte boundary (the gaps stay zero, and so do their
            // gradients and moments), so matrix products see aligned operands (AlignedArrays).
            offset = AlignedArrays.RoundUp(offset + s.Length);
        }
        if (offset > Array.MaxLength) throw new ArgumentException($"{offset} parameters do not fit one array");
        Segments = segments;
        Data = AlignedArrays.Allocate(offset);
        // Long-lived: detached from any dispose scope the caller may have open.
        _whole = torch.frombuffer(Data, ScalarType.Float32).DetachFromDisposeScope();
        foreach (var s in segments)
        {
            using var slice = _whole.narrow(0, s.Offset, s.Length);
            _views[s.Name] = slice.view(s.Rows, s.Columns).DetachFromDisposeScope();
        }
    }

    /// <summary>A buffer with the same layout (for gradients and optimiser moments).</summary>
    public FlatParameters SameLayout() =>
        new(Segments.Select(s => (s.Name, s.Rows, s.Columns, s.IsWeight)).ToList());

    public IReadOnlyList<ParameterSegment> Segments { get; }
    public float[] Data { get; }
    /// <summary>Parameters held (the segments' sizes; <see cref="Data"/> also holds the alignment gaps).</summary>
    public long Count => Segments.Sum(s => s.Length);

    public ParameterSegment Segment(string name) =>
        _byName.TryGetValue(name, out var s) ? s : throw new KeyNotFoundException($"no parameter named {name}; have {string.Join(", ", _byName.Keys)}");

    public Span<float> Span(string name)
    {
        var s = Segment(name);
        return Data.AsSpan((int)s.Offset, (int)s.Length);
    }

    /// <summary>The parameter as a [Rows, Columns] tensor sharing this buffer's memory.</summary>
    public Tensor Tensor(string name) => _views.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"no parameter named {name}");

    /// <summary>A string naming every segment and its shape; two buffers with equal layouts hold the same network.</summary>
    public string LayoutKey => string.Join(";", Segments.Select(s => $"{s.Name}:{s.Rows}x{s.Columns}"));

    public void Dispose()
    {
        foreach (var v in _views.Values) v.Dispose();
        _whole.Dispose();
    }
}
