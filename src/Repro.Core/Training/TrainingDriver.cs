using System.Diagnostics;
using System.Globalization;
using Repro.Core.Data.Cache;
using Repro.Core.Data.Synthetic;
using Repro.Core.Metrics;
using Repro.Core.Models;
using Repro.Core.Protocols;
using Repro.Core.Sparse;
using TorchSharp;

namespace Repro.Core.Training;

/// <summary>
/// The one training loop every trained model uses (STYLE.md): per epoch, shuffle the training rows,
/// take minibatches of the model's batch size with beta from the annealing schedule (its counter runs
/// across epochs, spec 7 pitfall 5), validate NDCG@100 on all validation users with targets, keep the
/// best-validation weights, and log the epoch; after the last epoch the best weights are loaded back
/// for test scoring (spec 1.4; NB cell 66 saves the model whenever validation NDCG@100 improves and
/// restores it for test, NB cells 74-75). No early stopping: every epoch runs (spec 7.14).
///
/// The run directory holds <c>best.weights</c> (weights of the best epoch), <c>epochs.tsv</c> (one line
/// per epoch), <c>state.bin</c> with a <c>state-model.N.bin</c> beside it (where the run stands), all
/// written by write-then-rename. State is written at every epoch end and on cancellation (after the
/// current minibatch), so <see cref="Run"/> on the same directory continues exactly where it stopped:
/// every minibatch's dropout and noise are reseeded from (seed, epoch, batch), and the shuffling
/// generator's state and the epoch's permutation are saved, so a resumed run is bit-identical to an
/// uninterrupted one with the same thread count.
///
/// A model implementing <see cref="IMultiPassEpoch"/> gets several passes per epoch, each with its own
/// permutation from the same shuffling stream and a <see cref="IMultiPassEpoch.BeginPass"/> call first;
/// the minibatch index then counts across the epoch's passes (for seeds, progress and resume), and the
/// epoch's mean losses are over all its minibatches. With one pass everything is as described above.
/// </summary>
public static class TrainingDriver
{
    public const string StateFileName = "state.bin";
    public const string BestWeightsFileName = "best.weights";
    public const string EpochLogFileName = "epochs.tsv";
    private const string ModelStatePrefix = "state-model.";

    /// <summary>
    /// Whole epochs done by the run saved in <paramref name="runDirectory"/>, from its state.bin (the
    /// record a resume starts from; epochs.tsv may be missing or ahead of it); null when there is no
    /// readable state.
    /// </summary>
    public static int? SavedEpochs(string runDirectory)
    {
        string path = Path.Combine(runDirectory, StateFileName);
        if (!File.Exists(path)) return null;
        try { return TrainingState.Read(path, key: null).Epoch; }
        catch (StaleCacheException) { return null; }
    }

    /// <summary>The selection metric: NDCG@100 on validation users (spec 1.4; paper section 4.3).</summary>
    public static MetricSpec ValidationMetric { get; } = MetricSpec.Ndcg(100);

    // Stream labels, so the shuffling and per-batch seeds never coincide.
    private const ulong ShuffleStream = 1, BatchStream = 2;

