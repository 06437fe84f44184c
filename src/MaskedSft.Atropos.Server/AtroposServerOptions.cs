// Where the local Atropos server listens and where it persists its state.
namespace MaskedSft.Atropos.Server;

/// <summary>Options of <see cref="AtroposServer"/>.</summary>
public sealed record AtroposServerOptions
{
    /// <summary>The address to listen on (loopback by default: the server has no authentication).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 picks a free one (read <see cref="AtroposServer.BaseAddress"/>).</summary>
    public int Port { get; init; }

    /// <summary>A file the state is written to after every change and read back at start (survives a restart); null = memory only.</summary>
    public string? StatePath { get; init; }

    /// <summary>Where to log one line per request; null logs nothing.</summary>
    public TextWriter? Log { get; init; }
}
