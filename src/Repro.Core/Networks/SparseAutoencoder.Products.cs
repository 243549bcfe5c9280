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
    private readonly OutputLayerProducts _outputProducts;

    /// <summary>The number format of the output layer's products.</summary>
    public ProductPrecision Precision => _options.Precision;

    /// <summary>Layer l's products: the output layer's at the network's precision, the others fp32.</summary>
    private OutputLayerProducts ProductsOf(int l) => l == _layers.Length - 1 ? _outputProducts : OutputLayerProducts.Fp32;

    /// <summary>out_l[:b] = input_l[:b] W_l (before bias and activation).</summary>
    private void LayerProduct(int l, int b) =>
        ProductsOf(l).Forward(Rows(_outT[l], b), InputTensor(l, b), _weightT[l], _layers[l].OutByIn, b);

    /// <summary>d W_l = input_l^T dPre (stored as the weight is).</summary>
    private void WeightGradientProduct(int l, int b, Tensor dPre) =>
        ProductsOf(l).WeightGradient(_weightGradT[l], dPre, InputTensor(l, b), _layers[l].OutByIn, b);

    /// <summary>target = dPre W_l^T, the gradient with respect to the layer's input.</summary>
    private void InputGradientProduct(int l, int b, Tensor dPre, Tensor target) =>
        ProductsOf(l).InputGradient(target, dPre, _weightT[l], _layers[l].OutByIn, b);
}