    /// <summary>
    /// Trains <paramref name="model"/> on the rows of <paramref name="train"/>, or resumes the run
    /// recorded in <see cref="TrainingOptions.RunDirectory"/>, or (when that run is finished) only loads
    /// its best weights. On return with <see cref="TrainingStatus.Completed"/> the model holds the
    /// best-validation weights (the last epoch's with <see cref="TrainingOptions.KeepLastEpoch"/>; BestEpoch
    /// and BestNdcg then describe that epoch). The model's initial weights are the caller's (its constructor seed).
    /// </summary>
    public static TrainingOutcome Run(
        ITrainableRecommender model, CsrMatrix train, HeldOutSet validation, TrainingOptions options,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (train.Columns != model.Items) throw new ArgumentException($"training data has {train.Columns} item columns, the model scores {model.Items}");
        if (validation.FoldIn.Columns != model.Items) throw new ArgumentException($"validation data has {validation.FoldIn.Columns} item columns, the model scores {model.Items}");
        if (train.Rows == 0) throw new ArgumentException("training data has no users", nameof(train));
        if (validation.UsersWithTargets == 0) throw new ArgumentException("no validation user has target items, so NDCG@100 cannot select a checkpoint", nameof(validation));
        if (model.Epochs <= 0 || model.BatchSize <= 0) throw new ArgumentException($"the model asks for {model.Epochs} epochs of batch {model.BatchSize}");

        TorchRuntime.EnsureLoaded(options.Threads);
        string dir = Path.GetFullPath(options.RunDirectory);
        Directory.CreateDirectory(dir);
        string statePath = Path.Combine(dir, StateFileName), bestPath = Path.Combine(dir, BestWeightsFileName);
        int epochs = model.Epochs, batchSize = model.BatchSize;
        int batches = (train.Rows + batchSize - 1) / batchSize;
        var multiPass = model as IMultiPassEpoch;
        int passes = multiPass?.PassesPerEpoch ?? 1;
        if (passes <= 0) throw new ArgumentException($"the model asks for {passes} passes per epoch");
        int steps = passes * batches; // minibatches per epoch
        var schedule = model.NewAnnealingSchedule(steps);
        if (model.UsesAnnealing != schedule is not null) throw new ArgumentException($"the model says UsesAnnealing = {model.UsesAnnealing} but its schedule is {(schedule is null ? "null" : "set")}");
        string key = RunKey(model, train, validation, options, schedule);

        var shuffle = new SeededRandom(DeriveSeed(options.Seed, ShuffleStream));
        var counters = model as IEpochCounters;
        IReadOnlyList<string> extraColumns = counters?.EpochColumns ?? [];
        TrainingState state;
        if (File.Exists(statePath))
        {
            try { state = TrainingState.Read(statePath, key); }
            catch (StaleCacheException e)
            {
                throw new InvalidOperationException($"{dir} holds the state of another run (other data, model or seed) or a damaged one: {e.Reason}. Use a fresh run directory.", e);
            }
            if (state.Stage == RunStage.Completed)
            {
                LoadBest(model, dir);
                return Outcome(TrainingStatus.Completed, state, bestPath, 0, null);
            }
            if (state.Stage == RunStage.Diverged)
            {
                if (state.BestEpoch > 0) LoadBest(model, dir);
                return Outcome(TrainingStatus.Diverged, state, bestPath, 0, state.Message);
            }
            string modelStatePath = Path.Combine(dir, state.ModelStateFile);
            try { model.LoadState(modelStatePath); }
            catch (Exception e) when (e is StaleCacheException or IOException or EndOfStreamException or InvalidDataException)
            {
                // state.bin names a complete file (written first); a damaged or missing one was changed after the run stopped.
                string why = e is StaleCacheException stale ? stale.Reason : e.Message;
                throw new InvalidOperationException($"{dir} holds a damaged saved state: {modelStatePath}: {why}. Delete {statePath} to restart this run from its first epoch (its epochs.tsv and weights are rewritten), or use a fresh run directory.", e);
            }
            shuffle.SetState(state.ShuffleState);
            WriteEpochLog(dir, state.Records, extraColumns); // drops any line written after the state was
        }
        else
        {
            state = new TrainingState { ShuffleState = shuffle.GetState() };
            if (File.Exists(bestPath)) File.Delete(bestPath); // left by a run that crashed before its first state
            WriteEpochLog(dir, state.Records, extraColumns);
        }
        // A state of format 1 (before the counters) resumes with this epoch's counts from its resumption on.
        if (counters is not null && state.CounterSums.Length != counters.CounterCount) state.CounterSums = new double[counters.CounterCount];
        if (schedule is not null) schedule = new AnnealingSchedule(schedule.Cap, schedule.TotalSteps, state.Updates);
        if (cancellationToken.IsCancellationRequested)
            return Outcome(TrainingStatus.Interrupted, state, bestPath, 0, "cancelled before training started");

        int trained = 0;
        var trainingClock = new Stopwatch();
        var validationClock = new Stopwatch(); // the validations of this call, for the time left
        int validated = 0;

        while (state.Epoch < epochs)
        {
            int epoch = state.Epoch;
            var epochClock = Stopwatch.StartNew();

            for (int b = state.NextBatch; b < steps; b++)
            {
                if (state.Permutation.Length == 0)
                {
                    // NB cell 66: np.random.shuffle(idxlist) at the start of every epoch (of every pass, with
                    // several), one stream for the run.
                    state.Permutation = Permutation(train.Rows, shuffle);
                    state.ShuffleState = shuffle.GetState();
                    multiPass?.BeginPass(b / batches);
                }
                int first = b % batches * batchSize;
                var rows = state.Permutation.AsSpan(first, Math.Min(batchSize, train.Rows - first));
                double beta = schedule?.Beta ?? 0;
                BatchLoss loss;
                trainingClock.Start();
                using (torch.NewDisposeScope())
                {
                    // Dropout masks and noise depend only on (seed, epoch, batch): a resumed run draws the same ones.
                    model.Reseed(DeriveSeed(options.Seed, BatchStream, (ulong)epoch, (ulong)b));
                    loss = model.TrainStep(train, rows, beta);
                }
                trainingClock.Stop();
                trained++;
                if (!double.IsFinite(loss.Loss))
                    return Diverge(model, state, dir, key, bestPath, trained,
                        $"training diverged: the loss is {loss.Loss.ToString(CultureInfo.InvariantCulture)} at epoch {epoch + 1}, batch {b + 1} of {steps}");

                schedule?.Advance();
                state.Updates++;
                state.LastBeta = beta;
                state.LossSum += loss.Loss;
                state.NegLogLikelihoodSum += loss.NegLogLikelihood;
                counters?.AddStepCounts(state.CounterSums);
                state.KlSum += loss.Kl;
                state.NextBatch = b + 1;
                if ((b + 1) % batches == 0 && b + 1 < steps) state.Permutation = []; // the next pass draws its own
                progress?.Report(Progress(TrainingPhase.Training, state, epochs, steps, trained, trainingClock, validationClock, validated));

                if (cancellationToken.IsCancellationRequested && b + 1 < steps)
                {
                    state.EpochSeconds += epochClock.Elapsed.TotalSeconds;
                    WriteState(state, dir, key, model);
                    return Outcome(TrainingStatus.Interrupted, state, bestPath, trained,
                        $"interrupted in epoch {epoch + 1} after batch {b + 1} of {steps}; run again on {dir} to resume");
                }
            }

            // Spec 1.4 / NB cell 66: validation NDCG@100 after every epoch, on every validation user with targets.
            progress?.Report(Progress(TrainingPhase.Validating, state, epochs, steps, trained, trainingClock, validationClock, validated));
            validationClock.Start();
            double ndcg = ValidationNdcg(model, validation, options);
            validationClock.Stop();
            validated++;
            if (!double.IsFinite(ndcg))
                return Diverge(model, state, dir, key, bestPath, trained,
                    $"training diverged: validation NDCG@100 is {ndcg.ToString(CultureInfo.InvariantCulture)} after epoch {epoch + 1}");
            if (ndcg > state.BestNdcg || options.KeepLastEpoch)
            {
                WriteAtomically(bestPath, model.Save);
                state.BestEpoch = epoch + 1;
                state.BestNdcg = ndcg;
            }
            var record = new EpochRecord(epoch + 1, state.LossSum / steps, state.NegLogLikelihoodSum / steps,
                state.KlSum / steps, state.LastBeta, state.Updates, ndcg, state.EpochSeconds + epochClock.Elapsed.TotalSeconds,
                counters?.EpochValues(state.CounterSums));
            state.Records.Add(record);
            File.AppendAllText(Path.Combine(dir, EpochLogFileName), record.ToTsv() + "\n");

            state.Epoch = epoch + 1;
            state.NextBatch = 0;
            state.Permutation = [];
            state.LossSum = state.NegLogLikelihoodSum = state.KlSum = state.EpochSeconds = 0;
            Array.Clear(state.CounterSums);
            if (state.Epoch == epochs)
            {
                state.Stage = RunStage.Completed;
                WriteState(state, dir, key, model: null);
                break;
            }
            WriteState(state, dir, key, model); // every epoch end, so a crash loses at most one epoch
            if (cancellationToken.IsCancellationRequested)
                return Outcome(TrainingStatus.Interrupted, state, bestPath, trained,
                    $"interrupted after epoch {epoch + 1} of {epochs}; run again on {dir} to resume");
        }

        LoadBest(model, dir);
        return Outcome(TrainingStatus.Completed, state, bestPath, trained, null);
    }

