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
}
