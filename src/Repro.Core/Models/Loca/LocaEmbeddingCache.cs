using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Repro.Core.Data.Cache;
using Repro.Core.Sparse;
using MultVaeModel = Repro.Core.Models.MultVae.MultVae;
using MultVaeHyper = Repro.Core.Models.MultVae.MultVaeHyper;

namespace Repro.Core.Models.Loca;

/// <summary>
/// LOCA's embedding Mult-VAE and the training users' embeddings kept on disk between fits. Why: the
/// grid points of a LOCA experiment (q, bandwidths, local early stopping, the local λ) share that
/// model, and with few local models it is most of a run (Gowalla's LOCA-VAE: 40 of 46 min). An entry
/// is keyed by everything the model and its embeddings depend on: the training matrix, the Mult-VAE's
/// settings, the seed, the reparameterisation noise, the embedding's input dropout, the thread count
/// (libtorch's sums depend on it) and the builds of this library and of TorchSharp; so a fit from an
/// entry gives the floats of a fit without one. An entry that cannot be read (another key, a damaged
/// file) is trained again and replaced.
/// </summary>
public static class LocaEmbeddingCache
{
    private const string Kind = "loca-embedding";
    /// <summary>Bump when the layout below changes: older entries are trained again.</summary>
    private const int FormatVersion = 1;

    /// <summary>The key of an entry: a SHA-256 over the inputs the class summary lists, in hex; <paramref name="threads"/> defaults to the process's (<see cref="TorchRuntime.Threads"/>).</summary>
    public static string Key(CsrMatrix train, MultVaeHyper hyper, ulong seed, double noiseStd, double keep, int? threads = null)
    {
        var text = new StringBuilder();
        text.Append(Kind).Append(" v").Append(FormatVersion).Append('\n');
        text.Append(hyper).Append('\n'); // a record: every setting, precision included
        text.Append(FormattableString.Invariant($"seed {seed}, noise {noiseStd:R}, keep {keep:R}, threads {threads ?? TorchRuntime.Threads}\n"));
        text.Append("core ").Append(typeof(LocaEmbeddingCache).Assembly.ManifestModule.ModuleVersionId)
            .Append(", torchsharp ").Append(typeof(TorchSharp.torch).Assembly.GetName().Version).Append('\n');
        text.Append(FormattableString.Invariant($"train {train.Rows} x {train.Columns}, {train.NonZeros} entries\n"));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(text.ToString()));
        hash.AppendData(MemoryMarshal.AsBytes(train.RowStart.AsSpan()));
        hash.AppendData(MemoryMarshal.AsBytes(train.ColumnIndex.AsSpan()));
        if (train.Values is { } values) hash.AppendData(MemoryMarshal.AsBytes(values.AsSpan()));
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>The entry file of <paramref name="key"/> in <paramref name="cacheDir"/>.</summary>
    public static string PathOf(string cacheDir, string key) => Path.Combine(cacheDir, $"loca-embedding-{key[..16]}.bin");

    /// <summary>
    /// The trained Mult-VAE of <paramref name="hyper"/> (<see cref="LocaEmbedding.Train"/>) and every
    /// training row's embedding with input keep probability <paramref name="keep"/>
    /// (<see cref="LocaEmbedding.Embed"/>): from <paramref name="cacheDir"/>'s entry when it has one,
    /// else trained and saved there. Without a folder (null), trained and not saved.
    /// </summary>
    public static (MultVaeModel Model, float[] Embeddings) TrainAndEmbed(CsrMatrix train, MultVaeHyper hyper, ulong seed, double noiseStd, double keep,
        string label, string? cacheDir, Action<string>? say = null, CancellationToken cancel = default)
    {
        (MultVaeModel, float[]) Fresh()
        {
            var vae = LocaEmbedding.Train(train, hyper, seed, noiseStd, label, say, cancel);
            return (vae, LocaEmbedding.Embed(vae, train, keep));
        }

        if (cacheDir is null) return Fresh();
        var key = Key(train, hyper, seed, noiseStd, keep);
        var path = PathOf(cacheDir, key);
        if (File.Exists(path))
        {
            try
            {
                var kept = Load(path, key, train, hyper, noiseStd);
                say?.Invoke($"{label}: embedding Mult-VAE and the {train.Rows} training users' embeddings from {path} (a fit with the same data, settings, seed, threads and build)");
                return kept;
            }
            catch (StaleCacheException e)
            {
                say?.Invoke($"{label}: {e.Message}; training the embedding Mult-VAE again");
            }
        }
        var (model, embeddings) = Fresh();
        try
        {
            Save(path, key, model, embeddings);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The fit stands without the entry; only the next grid point pays for it.
            say?.Invoke($"{label}: the embedding cache {path} was not written ({e.Message})");
        }
        return (model, embeddings);
    }

    private static void Save(string path, string key, MultVaeModel model, float[] embeddings) =>
        BinaryArchive.Write(path, Kind, FormatVersion, key, w =>
        {
            w.Write(model.Network.Parameters.Data);
            w.Write(embeddings);
        });

    private static (MultVaeModel, float[]) Load(string path, string key, CsrMatrix train, MultVaeHyper hyper, double noiseStd) =>
        BinaryArchive.Read(path, Kind, FormatVersion, key, r =>
        {
            var parameters = r.ReadSingleArray();
            var embeddings = r.ReadSingleArray();
            var model = new MultVaeModel(train.Columns, hyper, 0);
            if (parameters.Length != model.Network.Parameters.Data.Length || embeddings.Length != (long)train.Rows * hyper.Latent)
            {
                model.Dispose();
                throw new StaleCacheException(path, $"holds {parameters.Length} parameters and {embeddings.Length} embedding values, expected {model.Network.Parameters.Data.Length} and {(long)train.Rows * hyper.Latent}");
            }
            parameters.CopyTo(model.Network.Parameters.Data, 0);
            model.Network.NoiseStd = noiseStd;
            return (model, embeddings);
        });
}
