using TorchSharp;

namespace Repro.Core;

/// <summary>Loads libtorch once, with a fixed number of threads, and says what it loaded.</summary>
public static class TorchRuntime
{
    private static readonly object Gate = new();
    private static bool _ready;

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
            if (threads > 0) torch.set_num_threads(threads);
        }
    }

    public static string Describe() => $"TorchSharp {typeof(torch).Assembly.GetName().Version}, libtorch threads {torch.get_num_threads()}";
}
