// A file format the product reads: how to write a valid seed input, how the product reads it, which exceptions are documented.
namespace MaskedSft.Tools.Fuzz;

/// <summary>One fuzz target: a folder of files the product reads through one public entry point.</summary>
public abstract class FuzzTarget : IDisposable
{
    /// <summary>The name used with <c>--target</c>.</summary>
    public abstract string Name { get; }

    /// <summary>What the target reads and through which API.</summary>
    public abstract string Description { get; }

    /// <summary>The files of the input folder that are mutated, with their formats.</summary>
    public abstract IReadOnlyList<(string File, FuzzFileKind Kind)> Files { get; }

    /// <summary>How long one input may take before it counts as a hang (the tiny-model targets build a model per input).</summary>
    public virtual TimeSpan Timeout => TimeSpan.FromSeconds(20);

    /// <summary>One-time setup outside the input folders (a base model, a dataset the input refers to).</summary>
    /// <param name="scratch">A folder the target may use until it is disposed.</param>
    public virtual void Prepare(string scratch)
    {
    }

    /// <summary>Writes a valid input into an empty folder; the product must accept it.</summary>
    /// <param name="folder">The folder.</param>
    public abstract void WriteSeed(string folder);

    /// <summary>Reads the input as the product's users do (open, read every part, use it once).</summary>
    /// <param name="folder">The input folder.</param>
    public abstract void Consume(string folder);

    /// <summary>Whether <paramref name="exception"/> is one the entry point documents for bad input.</summary>
    /// <param name="exception">The exception thrown by <see cref="Consume"/>.</param>
    /// <returns>True for a documented type.</returns>
    public abstract bool IsDocumented(Exception exception);

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what <see cref="Prepare"/> created.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }
}
