using TorchSharp;
using TorchSharp.Modules;
using Repro.Core.Training;
using static TorchSharp.torch;

namespace Repro.Core.Models.AutoRec;

/// <summary>
/// AutoRec's network and loss on a dense matrix of rating vectors (one row per reconstructed vector):
/// input = ratings x mask (unobserved inputs are 0), output = W_L g(... g(W_1 input + b_1) ...) + b_L,
/// loss = sum of mask x (output - ratings)^2 + (lambda / 2) sum_l |W_l|^2 (biases are not decayed).
/// Unobserved entries therefore change neither the loss nor its gradient (spec §8).
/// </summary>
public sealed class AutoRecNetwork : IDisposable
{
    // Held for the process's life: implicitly converted Scalars can be finalised while libtorch reads them.
    private static readonly Scalar One = 1f.ToScalar();
    private static readonly Scalar MinusOne = (-1f).ToScalar();

    private readonly AutoRecHyper _hyper;
    private readonly Scalar _halfLambda;

    public AutoRecNetwork(AutoRecHyper hyper, int inputs, ulong seed)
    {
        hyper.Validate();
        _hyper = hyper;
        _halfLambda = (hyper.Lambda / 2).ToScalar();
        var sizes = new List<int> { inputs };
        sizes.AddRange(hyper.HiddenSizes());
        sizes.Add(inputs);
        var random = new SeededRandom(seed);
        for (int l = 0; l + 1 < sizes.Count; l++)
        {
            int fanIn = sizes[l], fanOut = sizes[l + 1];
            var w = new float[fanOut * fanIn];
            random.FillGlorotUniform(w, fanIn, fanOut);
            Weights.Add(new Parameter(tensor(w, new long[] { fanOut, fanIn }), requires_grad: true));
            Biases.Add(new Parameter(zeros(fanOut, ScalarType.Float32), requires_grad: true));
        }
    }

    public List<Parameter> Weights { get; } = [];
    public List<Parameter> Biases { get; } = [];
    public IEnumerable<Parameter> Parameters => Weights.Concat(Biases);

    /// <summary>The reconstruction of every row of <paramref name="input"/> (already masked).</summary>
    public Tensor Forward(Tensor input) => Decode(Encode(input));

    /// <summary>The last hidden layer's activations for every row of <paramref name="input"/>: g(V r + mu) for the shallow network.</summary>
    public Tensor Encode(Tensor input)
    {
        var h = input;
        for (int l = 0; l + 1 < Weights.Count; l++)
        {
            h = nn.functional.linear(h, Weights[l], Biases[l]);
            if (_hyper.Activation == AutoRecActivation.Sigmoid) h = sigmoid(h);
        }
        return h;
    }

    /// <summary>The output layer (identity activation) on codes from <see cref="Encode"/>.</summary>
    public Tensor Decode(Tensor code) => nn.functional.linear(code, Weights[^1], Biases[^1]);

    /// <summary>The loss (a 0-dimensional tensor) on <paramref name="ratings"/> observed where <paramref name="mask"/> is 1.</summary>
    public Tensor Loss(Tensor ratings, Tensor mask)
    {
        var input = ratings.mul(mask);
        return Penalised(Forward(input).add(input, MinusOne).mul(mask));
    }

    /// <summary>
    /// The loss with every entry of <paramref name="data"/> observed (spec §4.4's form for 0/1 data, where
    /// the observed-only loss is minimised by predicting 1): a plain, non-denoising autoencoder's.
    /// </summary>
    public Tensor Loss(Tensor data) => Penalised(Forward(data).add(data, MinusOne));

    /// <summary>Summed squares of <paramref name="residual"/> plus (lambda / 2) sum_l |W_l|^2.</summary>
    private Tensor Penalised(Tensor residual)
    {
        var loss = residual.mul(residual).sum();
        foreach (var w in Weights) loss = loss.add(w.mul(w).sum().mul(_halfLambda), One);
        return loss;
    }

    /// <summary>Every weight and bias as float arrays, layer by layer (weights then biases): what a saved model holds.</summary>
    public List<float[]> Export() => Weights.Concat(Biases).Select(p => p.detach().contiguous().data<float>().ToArray()).ToList();

    /// <summary>Overwrites every weight and bias with what <see cref="Export"/> gave.</summary>
    public void Import(IReadOnlyList<float[]> values)
    {
        var parameters = Weights.Concat(Biases).ToList();
        if (values.Count != parameters.Count) throw new ArgumentException($"expected {parameters.Count} arrays, got {values.Count}");
        using var _ = no_grad();
        for (int p = 0; p < parameters.Count; p++)
        {
            if (values[p].LongLength != parameters[p].numel()) throw new ArgumentException($"array {p} holds {values[p].LongLength} values, the network {parameters[p].numel()}");
            using var source = tensor(values[p], parameters[p].shape);
            parameters[p].copy_(source);
        }
    }

    public void Dispose()
    {
        foreach (var p in Parameters) p.Dispose();
        _halfLambda.Dispose();
    }
}
