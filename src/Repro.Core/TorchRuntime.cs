using TorchSharp;

namespace Repro.Core;

/// <summary>
/// Loads libtorch once, with a fixed number of threads, and says what it loaded. The same number
/// bounds the managed parallel loops (<see cref="Threads"/>), so <c>--threads N</c> is the process's
/// whole compute budget, not libtorch's alone.
/// </summary>
public static class TorchRuntime
{
    private static readonly object Gate = new();
    private static bool _ready;

    /// <summary>
    /// The thread budget of this process: the last positive count given to <see cref="EnsureLoaded"/>,
    /// else the processor count. Every managed parallel loop takes at most this many workers.
    /// </summary>
    public static int Threads { get; private set; } = Environment.ProcessorCount;

    /// <summary>Parallel.For options that keep a loop within <see cref="Threads"/>.</summary>
    public static ParallelOptions Parallelism => new() { MaxDegreeOfParallelism = Threads };

    /// <summary>Makes sure libtorch is loaded; <paramref name="threads"/> &lt;= 0 keeps libtorch's default.</summary>
    public static void EnsureLoaded(int threads = 0)
    {
        lock (Gate)
        {
            if (!_ready)
            {
                torch.InitializeDeviceType(DeviceType.CPU);
                _ready = true;
            }
            if (threads > 0)
            {
                torch.set_num_threads(threads);
                Threads = threads;
            }
        }
    }

    public static string Describe() => $"TorchSharp {typeof(torch).Assembly.GetName().Version}, libtorch threads {torch.get_num_threads()}";
}
