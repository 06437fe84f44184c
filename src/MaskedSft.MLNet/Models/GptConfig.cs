// Configuration of the tiny GPT (nanoGPT's GPTConfig): sizes, dropout, bias, and the presets of the seed tests.
namespace MaskedSft.MLNet.Models;

/// <summary>
/// Shape of a <see cref="TinyGpt"/>. Presets: <see cref="Tiny"/> (2 layers x 64, the seed's unit-test model),
/// <see cref="Small"/> (3 layers x 128, the seed's training-test model) and <see cref="Medium"/> (6 layers x 384, the
/// benchmark's largest size); all with GPT-2's padded vocabulary of 50304 and a block of 256 tokens.
/// Change a field with a <c>with</c> expression, e.g. <c>GptConfig.Small with { VocabSize = 512 }</c>.
/// </summary>
public sealed record GptConfig
{
    /// <summary>Number of transformer blocks.</summary>
    public int Layers { get; init; } = 2;

    /// <summary>Number of attention heads; must divide <see cref="EmbeddingSize"/>.</summary>
    public int Heads { get; init; } = 4;

    /// <summary>Width of the residual stream (C).</summary>
    public int EmbeddingSize { get; init; } = 64;

    /// <summary>Maximum sequence length (the number of learned positions).</summary>
    public int BlockSize { get; init; } = 256;

    /// <summary>Vocabulary size (V); token ids must be in [0, V).</summary>
    public int VocabSize { get; init; } = 50304;

    /// <summary>Dropout probability on attention weights, residual branches and embeddings (training mode only).</summary>
    public double Dropout { get; init; }

    /// <summary>Whether linear layers and LayerNorms have biases.</summary>
    public bool Bias { get; init; } = true;

    /// <summary>2 layers x 64 dims, 4 heads: the seed's unit-test model.</summary>
    public static GptConfig Tiny => new() { Layers = 2, Heads = 4, EmbeddingSize = 64 };

    /// <summary>3 layers x 128 dims, 4 heads: the seed's training-test model.</summary>
    public static GptConfig Small => new() { Layers = 3, Heads = 4, EmbeddingSize = 128 };

    /// <summary>6 layers x 384 dims, 6 heads: the benchmark's largest size.</summary>
    public static GptConfig Medium => new() { Layers = 6, Heads = 6, EmbeddingSize = 384 };

    /// <summary>A preset by name: tiny (2x64), small (3x128) or medium (6x384).</summary>
    /// <param name="name">tiny, small or medium (case-insensitive).</param>
    /// <returns>The preset.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">The name is not a preset.</exception>
    public static GptConfig FromPreset(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "tiny" => Tiny,
            "small" => Small,
            "medium" => Medium,
            _ => throw new ArgumentException($"Unknown model preset '{name}'. Use tiny (2x64), small (3x128) or medium (6x384).", nameof(name)),
        };
    }

    /// <summary>Checks that the sizes are consistent.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, the heads do not divide the width, or dropout is outside [0, 1).</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Layers, nameof(Layers));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Heads, nameof(Heads));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EmbeddingSize, nameof(EmbeddingSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BlockSize, nameof(BlockSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(VocabSize, nameof(VocabSize));
        if (EmbeddingSize % Heads != 0)
            throw new ArgumentOutOfRangeException(nameof(Heads), Heads, $"Heads ({Heads}) must divide EmbeddingSize ({EmbeddingSize}).");
        if (!(Dropout >= 0 && Dropout < 1))
            throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Dropout must be in [0, 1).");
    }

    /// <summary>Number of parameters (the tied LM head counted once).</summary>
    public long ParameterCount
    {
        get
        {
            long c = EmbeddingSize, b = Bias ? 1 : 0;
            var perBlock = 2 * (c + b * c)           // two LayerNorms
                + (c * 3 * c + b * 3 * c)            // c_attn
                + (c * c + b * c)                    // attention c_proj
                + (c * 4 * c + b * 4 * c)            // c_fc
                + (4 * c * c + b * c);               // mlp c_proj
            return (long)VocabSize * c + (long)BlockSize * c + Layers * perBlock + (c + b * c);
        }
    }

    /// <summary>One line for logs: <c>2 layers x 64, 4 heads, block 256, vocabulary 50304, 3,424,256 parameters</c>.</summary>
    /// <returns>The description.</returns>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Layers} layers x {EmbeddingSize}, {Heads} heads, block {BlockSize}, vocabulary {VocabSize}, {ParameterCount:N0} parameters");
}
