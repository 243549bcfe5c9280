using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Repro.Core.Networks;

/// <summary>
/// The dense layers' matrix products, in fp32 or, for the output layer at
/// <see cref="ProductPrecision.Bf16"/>, with bfloat16 operands: the output layer's three products
/// (batch x hidden x items each) are about two thirds of a Mult-VAE^PR step at ML-20M's shape, and
/// oneDNN's AVX-512 BF16 kernels run them about twice as fast. The weights, the logits, the gradients
/// and Adam stay fp32; each product converts its operands to bf16, accumulates in fp32 inside oneDNN
/// and converts the bf16 result back into the fp32 buffer, as PyTorch's CPU autocast does.
/// </summary>
public sealed partial class SparseAutoencoder
{
    private readonly Bf16OutputLayer? _bf16;

    /// <summary>The number format of the output layer's products.</summary>
    public ProductPrecision Precision => _options.Precision;

    /// <summary>out_l[:b] = input_l[:b] W_l (before bias and activation).</summary>
    private void LayerProduct(int l, int b)
    {
        var layer = _layers[l];
        if (_bf16 is { } bf && l == _layers.Length - 1) bf.Forward(Rows(_outT[l], b), InputTensor(l, b), _weightT[l], layer.OutByIn, b);
        else Rows(_outT[l], b).addmm_(InputTensor(l, b), layer.OutByIn ? _weightT[l].t() : _weightT[l], 0f, 1f);
    }

    /// <summary>d W_l = input_l^T dPre (stored as the weight is).</summary>
    private void WeightGradientProduct(int l, int b, Tensor dPre)
    {
        var layer = _layers[l];
        if (_bf16 is { } bf && l == _layers.Length - 1) bf.WeightGradient(_weightGradT[l], dPre, layer.OutByIn, b);
        else if (layer.OutByIn) _weightGradT[l].addmm_(dPre.t(), InputTensor(l, b), 0f, 1f);
        else _weightGradT[l].addmm_(InputTensor(l, b).t(), dPre, 0f, 1f);
    }

    /// <summary>target = dPre W_l^T, the gradient with respect to the layer's input.</summary>
    private void InputGradientProduct(int l, int b, Tensor dPre, Tensor target)
    {
        var layer = _layers[l];
        if (_bf16 is { } bf && l == _layers.Length - 1) bf.InputGradient(target, layer.OutByIn, b);
        else target.addmm_(dPre, layer.OutByIn ? _weightT[l] : _weightT[l].t(), 0f, 1f);
    }

    /// <summary>
    /// bf16 copies of the output layer's weight and of the operands of one batch. The forward leaves
    /// the bf16 weight and input in place for the backward of the same batch; the batch x items buffer
    /// holds the logits, then the bf16 copy of their gradient.
    /// </summary>
    private sealed class Bf16OutputLayer : IDisposable
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

        /// <summary>Converts d loss / d logits to bf16 (into the logits' bf16 buffer) and forms the weight gradient.</summary>
        public void WeightGradient(Tensor weightGradient, Tensor dPre, bool outByIn, int b)
        {
            var g = _wide!.narrow(0, 0, b).copy_(dPre);
            var x = _input!.narrow(0, 0, b);
            if (outByIn) _weightGradient.addmm_(g.t(), x, 0f, 1f);
            else _weightGradient.addmm_(x.t(), g, 0f, 1f);
            weightGradient.copy_(_weightGradient);
        }

        /// <summary>The input gradient from the bf16 d loss / d logits that <see cref="WeightGradient"/> left.</summary>
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
}
