using System.Diagnostics;
using Repro.Core.Sparse;
using MultVaeModel = Repro.Core.Models.MultVae.MultVae;
using MultVaeHyper = Repro.Core.Models.MultVae.MultVaeHyper;

namespace Repro.Core.Models.Loca;

/// <summary>
/// LOCA's global Mult-VAE [I-K-I] and its user embedding e_u = encoder mean (main.py l.110, spec
/// seed-models 1.1 item 1), shared by LOCA-EASE and LOCA-VAE (where it is also the global fallback).
/// </summary>
public static class LocaEmbedding
{
    /// <summary>Keep probability of LOCA's Mult-VAE input dropout (dropout 0.2 in MultVAE.cfg).</summary>
    public const double Keep = 0.8;

    /// <summary>LOCA's MultVAE settings: [I-K-I], dropout 0.2, anneal cap 0.2 over 200,000 steps, Adam, batch in fixed order.</summary>
    public static MultVaeHyper Hyper(int latent, double learningRate, int batchSize, int epochs) => new()
    {
        Hidden = 0, Latent = latent, KeepProbability = Keep, AnnealCap = 0.2, TotalAnnealSteps = 200_000,
        LearningRate = learningRate, BatchSize = batchSize, Epochs = epochs,
    };

    /// <summary>
    /// Trains a Mult-VAE of <paramref name="hyper"/> on the non-empty rows of <paramref name="train"/>
    /// in fixed order (the code does not shuffle, MultVAE.py l.116) for its epochs, beta annealed;
    /// eps ~ N(0, <paramref name="noiseStd"/>^2) (the code: 0.01, spec 1.8 item 5).
    /// </summary>
    public static MultVaeModel Train(CsrMatrix train, MultVaeHyper hyper, ulong seed, double noiseStd, string label,
        Action<string>? say = null, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        var vae = new MultVaeModel(train.Columns, hyper, seed);
        vae.Network.NoiseStd = noiseStd;
        var nonEmpty = Enumerable.Range(0, train.Rows).Where(u => train.RowLength(u) > 0).ToArray();
        var schedule = hyper.NewAnnealingSchedule((nonEmpty.Length + hyper.BatchSize - 1) / hyper.BatchSize);
        for (int epoch = 1; epoch <= hyper.Epochs; epoch++)
        {
            cancel.ThrowIfCancellationRequested();
            double loss = 0;
            int batches = 0;
            for (int first = 0; first < nonEmpty.Length; first += hyper.BatchSize)
            {
                var rows = nonEmpty.AsSpan(first, Math.Min(hyper.BatchSize, nonEmpty.Length - first));
                loss += vae.TrainStep(train, rows, schedule.Beta).Loss;
                schedule.Advance();
                batches++;
            }
            if (epoch == 1 || epoch % 25 == 0 || epoch == hyper.Epochs)
                say?.Invoke($"{label} embedding Mult-VAE epoch {epoch}/{hyper.Epochs}: loss {loss / Math.Max(1, batches):0.###}, {clock.Elapsed.TotalSeconds:0.0} s");
        }
        return vae;
    }

    /// <summary>Every row's encoder mean (rows x latent); with <paramref name="keep"/> &lt; 1 inputs are dropped as in training (the code embeds in train mode, spec 1.8 item 3).</summary>
    public static float[] Embed(MultVaeModel vae, CsrMatrix data, double keep = 1.0)
    {
        var embeddings = new float[(long)data.Rows * vae.Latent];
        vae.Encode(data, Enumerable.Range(0, data.Rows).ToArray(), embeddings, keep);
        return embeddings;
    }
}
