// The entry point of MaskedSft's ML.NET components: mlContext.MaskedSft().
namespace Microsoft.ML;

/// <summary>Adds <see cref="MaskedSft"/> to <see cref="MLContext"/>.</summary>
public static class MaskedSftCatalogExtensions
{
    /// <summary>
    /// MaskedSft's catalog of components for this context. Calling it also registers this assembly with the context's
    /// component catalog, so that <c>mlContext.Model.Load</c> finds the pieces of saved MaskedSft pipelines.
    /// </summary>
    /// <param name="mlContext">The context.</param>
    /// <returns>The catalog.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="mlContext"/> is null.</exception>
    public static MaskedSftCatalog MaskedSft(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        mlContext.ComponentCatalog.RegisterAssembly(typeof(MaskedSftCatalog).Assembly);
        return new MaskedSftCatalog(mlContext);
    }
}
