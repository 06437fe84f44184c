// The entry point of the estimator API (ML.NET's MLContext in spirit): seed, device, logging, and the catalogs.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// Shared settings of a pipeline: the seed every component derives its randomness from, the device, and a log.
/// <code>
/// var context = new MaskedSftContext(seed: 1);
/// using var data = context.Data.LoadEpisodes("data/sft");
/// var trainer = context.Trainers.MaskedSft(new MaskedSftTrainer.Options { Preset = "tiny", Steps = 500, OutputDirectory = "runs/a" });
/// using var model = trainer.Fit(data);
/// var scores = model.Transform(data);
/// model.Save("runs/a/model");
/// </code>
/// </summary>
public sealed class MaskedSftContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="seed">Seed of weights, data order and dropout (default 1337).</param>
    /// <param name="device">Device for models (default <see cref="Device.Auto"/>: CUDA when available, else CPU).</param>
    public MaskedSftContext(ulong seed = 1337, Device? device = null)
    {
        Seed = seed;
        Device = device ?? Device.Auto;
        Data = new EpisodeDataCatalog(this);
        Trainers = new MaskedSftTrainersCatalog(this);
    }

    /// <summary>The seed.</summary>
    public ulong Seed { get; }

    /// <summary>The device.</summary>
    public Device Device { get; }

    /// <summary>Loading episode datasets.</summary>
    public EpisodeDataCatalog Data { get; }

    /// <summary>Trainers (extension methods such as <see cref="MaskedSftCatalogExtensions.MaskedSft(MaskedSftTrainersCatalog, MaskedSftTrainer.Options)"/>).</summary>
    public MaskedSftTrainersCatalog Trainers { get; }

    /// <summary>Progress and informational messages of the components (training progress lines included).</summary>
    public event EventHandler<MaskedSftLogEventArgs>? Log;

    /// <summary>Raises <see cref="Log"/>.</summary>
    internal void Write(string message) => Log?.Invoke(this, new MaskedSftLogEventArgs(message));

    /// <summary>A writer that forwards whole lines to <see cref="Log"/> (null when nobody listens).</summary>
    internal TextWriter? LogWriter => Log is null ? null : new LogTextWriter(this);

    private sealed class LogTextWriter(MaskedSftContext context) : StringWriter(System.Globalization.CultureInfo.InvariantCulture)
    {
        public override void WriteLine(string? value) => context.Write(value ?? string.Empty);

        public override void Flush()
        {
        }
    }
}

/// <summary>A log message of a <see cref="MaskedSftContext"/>.</summary>
/// <param name="message">The message.</param>
public sealed class MaskedSftLogEventArgs(string message) : EventArgs
{
    /// <summary>The message (one line).</summary>
    public string Message { get; } = message;
}
