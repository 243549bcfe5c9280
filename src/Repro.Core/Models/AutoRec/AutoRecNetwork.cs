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
    public Tensor Forward(Tensor input)
    {
        var h = input;
        for (int l = 0; l < Weights.Count; l++)
        {
            h = nn.functional.linear(h, Weights[l], Biases[l]);
            if (l + 1 < Weights.Count && _hyper.Activation == AutoRecActivation.Sigmoid) h = sigmoid(h);
        }
        return h;
    }

    /// <summary>The loss (a 0-dimensional tensor) on <paramref name="ratings"/> observed where <paramref name="mask"/> is 1.</summary>
    public Tensor Loss(Tensor ratings, Tensor mask)
    {
        var input = ratings.mul(mask);
        var diff = Forward(input).add(input, MinusOne).mul(mask);
        var loss = diff.mul(diff).sum();
        foreach (var w in Weights) loss = loss.add(w.mul(w).sum().mul(_halfLambda), One);
        return loss;
    }

    public void Dispose()
    {
        foreach (var p in Parameters) p.Dispose();
        _halfLambda.Dispose();
    }
}