    /// <summary>Loads the best-validation weights of the run in <paramref name="runDirectory"/> into <paramref name="model"/> (for test scoring).</summary>
    public static void LoadBest(ITrainableRecommender model, string runDirectory)
    {
        string path = Path.Combine(runDirectory, BestWeightsFileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist: the run in {runDirectory} has not finished an epoch", path);
        model.LoadWeights(path);
    }

    /// <summary>A seed for one purpose of a run, mixed from the run seed and labels by SplitMix64.</summary>
    public static ulong DeriveSeed(ulong seed, params ReadOnlySpan<ulong> labels)
    {
        ulong h = seed;
        h = SplitMix64.Next(ref h);
        foreach (var label in labels)
        {
            h ^= label;
            h = SplitMix64.Next(ref h);
        }
        return h;
    }

    /// <summary>0 .. n-1 shuffled by Fisher-Yates.</summary>
    private static int[] Permutation(int n, SeededRandom random)
    {
        var p = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = random.NextBelow(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    private static double ValidationNdcg(ITrainableRecommender model, HeldOutSet validation, TrainingOptions options)
    {
        using var scope = torch.NewDisposeScope();
        var result = Evaluator.Evaluate(
            model.AsBatchScorer(),
            validation.FoldIn, validation.Target, [ValidationMetric], options.ValidationBatchSize, options.Threads);
        return result[ValidationMetric].Summary.Mean;
    }

    private static TrainingOutcome Diverge(ITrainableRecommender model, TrainingState state, string dir, string key, string bestPath, int trained, string message)
    {
        state.Stage = RunStage.Diverged;
        state.Message = message;
        WriteState(state, dir, key, model: null); // the weights are no longer finite; nothing to resume
        if (state.BestEpoch > 0) LoadBest(model, dir);
        return Outcome(TrainingStatus.Diverged, state, bestPath, trained, message);
    }

    /// <summary>Writes the model's state file (when <paramref name="model"/> is given), then state.bin naming it, then drops older model-state files.</summary>
    private static void WriteState(TrainingState state, string dir, string key, ITrainableRecommender? model)
    {
        state.Checkpoint++;
        if (model is not null)
        {
            string name = $"{ModelStatePrefix}{state.Checkpoint}.bin";
            WriteAtomically(Path.Combine(dir, name), model.SaveState);
            state.ModelStateFile = name;
        }
        else state.ModelStateFile = "";
        state.Write(Path.Combine(dir, StateFileName), key);
        foreach (var file in Directory.EnumerateFiles(dir, ModelStatePrefix + "*.bin"))
            if (Path.GetFileName(file) != state.ModelStateFile) File.Delete(file);
    }

    /// <summary>Lets <paramref name="write"/> produce a temporary file, then renames it over <paramref name="path"/>.</summary>
    private static void WriteAtomically(string path, Action<string> write)
    {
        string temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.partial");
        try
        {
            write(temp);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Rewrites epochs.tsv as the header and <paramref name="records"/>; later epochs are appended.</summary>
    private static void WriteEpochLog(string dir, IReadOnlyList<EpochRecord> records, IReadOnlyList<string> extraColumns) =>
        WriteAtomically(Path.Combine(dir, EpochLogFileName), path =>
            File.WriteAllLines(path, [EpochRecord.Header(extraColumns), .. records.Select(r => r.ToTsv())]));

    /// <summary>What a state.bin must match to be resumed: the data's shape, the model's settings and schedule, the seed.</summary>
    private static string RunKey(ITrainableRecommender model, CsrMatrix train, HeldOutSet validation, TrainingOptions options, AnnealingSchedule? schedule) =>
        string.Create(CultureInfo.InvariantCulture,
            $"seed={options.Seed};items={model.Items};epochs={model.Epochs};batch={model.BatchSize};settings={model.Settings};" +
            $"anneal={(schedule is null ? "none" : $"{schedule.Cap:R}/{schedule.TotalSteps}")};" +
            $"train={train.Rows}x{train.Columns}/{train.NonZeros};validation={validation.Users}/{validation.FoldIn.NonZeros}/{validation.Target.NonZeros}") +
        (options.KeepLastEpoch ? ";keep=last" : "");

    /// <summary>
    /// The report at this point. Time left: the batches left at this call's training rate, plus the
    /// validations left (this epoch's included) at this call's mean validation time once one has been
    /// measured; validation can cost more than training (BPR-MF fits every validation user's p_v).
    /// </summary>
    private static TrainingProgress Progress(TrainingPhase phase, TrainingState state, int epochs, int batches, int trained,
        Stopwatch clock, Stopwatch validationClock, int validated)
    {
        double rate = trained > 0 && clock.Elapsed.TotalSeconds > 0 ? trained / clock.Elapsed.TotalSeconds : double.NaN;
        long left = (long)(epochs - state.Epoch - 1) * batches + (batches - state.NextBatch);
        double perValidation = validated > 0 ? validationClock.Elapsed.TotalSeconds / validated : 0;
        TimeSpan? remaining = double.IsFinite(rate) ? TimeSpan.FromSeconds(left / rate + (epochs - state.Epoch) * perValidation) : null;
        double meanLoss = state.NextBatch > 0 ? state.LossSum / state.NextBatch : double.NaN;
        return new TrainingProgress(phase, state.Epoch + 1, epochs, state.NextBatch, batches, meanLoss, rate, remaining);
    }

    private static TrainingOutcome Outcome(TrainingStatus status, TrainingState state, string bestPath, int trained, string? message) =>
        new(status, state.Records.ToArray(), state.BestEpoch, state.BestNdcg, bestPath, trained, message);
}
