using Repro.Core.Data.Cache;

namespace Repro.Core.Training;

/// <summary>Where a run stands, as recorded in state.bin.</summary>
public enum RunStage { InProgress = 0, Completed = 1, Diverged = 2 }

/// <summary>
/// Everything the <see cref="TrainingDriver"/> needs to continue a run exactly where it stopped
/// (<c>state.bin</c>): the position (epoch, next minibatch, the epoch's row permutation), the shuffling
/// generator, the annealing counter, the epoch's partial sums, the best validation so far and the epoch
/// records. The model's weights and optimiser state are in their own file (<see cref="ModelStateFile"/>),
/// written before state.bin names it, so state.bin always names a complete file (STYLE.md: nothing
/// half-written). Written through <see cref="BinaryArchive"/>, hence atomic and checksummed.
/// </summary>
public sealed class TrainingState
{
    private const string Kind = "TrainingState";
    // 2 added the epoch records' extra columns and the epoch's counter sums (IEpochCounters); 1 still reads.
    private const int Version = 2, OldestVersion = 1;

    public RunStage Stage { get; set; }

    /// <summary>Why the run diverged; empty otherwise.</summary>
    public string Message { get; set; } = "";

    /// <summary>0-based epoch in progress (equal to the epoch count once completed).</summary>
    public int Epoch { get; set; }

    /// <summary>0-based index of the next minibatch of <see cref="Epoch"/> (counted across its passes, <see cref="IMultiPassEpoch"/>).</summary>
    public int NextBatch { get; set; }

    /// <summary>Training rows of <see cref="Epoch"/> (of its current pass) in shuffled order; empty when not yet drawn.</summary>
    public int[] Permutation { get; set; } = [];

    /// <summary>The shuffling generator's state after drawing <see cref="Permutation"/> (<see cref="SeededRandom.GetState"/>).</summary>
    public ulong[] ShuffleState { get; set; } = [];

    /// <summary>Gradient updates taken in the run (the annealing counter, never reset, spec 7 pitfall 5).</summary>
    public long Updates { get; set; }

    /// <summary>KL weight of the last update.</summary>
    public double LastBeta { get; set; }

    /// <summary>Sums over this epoch's finished minibatches, and its seconds so far.</summary>
    public double LossSum { get; set; }
    public double NegLogLikelihoodSum { get; set; }
    public double KlSum { get; set; }
    public double EpochSeconds { get; set; }

    /// <summary>1-based best epoch so far (0 = none) and its validation NDCG@100.</summary>
    public int BestEpoch { get; set; }
    public double BestNdcg { get; set; } = double.NegativeInfinity;

    public List<EpochRecord> Records { get; set; } = [];

    /// <summary>The model's counters (<see cref="IEpochCounters"/>) summed over this epoch's finished minibatches; empty for most models.</summary>
    public double[] CounterSums { get; set; } = [];

    /// <summary>File name, in the run directory, of the model's weights and optimiser state; empty when none is needed.</summary>
    public string ModelStateFile { get; set; } = "";

    /// <summary>Counts state writes, so each model-state file gets a fresh name.</summary>
    public long Checkpoint { get; set; }

    public void Write(string path, string key) => BinaryArchive.Write(path, Kind, Version, key, w =>
    {
        w.Write((int)Stage);
        w.Write(Message);
        w.Write(Epoch);
        w.Write(NextBatch);
        w.Write(Permutation);
        w.Write(ShuffleState.Length);
        foreach (var word in ShuffleState) w.Write(unchecked((long)word));
        w.Write(Updates);
        w.Write(LastBeta);
        w.Write(LossSum);
        w.Write(NegLogLikelihoodSum);
        w.Write(KlSum);
        w.Write(EpochSeconds);
        w.Write(BestEpoch);
        w.Write(BestNdcg);
        w.Write(Records.Count);
        foreach (var r in Records)
        {
            w.Write(r.Epoch); w.Write(r.MeanLoss); w.Write(r.MeanNegLogLikelihood); w.Write(r.MeanKl);
            w.Write(r.Beta); w.Write(r.Updates); w.Write(r.ValidationNdcg); w.Write(r.Seconds);
            w.Write(r.ExtraValues);
        }
        w.Write(ModelStateFile);
        w.Write(Checkpoint);
        w.Write(CounterSums);
    });

    /// <summary>Reads state.bin; a file from another run (other <paramref name="key"/>) or a damaged one throws <see cref="StaleCacheException"/>. A null key reads any run's state, to describe it.</summary>
    public static TrainingState Read(string path, string? key) => BinaryArchive.Read(path, Kind, OldestVersion, Version, key, (r, version) =>
    {
        var s = new TrainingState
        {
            Stage = (RunStage)r.ReadInt32(),
            Message = r.ReadString(),
            Epoch = r.ReadInt32(),
            NextBatch = r.ReadInt32(),
            Permutation = r.ReadInt32Array(),
        };
        int words = r.ReadInt32();
        if (words is < 0 or > 64) throw new StaleCacheException(path, $"has a generator state of {words} words");
        s.ShuffleState = new ulong[words];
        for (int k = 0; k < words; k++) s.ShuffleState[k] = unchecked((ulong)r.ReadInt64());
        s.Updates = r.ReadInt64();
        s.LastBeta = r.ReadDouble();
        s.LossSum = r.ReadDouble();
        s.NegLogLikelihoodSum = r.ReadDouble();
        s.KlSum = r.ReadDouble();
        s.EpochSeconds = r.ReadDouble();
        s.BestEpoch = r.ReadInt32();
        s.BestNdcg = r.ReadDouble();
        int count = r.ReadInt32();
        if (count < 0 || count > 1_000_000) throw new StaleCacheException(path, $"claims {count} epoch records");
        for (int k = 0; k < count; k++)
        {
            var record = new EpochRecord(r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(),
                                         r.ReadDouble(), r.ReadInt64(), r.ReadDouble(), r.ReadDouble());
            s.Records.Add(version >= 2 ? record with { Extras = NullIfEmpty(r.ReadDoubleArray()) } : record);
        }
        s.ModelStateFile = r.ReadString();
        s.Checkpoint = r.ReadInt64();
        if (version >= 2) s.CounterSums = r.ReadDoubleArray();
        if (!Enum.IsDefined(s.Stage)) throw new StaleCacheException(path, $"has unknown stage {(int)s.Stage}");
        return s;
    });

    private static double[]? NullIfEmpty(double[] values) => values.Length == 0 ? null : values;
}
