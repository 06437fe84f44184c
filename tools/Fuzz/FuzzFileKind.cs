// What a fuzzed file is, which decides the mutations that apply beside the byte-level ones.
namespace MaskedSft.Tools.Fuzz;

/// <summary>The format of a file a target reads.</summary>
public enum FuzzFileKind
{
    /// <summary>Raw bytes: only byte-level mutations (bit flips, truncation, insertion, deletion, interesting integers).</summary>
    Binary,

    /// <summary>A JSON document: also structure-aware mutations.</summary>
    Json,

    /// <summary>JSON lines: structure-aware mutations of one line.</summary>
    JsonLines,

    /// <summary>A safetensors file: also structure-aware mutations of its JSON header (length prefix rewritten).</summary>
    Safetensors,

    /// <summary>Plain text (GPT-2's vocab.bpe): byte-level mutations and line deletion / duplication.</summary>
    Text,
}
