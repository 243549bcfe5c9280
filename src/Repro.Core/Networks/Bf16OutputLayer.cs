using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Repro.Core.Networks;

/// <summary>
/// <see cref="OutputLayerProducts"/> at <see cref="ProductPrecision.Bf16"/>: bf16 copies of the
/// output layer's weight and of the operands of one batch, accumulated in fp32 by oneDNN and
/// converted back into the caller's fp32 buffers. The forward leaves the bf16 weight and input in
/// place for the backward of the same batch (the backward's fp32 input and weight are not read); the
/// batch x items buffer holds the logits, then the bf16 copy of their gradient, made once per batch
/// by the first of the two gradient products.
/// </summary>
internal sealed class Bf16OutputLayer : OutputLayerProducts
{
    private readonly Tensor _weight, _weightGradient;
    private readonly int _in, _out;
    private int _capacity;
    private Tensor? _input, _inputGradient, _wide;
    private bool _gradientHeld; // the batch's d loss / d logits is in _wide as bf16

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

    public override void Forward(Tensor output, Tensor input, Tensor weight, bool outByIn, int b)
    {
        Ensure(b);
        _gradientHeld = false;
        _weight.copy_(weight);
        var x = _input!.narrow(0, 0, b).copy_(input);
        var wide = _wide!.narrow(0, 0, b);
        wide.addmm_(x, outByIn ? _weight.t() : _weight, 0f, 1f);
        output.copy_(wide);
    }

    /// <summary>d loss / d logits in bf16, converted on the batch's first gradient product.</summary>
    private Tensor HeldGradient(Tensor dPre, int b)
    {
        var g = _wide!.narrow(0, 0, b);
        if (!_gradientHeld) { g.copy_(dPre); _gradientHeld = true; }
        return g;
    }

    public override void WeightGradient(Tensor weightGradient, Tensor dPre, Tensor input, bool outByIn, int b)
    {
        var g = HeldGradient(dPre, b);
        var x = _input!.narrow(0, 0, b);
        if (outByIn) _weightGradient.addmm_(g.t(), x, 0f, 1f);
        else _weightGradient.addmm_(x.t(), g, 0f, 1f);
        weightGradient.copy_(_weightGradient);
    }

    public override void InputGradient(Tensor target, Tensor dPre, Tensor weight, bool outByIn, int b)
    {
        var g = HeldGradient(dPre, b);
        var dx = _inputGradient!.narrow(0, 0, b);
        dx.addmm_(g, outByIn ? _weight : _weight.t(), 0f, 1f);
        target.copy_(dx);
    }

    public override void Dispose()
    {
        _weight.Dispose();
        _weightGradient.Dispose();
        _input?.Dispose();
        _inputGradient?.Dispose();
        _wide?.Dispose();
    }
}
