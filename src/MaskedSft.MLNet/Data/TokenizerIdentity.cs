// Identity of the tokenizer that produced a dataset's token ids (dataset.json's `tokenizer`).
namespace MaskedSft.MLNet.Data;

/// <summary>Identity of the tokenizer that produced a dataset's token ids.</summary>
public sealed class TokenizerIdentity
{
    /// <summary>A name such as <c>gpt2</c> or a path.</summary>
    public string? Name { get; set; }

    /// <summary>An optional fingerprint (for example <c>sha256:...</c> of the tokenizer file).</summary>
    public string? Fingerprint { get; set; }
}
