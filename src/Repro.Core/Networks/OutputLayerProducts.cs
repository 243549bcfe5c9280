using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Repro.Core.Networks;

/// <summary>
/// The three products of a network's output layer (batch x hidden x items each) at a
/// <see cref="ProductPrecision"/>: the forward, the weight gradient and the input gradient. A model
/// calls them without asking which precision it runs at. <c>outByIn</c> says the weight is stored
/// output x input (items x hidden), used transposed in the forward. Used by
/// <see cref="SparseAutoencoder"/>'s output layer, CDAE and RecVAE's decoder.
/// </summary>
internal abstract class OutputLayerProducts : IDisposable
{
    /// <summary>fp32 products (stateless, shared); bf16 ones sized for a weight of weightRows x weightColumns between widths inWidth and outWidth.</summary>
    public static OutputLayerProducts Create(ProductPrecision precision, long weightRows, long weightColumns, int inWidth, int outWidth) =>
        precision == ProductPrecision.Bf16 ? new Bf16OutputLayer(weightRows, weightColumns, inWidth, outWidth) : Fp32;

    /// <summary>The notebook's arithmetic: fp32 addmm_ into the caller's buffers.</summary>
    public static OutputLayerProducts Fp32 { get; } = new Fp32Products();

    /// <summary>output = input W (before bias and activation), for the first b rows.</summary>
    public abstract void Forward(Tensor output, Tensor input, Tensor weight, bool outByIn, int b);

    /// <summary>d W = the batch's input^T dPre, stored as the weight is; input is the forward's of this batch.</summary>
    public abstract void WeightGradient(Tensor weightGradient, Tensor dPre, Tensor input, bool outByIn, int b);

    /// <summary>target = dPre W^T, the gradient with respect to the layer's input.</summary>
    public abstract void InputGradient(Tensor target, Tensor dPre, Tensor weight, bool outByIn, int b);

    public virtual void Dispose() { }

    private sealed class Fp32Products : OutputLayerProducts
    {
        public override void Forward(Tensor output, Tensor input, Tensor weight, bool outByIn, int b) =>
            output.addmm_(input, outByIn ? weight.t() : weight, 0f, 1f);

        public override void WeightGradient(Tensor weightGradient, Tensor dPre, Tensor input, bool outByIn, int b)
        {
            if (outByIn) weightGradient.addmm_(dPre.t(), input, 0f, 1f);
            else weightGradient.addmm_(input.t(), dPre, 0f, 1f);
        }

        public override void InputGradient(Tensor target, Tensor dPre, Tensor weight, bool outByIn, int b) =>
            target.addmm_(dPre, outByIn ? weight : weight.t(), 0f, 1f);
    }
}
