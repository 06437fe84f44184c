// What a causal LM's forward pass reads: token ids, and for padded or packed rows their positions and attention limits.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models;

/// <summary>
/// The inputs of <see cref="ICausalLm.ForwardHidden"/>. Only <see cref="InputIds"/> is required: the other tensors default to
/// "one unpadded document per row, positions 0..T-1". The tensors are borrowed, never disposed by the model.
/// </summary>
/// <param name="InputIds">(B, T) int64 token ids.</param>
public sealed record CausalLmInput(Tensor InputIds)
{
    /// <summary>(B, T) int64 position of each token (RoPE angle or learned-position index); null = 0..T-1 in every row.
    /// Packed rows restart the positions at every document; left-padded rows start at 0 on their first real token.</summary>
    public Tensor? PositionIds { get; init; }

    /// <summary>(B, T) 1 for a real token, 0 for padding (left or right); padding positions attend to nothing and are
    /// attended by nothing. Null = every position is real.</summary>
    public Tensor? AttentionMask { get; init; }

    /// <summary>(B, T) int64 document index of each token for packed rows: a token attends only to earlier tokens of the
    /// same document. Null = one document per row.</summary>
    public Tensor? DocumentIds { get; init; }
}
