using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Repro.Core.Networks;

/// <summary>
/// The three products of a network's output layer (batch x hidden x items each) at
/// <see cref="ProductPrecision.Bf16"/>: bf16 copies of the output layer's weight and of the operands of
/// one batch, accumulated in fp32 by oneDNN and converted back into the caller's fp32 buffers.
/// The outByIn arguments say the weight is stored output x input (items x hidden), used transposed in the forward.
/// Used by <see cref="SparseAutoencoder"/>, CDAE and RecVAE's decoder. The forward leaves
/// the bf16 weight and input in place for the backward of the same batch; the batch x items buffer
/// holds the logits, then the bf16 copy of their gradient.
/// </summary>
internal sealed class Bf16OutputLayer : IDisposable
{
    private readonly Tensor _weight, _weightGradient;
    private readonly int _in, _out;
    private int _capacity;
    private Tensor? _input, _inputGradient, _wide;

    public Bf16OutputLayer(long weightRows, long weightColumns, int inWidth, int outWidth)
    {
        _in = inWidth;
        _out = outWidth;
        _weight = Detached(torch.empty(weightRows, weightColumns, dtype: ScalarType.BFloat16));
        _weightGradient = Detached(torch.empty(weightRows, weightColumns, dtype: ScalarType.BFloat16));
    }

    private static Tensor Detached(Tensor t) => t.DetachFromDisposeScope();

    private void Ensure(int rows)
    {
        if (rows <= _capacity) return;
        _input?.Dispose();
        _inputGradient?.Dispose();
        _wide?.Dispose();
        _capacity = rows;
        _input = Detached(torch.empty(rows, _in, dtype: ScalarType.BFloat16));
        _inputGradient = Detached(torch.empty(rows, _in, dtype: ScalarType.BFloat16));
        _wide = Detached(torch.empty(rows, _out, dtype: ScalarType.BFloat16));
    }

    public void Forward(Tensor output, Tensor input, Tensor weight, bool outByIn, int b)
    {
        Ensure(b);
        _weight.copy_(weight);
        var x = _input!.narrow(0, 0, b).copy_(input);
        var wide = _wide!.narrow(0, 0, b);
        wide.addmm_(x, outByIn ? _weight.t() : _weight, 0f, 1f);
        output.copy_(wide);
    }

    /// <summary>Converts d loss / d logits to bf16 (into the logits' bf16 buffer) for <see cref="InputGradient"/> when no weight gradient is formed.</summary>
    public Tensor HoldGradient(Tensor dPre, int b) => _wide!.narrow(0, 0, b).copy_(dPre);

    /// <summary>Converts d loss / d logits to bf16 (<see cref="HoldGradient"/>) and forms the weight gradient.</summary>
    public void WeightGradient(Tensor weightGradient, Tensor dPre, bool outByIn, int b)
    {
        var g = HoldGradient(dPre, b);
        var x = _input!.narrow(0, 0, b);
        if (outByIn) _weightGradient.addmm_(g.t(), x, 0f, 1f);
        else _weightGradient.addmm_(x.t(), g, 0f, 1f);
        weightGradient.copy_(_weightGradient);
    }

    /// <summary>The input gradient from the bf16 d loss / d logits that <see cref="WeightGradient"/> or <see cref="HoldGradient"/> left.</summary>
    public void InputGradient(Tensor target, bool outByIn, int b)
    {
        var g = _wide!.narrow(0, 0, b);
        var dx = _inputGradient!.narrow(0, 0, b);
        dx.addmm_(g, outByIn ? _weight : _weight.t(), 0f, 1f);
        target.copy_(dx);
    }

    public void Dispose()
    {
        _weight.Dispose();
        _weightGradient.Dispose();
        _input?.Dispose();
        _inputGradient?.Dispose();
        _wide?.Dispose();
    }
}
