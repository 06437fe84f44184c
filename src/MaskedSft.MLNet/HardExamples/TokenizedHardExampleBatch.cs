// An IHardExampleBatch over a (B, T) token matrix with an optional mask, a token decoder and an optional thumbnail source.
namespace MaskedSft.MLNet.HardExamples;

/// <summary>
/// Hard-example payload of a batch whose samples are rows of a (B, T) token-id matrix: a sample's text is its row's
/// tokens where the mask is set (all tokens without a mask), decoded by an <see cref="ITokenDecoder"/>.
/// </summary>
public sealed class TokenizedHardExampleBatch : IHardExampleBatch
{
    private readonly ITokenDecoder _decoder;
    private readonly int[] _tokenIds;
    private readonly bool[]? _mask;
    private readonly int _sequenceLength;
    private readonly long[] _globalIndices;
    private readonly Func<int, byte[]?>? _thumbnail;

    /// <summary>Creates the batch view.</summary>
    /// <param name="decoder">Decodes token ids to text.</param>
    /// <param name="tokenIds">Token ids, row-major (B, T).</param>
    /// <param name="mask">Which tokens belong to the text, (B, T); null for all.</param>
    /// <param name="sequenceLength">T, the row length.</param>
    /// <param name="globalIndices">The global index of each of the B samples.</param>
    /// <param name="thumbnail">Makes the PNG thumbnail of a sample (called only for samples that enter the buffer); null for none.</param>
    /// <exception cref="ArgumentNullException">When a required argument is null.</exception>
    /// <exception cref="ArgumentException">When the lengths disagree.</exception>
    public TokenizedHardExampleBatch(ITokenDecoder decoder, int[] tokenIds, bool[]? mask, int sequenceLength, long[] globalIndices,
        Func<int, byte[]?>? thumbnail = null)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(tokenIds);
        ArgumentNullException.ThrowIfNull(globalIndices);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequenceLength);
        if (tokenIds.Length != (long)globalIndices.Length * sequenceLength)
        {
            throw new ArgumentException(
                $"tokenIds has {tokenIds.Length} ids but {globalIndices.Length} samples × sequence length {sequenceLength} = {(long)globalIndices.Length * sequenceLength}.",
                nameof(tokenIds));
        }

        if (mask is not null && mask.Length != tokenIds.Length)
        {
            throw new ArgumentException($"mask has {mask.Length} values but tokenIds has {tokenIds.Length}.", nameof(mask));
        }

        _decoder = decoder;
        _tokenIds = tokenIds;
        _mask = mask;
        _sequenceLength = sequenceLength;
        _globalIndices = globalIndices;
        _thumbnail = thumbnail;
    }

    /// <inheritdoc />
    public int Count => _globalIndices.Length;

    /// <inheritdoc />
    public long GetGlobalIndex(int sample) => _globalIndices[sample];

    /// <inheritdoc />
    public string GetText(int sample)
    {
        var row = _tokenIds.AsSpan(sample * _sequenceLength, _sequenceLength);
        if (_mask is null)
        {
            return _decoder.Decode(row);
        }

        var maskRow = _mask.AsSpan(sample * _sequenceLength, _sequenceLength);
        Span<int> selected = _sequenceLength <= 512 ? stackalloc int[_sequenceLength] : new int[_sequenceLength];
        int n = 0;
        for (int t = 0; t < row.Length; t++)
        {
            if (maskRow[t])
            {
                selected[n++] = row[t];
            }
        }

        return _decoder.Decode(selected[..n]);
    }

    /// <inheritdoc />
    public byte[]? GetThumbnailPng(int sample) => _thumbnail?.Invoke(sample);
}
